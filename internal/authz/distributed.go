package authz

import (
	"context"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// UpsertArtifact implements service.API as LogArtifact does: Write on the
// artifact's project and on the run's, the whole request checked, and
// stored blobs of the entries that p has not shown to have reported
// missing (possession.go), so that naming a digest in a pending artifact
// grants no access to its content.
func (g *guard) UpsertArtifact(ctx context.Context, req service.UpsertRequest) (service.LogResult, error) {
	held, err := g.checkUpsert(ctx, req, false)
	if err != nil {
		return service.LogResult{}, err
	}
	if h, ok := g.api.(service.Holder); ok {
		return h.UpsertArtifactHolding(ctx, req, held)
	}
	if len(held) > 0 {
		return g.heldBack(ctx, req.Manifest, held)
	}
	return g.api.UpsertArtifact(ctx, req)
}

// FinishArtifact implements service.API like UpsertArtifact, for the
// finisher's own entries. The entries other runs upserted were checked when
// they were upserted: the finisher needs only Write on the project to
// commit them.
func (g *guard) FinishArtifact(ctx context.Context, req service.UpsertRequest) (service.LogResult, error) {
	held, err := g.checkUpsert(ctx, req, true)
	if err != nil {
		return service.LogResult{}, err
	}
	if h, ok := g.api.(service.Holder); ok {
		return h.FinishArtifactHolding(ctx, req, held)
	}
	if len(held) > 0 {
		return g.heldBack(ctx, req.Manifest, held)
	}
	return g.api.FinishArtifact(ctx, req)
}

// checkUpsert checks access and the request for an upsert or (finish) a
// finish, and returns the digests of its entries p may not name.
func (g *guard) checkUpsert(ctx context.Context, req service.UpsertRequest, finish bool) ([]core.Digest, error) {
	if err := checkProject(req.Entity, req.Project); err != nil {
		return nil, err
	}
	c := g.checker()
	if err := c.need(ctx, req.Entity, req.Project, Write, projectNotFound(req.Entity, req.Project)); err != nil {
		return nil, err
	}
	if req.RunID != "" {
		if _, err := g.needRun(ctx, c, req.RunID, Write); err != nil {
			return nil, err
		}
	}
	if lc, ok := g.api.(service.LogChecker); ok {
		if err := lc.CheckUpsert(ctx, req, finish); err != nil {
			return nil, err
		}
	}
	return g.held(ctx, req.Manifest.Blobs())
}

// heldBack answers, for an API without service.Holder, a request whose
// manifest names held blobs: nothing done, and they are missing with the
// blobs the store lacks.
func (g *guard) heldBack(ctx context.Context, m core.Manifest, held []core.Digest) (service.LogResult, error) {
	ds := m.Blobs()
	missing, err := g.api.MissingBlobs(ctx, ds)
	if err != nil {
		return service.LogResult{}, err
	}
	return service.LogResult{Missing: union(ds, missing, held)}, nil
}
