package client

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestFindRuns: FindRuns sends its query as parameters (the server
// selects), refuses a bad query without a request, and applies the query
// again to the answer of a server that ignores the parameters.
func TestFindRuns(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var queries []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		// An older server: every run, in start order.
		json.NewEncoder(w).Encode([]core.Run{
			{ID: "a", JobType: "train", State: core.RunFinished, StartedAt: t0},
			{ID: "b", JobType: "eval", State: core.RunFinished, StartedAt: t0.Add(time.Second)},
			{ID: "c", JobType: "train", State: core.RunFailed, StartedAt: t0.Add(2 * time.Second)},
			{ID: "d", JobType: "train", State: core.RunFinished, StartedAt: t0.Add(3 * time.Second)},
		})
	}))
	defer ts.Close()
	c, err := New(ts.URL, Options{APIKey: "trove_" + "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	runs, err := c.FindRuns(t.Context(), "e", "p", service.RunQuery{JobType: "train", State: core.RunFinished, Newest: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].ID != "d" {
		t.Errorf("FindRuns = %+v, want run d only", runs)
	}
	if want := []string{"/api/v1/projects/e/p/runs?job_type=train&limit=1&order=newest&state=finished"}; !slices.Equal(queries, want) {
		t.Errorf("requests %q, want %q", queries, want)
	}
	if _, err := c.FindRuns(t.Context(), "e", "p", service.RunQuery{State: "done"}); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("bad state: %v, want invalid", err)
	}
	if len(queries) != 1 {
		t.Errorf("a bad query sent a request: %q", queries)
	}
}
