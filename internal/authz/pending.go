package authz

import (
	"context"
	"errors"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Pending (distributed) artifacts: a reader of a project sees what is being
// built in it, a writer may abandon it. Upserts and finishes are in
// distributed.go.

var _ service.PendingManager = (*guard)(nil)

// pendingNotFound repeats the service's answer for a pending artifact
// nobody upserted to, so that a hidden one cannot be told from a missing
// one.
func pendingNotFound(r service.PendingRef) func() error {
	return func() error {
		return core.Errorf(core.ErrNotFound, "distributed artifact %s/%s/%s (%s) not found", r.Entity, r.Project, r.Name, r.DistributedID)
	}
}

// pendingAPI returns the wrapped API's pending management.
func (g *guard) pendingAPI() (service.PendingManager, error) {
	pm, ok := g.api.(service.PendingManager)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this store cannot list or abandon pending artifacts")
	}
	return pm, nil
}

// PendingArtifacts implements service.PendingManager: Read on the project.
// Writer runs in projects p may not read are left out.
func (g *guard) PendingArtifacts(ctx context.Context, entity, project string) ([]service.PendingArtifact, error) {
	if err := checkProject(entity, project); err != nil {
		return nil, err
	}
	c := g.checker()
	if err := c.need(ctx, entity, project, Read, projectNotFound(entity, project)); err != nil {
		return nil, err
	}
	pm, err := g.pendingAPI()
	if err != nil {
		return nil, err
	}
	ps, err := pm.PendingArtifacts(ctx, entity, project)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Runs, err = g.readableRuns(ctx, c, ps[i].Runs); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// PendingArtifact implements service.PendingManager: Read on the project.
func (g *guard) PendingArtifact(ctx context.Context, ref service.PendingRef) (service.PendingDetail, error) {
	c, err := g.needPending(ctx, ref, Read)
	if err != nil {
		return service.PendingDetail{}, err
	}
	pm, err := g.pendingAPI()
	if err != nil {
		return service.PendingDetail{}, err
	}
	p, err := pm.PendingArtifact(ctx, ref)
	if err != nil {
		return service.PendingDetail{}, err
	}
	p.Runs, err = g.readableRuns(ctx, c, p.Runs)
	return p, err
}

// AbandonArtifact implements service.PendingManager: Write on the project.
func (g *guard) AbandonArtifact(ctx context.Context, ref service.PendingRef) (service.PendingArtifact, error) {
	c, err := g.needPending(ctx, ref, Write)
	if err != nil {
		return service.PendingArtifact{}, err
	}
	pm, err := g.pendingAPI()
	if err != nil {
		return service.PendingArtifact{}, err
	}
	p, err := pm.AbandonArtifact(ctx, ref)
	if err != nil {
		return service.PendingArtifact{}, err
	}
	p.Runs, err = g.readableRuns(ctx, c, p.Runs)
	return p, err
}

// needPending checks want on the project of a pending artifact.
func (g *guard) needPending(ctx context.Context, ref service.PendingRef, want Access) (*checker, error) {
	if err := checkProject(ref.Entity, ref.Project); err != nil {
		return nil, err
	}
	c := g.checker()
	return c, c.need(ctx, ref.Entity, ref.Project, want, pendingNotFound(ref))
}

// readableRuns keeps the ids of the runs whose projects p may read: a
// writer may have upserted from a project of its own.
func (g *guard) readableRuns(ctx context.Context, c *checker, ids []string) ([]string, error) {
	out := []string{}
	for _, id := range ids {
		run, err := g.api.GetRun(ctx, "", "", id)
		if errors.Is(err, core.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ok, err := c.readable(ctx, run.Entity, run.Project)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}
