package trove

import (
	"context"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// ProjectInfo is a project with its visibility and sizes: Entity, Name,
// Public (readable by every user of a server), Artifacts (with at least one
// committed version) and Runs.
type ProjectInfo = service.ProjectInfo

// Projects lists the projects of entity, or of every entity when entity is
// "", by entity then name; registries are not listed. Embedded, that is
// every project; against a server, those the caller may read (its own, its
// teams', public ones). ErrInvalid for a malformed entity name.
func (c *Client) Projects(ctx context.Context, entity string) ([]ProjectInfo, error) {
	pl, ok := c.api.(service.ProjectLister)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this store cannot list projects")
	}
	return pl.ProjectInfos(ctx, entity)
}
