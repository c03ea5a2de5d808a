package service_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestRunQuery: Apply filters, orders newest first by start time then id
// (descending) when asked, else keeps the given order, and limits; Check
// refuses what it cannot select by.
func TestRunQuery(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	runs := []core.Run{
		{ID: "b", JobType: "train", State: core.RunFinished, StartedAt: t0},
		{ID: "a", JobType: "train", State: core.RunFailed, StartedAt: t0},
		{ID: "c", JobType: "eval", State: core.RunFinished, StartedAt: t0.Add(time.Second)},
		{ID: "d", JobType: "train", State: core.RunRunning, StartedAt: t0.Add(-time.Second)},
	}
	orig := slices.Clone(runs)
	ids := func(rs []core.Run) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		q    service.RunQuery
		want []string
	}{
		{service.RunQuery{}, []string{"b", "a", "c", "d"}},
		{service.RunQuery{Newest: true}, []string{"c", "b", "a", "d"}}, // b and a start together: by id, descending
		{service.RunQuery{Newest: true, JobType: "train"}, []string{"b", "a", "d"}},
		{service.RunQuery{Newest: true, State: core.RunFinished}, []string{"c", "b"}},
		{service.RunQuery{Newest: true, Limit: 2}, []string{"c", "b"}},
		{service.RunQuery{Limit: 1, JobType: "eval"}, []string{"c"}},
		{service.RunQuery{JobType: "none"}, []string{}},
	} {
		if got := ids(c.q.Apply(runs)); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
	if !slices.EqualFunc(runs, orig, func(a, b core.Run) bool { return a.ID == b.ID }) {
		t.Error("Apply reordered its input")
	}
	for _, q := range []service.RunQuery{{State: "done"}, {Limit: -1}, {JobType: " x"}} {
		if err := q.Check(); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Check(%+v) = %v, want invalid", q, err)
		}
	}
}
