package service

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// RunQuery selects a project's runs and orders them. Zero fields select
// everything, in start order (as ListRuns lists them).
type RunQuery struct {
	JobType string        // only runs of this job type; "" for any
	State   core.RunState // only runs in this state (crashed as ListRuns tells it); "" for any
	// Newest orders the runs newest first: by start (creation) time, then
	// by id, descending. Else they stay in start order.
	Newest bool
	Limit  int // at most this many, the first in the chosen order; 0 for all
}

// RunStates are the valid values of RunQuery.State, in lifecycle order.
var RunStates = []core.RunState{core.RunRunning, core.RunFinished, core.RunFailed, core.RunCrashed}

// Check validates q: a job type as run creation takes it, a known state, a
// limit that is not negative. core.ErrInvalid names the valid values.
func (q RunQuery) Check() error {
	if err := core.ValidateLabel("job type", q.JobType); err != nil {
		return err
	}
	if q.State != "" && !q.State.Valid() {
		names := make([]string, len(RunStates))
		for i, s := range RunStates {
			names[i] = string(s)
		}
		return core.Errorf(core.ErrInvalid, "run state %q: want one of %s", q.State, strings.Join(names, ", "))
	}
	if q.Limit < 0 {
		return core.Errorf(core.ErrInvalid, "limit %d: want at least 1 (or none for all)", q.Limit)
	}
	return nil
}

// Apply returns the runs of runs (in start order, as ListRuns lists them)
// that q selects, in q's order. runs is not modified.
func (q RunQuery) Apply(runs []core.Run) []core.Run {
	out := make([]core.Run, 0, len(runs))
	for _, r := range runs {
		if (q.JobType == "" || r.JobType == q.JobType) && (q.State == "" || r.State == q.State) {
			out = append(out, r)
		}
	}
	if q.Newest {
		slices.SortStableFunc(out, func(a, b core.Run) int {
			if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

// RunFinder is the optional ability of an API to select and order runs
// (RunQuery) where they are kept: over HTTP, on the server, so that only the runs
// asked for travel. *Service has it, and so does the HTTP client. Check
// for it with a type assertion; without it, ListRuns and RunQuery.Apply
// give the same answer.
type RunFinder interface {
	// FindRuns returns the runs of a project that q selects, in q's
	// order; empty for an unknown project. core.ErrInvalid when q is not
	// valid (RunQuery.Check).
	FindRuns(ctx context.Context, entity, project string, q RunQuery) ([]core.Run, error)
}

var _ RunFinder = (*Service)(nil)

// FindRuns implements RunFinder.
func (s *Service) FindRuns(ctx context.Context, entity, project string, q RunQuery) ([]core.Run, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	runs, err := s.ListRuns(ctx, entity, project)
	if err != nil {
		return nil, err
	}
	return q.Apply(runs), nil
}
