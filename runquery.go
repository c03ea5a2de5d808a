package trove

import (
	"context"

	"github.com/troveml/trove/internal/service"
)

// RunQuery selects and orders the runs of a project (Client.FindRuns). The
// zero RunQuery selects every run, in start order.
type RunQuery struct {
	JobType string   // only runs of this job type; "" for any
	State   RunState // only runs in this state; "" for any
	// Newest orders the runs newest first: by start time, then by id,
	// descending. Else they come in start order.
	Newest bool
	Limit  int // at most this many, the first in the chosen order; 0 for all
}

// FindRuns lists the runs of a project ("" = the default project) that q
// selects, in q's order. Against a server, the server selects them, so
// that only those asked for travel. ErrInvalid for an unknown state, a
// negative limit or a malformed job type, before anything is asked.
func (c *Client) FindRuns(ctx context.Context, project string, q RunQuery) ([]*Run, error) {
	sq := service.RunQuery{JobType: q.JobType, State: q.State, Newest: q.Newest, Limit: q.Limit}
	if err := sq.Check(); err != nil {
		return nil, err
	}
	project = firstNonEmpty(project, c.project)
	if f, ok := c.api.(service.RunFinder); ok {
		return c.runs(f.FindRuns(ctx, c.entity, project, sq))
	}
	rs, err := c.api.ListRuns(ctx, c.entity, project)
	if err != nil {
		return nil, err
	}
	return c.runs(sq.Apply(rs), nil)
}
