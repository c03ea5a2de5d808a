package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestListRunsQuery: GET .../runs selects and orders runs on the server by
// job_type, state, order and limit; without them it is every run in start
// order; a bad value is a 400 naming the valid ones.
func TestListRunsQuery(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	ctx := t.Context()
	var ids []string
	for i, jt := range []string{"prep", "train", "train", "eval"} {
		r, err := e.svc.CreateRun(ctx, service.NewRun{Entity: "admin", Project: "p", JobType: jt})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		if i == 2 {
			if _, err := e.svc.FinishRun(ctx, r.ID, core.RunFailed); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Millisecond) // distinct start times
	}
	list := func(query string) []string {
		t.Helper()
		st, _, b := e.do(t, "GET", "/api/v1/projects/admin/p/runs?"+query, nil)
		if st != http.StatusOK {
			t.Fatalf("?%s: %d %s", query, st, b)
		}
		var runs []core.Run
		if err := json.Unmarshal(b, &runs); err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", ids},
		{"order=oldest", ids},
		{"order=newest", []string{ids[3], ids[2], ids[1], ids[0]}},
		{"job_type=train", []string{ids[1], ids[2]}},
		{"job_type=train&order=newest&limit=1", []string{ids[2]}},
		{"state=failed", []string{ids[2]}},
		{"state=running&order=newest", []string{ids[3], ids[1], ids[0]}},
		{"limit=2", ids[:2]},
		{"job_type=none", []string{}},
	} {
		if got := list(c.query); !slices.Equal(got, c.want) {
			t.Errorf("?%s = %v, want %v", c.query, got, c.want)
		}
	}
	for _, q := range []string{"state=done", "state=", "limit=0", "limit=-1", "limit=x", "order=random", "job_type=", "limit=1&limit=2"} {
		st, hdr, b := e.do(t, "GET", "/api/v1/projects/admin/p/runs?"+q, nil)
		wantError(t, "?"+q, st, hdr, b, http.StatusBadRequest, "invalid")
	}
	st, hdr, b := e.do(t, "GET", "/api/v1/projects/admin/p/runs?state=done", nil)
	if d := wantError(t, "state=done", st, hdr, b, http.StatusBadRequest, "invalid"); d.Message != `run state "done": want one of running, finished, failed, crashed` {
		t.Errorf("state=done: message %q", d.Message)
	}
}

// FuzzParseRunQuery: any query string parses or fails as invalid, never
// panics, and what it accepts is a valid query.
func FuzzParseRunQuery(f *testing.F) {
	for _, s := range []string{"", "job_type=train&state=failed&order=newest&limit=3", "state=done", "limit=0", "limit=99999999999999999999",
		"order=&job_type=%00", "limit=1&limit=2", "job_type=%20x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		q, err := ParseRunQuery(v)
		if err != nil {
			if core.KindOf(err) != core.ErrInvalid {
				t.Fatalf("error %v has kind %v", err, core.KindOf(err))
			}
			return
		}
		if err := q.Check(); err != nil {
			t.Fatalf("accepted %q, which does not check: %v", query, err)
		}
		if q.Limit < 0 {
			t.Fatalf("accepted limit %d", q.Limit)
		}
	})
}
