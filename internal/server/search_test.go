package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

func (w *accessWorld) search(t *testing.T, user, text string) []service.SearchHit {
	t.Helper()
	status, _, body := w.call(t, "GET", apiPrefix+"/search?q="+url.QueryEscape(text)+"&limit=100", w.keys[user], "")
	var hits []service.SearchHit
	if status != 200 || json.Unmarshal(body, &hits) != nil || hits == nil {
		t.Fatalf("%s searches %q: %d %s", user, text, status, body)
	}
	return hits
}

// TestSearchAgreesWithAccess: every user finds, by every way of searching,
// exactly the seeded things of the projects it may read (authz's
// ProjectAccess decides), and of a project it may not read not even a
// count: its answer is the one a search for nothing gets.
func TestSearchAgreesWithAccess(t *testing.T) {
	w := newAccessWorld(t, true)
	ctx := context.Background()
	hex := func(v core.Version) string { return strings.TrimPrefix(v.Digest.String(), core.DigestPrefix) }
	for _, user := range []string{"admin", "owner", "member", "viewer", "stranger"} {
		for ep, seed := range w.seeds {
			access, err := authz.ProjectAccess(ctx, w.st, w.p[user], seed.entity, seed.project)
			if err != nil {
				t.Fatal(err)
			}
			texts := map[string]string{
				"ds digest prefix":    hex(seed.ds)[:8],
				"model full digest":   seed.model.Digest.String(),
				"producer run id":     seed.producer.ID,
				"consumer run id":     seed.consumer.ID,
				"ds:v0":               "ds:v0",
				"alias prod":          "prod",
				"artifact name":       "model",
				"run name prefix":     "produc",
				"project name":        seed.project,
				"name:alias in caps":  "DS:PROD",
				"run name, exact one": "consumer",
			}
			for what, text := range texts {
				found := false
				for _, h := range w.search(t, user, text) {
					a, err := authz.ProjectAccess(ctx, w.st, w.p[user], h.Entity, h.Project)
					if err != nil {
						t.Fatal(err)
					}
					if a < authz.Read {
						t.Errorf("%s finds %+v (%s: %q), which it may not read", user, h, what, text)
					}
					if h.Entity == seed.entity && h.Project == seed.project {
						found = true
					}
				}
				if found != (access >= authz.Read) {
					t.Errorf("%s, %s access to %s: search for the %s %q finds it: %v", user, access, ep, what, text, found)
				}
			}
		}
	}
	// Hidden is nothing: the same bytes as a digest nobody has.
	private := w.seeds["owner/private"]
	_, _, hidden := w.call(t, "GET", apiPrefix+"/search?q="+hex(private.ds)[:10], w.keys["stranger"], "")
	_, _, none := w.call(t, "GET", apiPrefix+"/search?q=0000000000", w.keys["stranger"], "")
	if string(hidden) != string(none) || strings.TrimSpace(string(none)) != "[]" {
		t.Errorf("stranger's search for a private digest: %s; for no digest: %s", hidden, none)
	}
	// A session (the web UI) searches as its user.
	status, _, body := w.call(t, "GET", apiPrefix+"/search?q="+private.producer.ID, "", "", "Cookie", SessionCookie+"="+w.sessions["owner"])
	if status != 200 || !strings.Contains(string(body), `"run_id":"`+private.producer.ID+`"`) {
		t.Errorf("owner's session finds its run: %d %s", status, body)
	}
}

// TestSearchQuery: q is required, once; limit is 1 to 100; the default
// limit is 20; a hit links what the UI needs.
func TestSearchQuery(t *testing.T) {
	w := newAccessWorld(t, true)
	for _, q := range []string{"", "q=", "q=a&q=b", "q=a&limit=0", "q=a&limit=101", "q=a&limit=x", "q=a&limit=1&limit=2",
		"q=" + strings.Repeat("a", 257), "q=a%00b", "q=%20%20"} {
		status, hdr, body := w.call(t, "GET", apiPrefix+"/search?"+q, w.keys["owner"], "")
		wantError(t, "?"+q, status, hdr, body, 400, "invalid")
	}
	hits := w.search(t, "owner", "ds:v0")
	if len(hits) != 3 {
		t.Fatalf("ds:v0 for owner: %+v, want one per project", hits)
	}
	h := hits[0]
	if h.Kind != "version" || h.Match != "exact" || h.Field != "version" || h.Version == nil || *h.Version != 0 ||
		h.Type != "dataset" || !strings.HasPrefix(h.Digest, core.DigestPrefix) || len(h.Aliases) == 0 {
		t.Errorf("a version hit: %+v", h)
	}
	status, _, body := w.call(t, "GET", apiPrefix+"/search?q=d", w.keys["admin"], "")
	var all []service.SearchHit
	if status != 200 || json.Unmarshal(body, &all) != nil || len(all) > service.DefaultSearchLimit {
		t.Errorf("default limit: %d, %d hits", status, len(all))
	}
}

// TestSearchClientAndEmbedded: the HTTP client's Search answers what the
// server does for its key; the embedded service (no access control) finds
// everything, as a site admin's client does.
func TestSearchClientAndEmbedded(t *testing.T) {
	w := newAccessWorld(t, true)
	ctx := context.Background()
	text := "ds"
	embedded, err := w.svc.Search(ctx, text, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"admin", "stranger", "member"} {
		c, err := client.New(w.ts.URL, client.Options{APIKey: w.keys[user], RetryFor: -1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Search(ctx, text, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := w.search(t, user, text)
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("%s: client %s; HTTP %s", user, gb, wb)
		}
		if user == "admin" {
			eb, _ := json.Marshal(embedded)
			if len(embedded) == 0 || string(eb) != string(gb) {
				t.Errorf("embedded %s; admin %s", eb, gb)
			}
		}
		if _, err := c.Search(ctx, "", 0); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s: empty search: %v", user, err)
		}
		if _, err := c.Search(ctx, "x", service.MaxSearchLimit+1); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s: limit 101: %v", user, err)
		}
	}
}
