package authz

import (
	"context"

	"github.com/troveml/trove/internal/service"
)

// UpsertArtifact implements service.API as LogArtifact does: Write on the
// artifact's project and on the run's, and stored blobs of the entries that
// p has not shown to have are reported missing (possession.go), so that
// naming a digest in a pending artifact grants no access to its content.
func (g *guard) UpsertArtifact(ctx context.Context, req service.UpsertRequest) (service.LogResult, error) {
	if res, held, err := g.checkUpsert(ctx, req); held || err != nil {
		return res, err
	}
	return g.api.UpsertArtifact(ctx, req)
}

// FinishArtifact implements service.API like UpsertArtifact, for the
// finisher's own entries. The entries other runs upserted were checked when
// they were upserted: the finisher needs only Write on the project to
// commit them.
func (g *guard) FinishArtifact(ctx context.Context, req service.UpsertRequest) (service.LogResult, error) {
	if res, held, err := g.checkUpsert(ctx, req); held || err != nil {
		return res, err
	}
	return g.api.FinishArtifact(ctx, req)
}

// checkUpsert checks access for an upsert or a finish; held says that the
// answer is res (missing blobs) and the service must not be called.
func (g *guard) checkUpsert(ctx context.Context, req service.UpsertRequest) (res service.LogResult, held bool, err error) {
	if err := checkProject(req.Entity, req.Project); err != nil {
		return res, false, err
	}
	c := g.checker()
	if err := c.need(ctx, req.Entity, req.Project, Write, projectNotFound(req.Entity, req.Project)); err != nil {
		return res, false, err
	}
	if req.RunID != "" {
		if _, err := g.needRun(ctx, c, req.RunID, Write); err != nil {
			return res, false, err
		}
	}
	missing, err := g.checkPossession(ctx, req.Manifest)
	if err != nil {
		return res, false, err
	}
	if len(missing) > 0 {
		res, err = logUnproven(req.LogRequest, missing)
		return res, true, err
	}
	return res, false, nil
}
