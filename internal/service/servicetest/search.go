package servicetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// searchTests check service.Searcher, which the embedded service and the
// HTTP client both have (the access rule is the server's: see
// internal/server TestSearchAgreesWithAccess).
var searchTests = []struct {
	name string
	fn   func(t *testing.T, api service.API)
}{
	{"Search", testSearch},
}

func testSearch(t *testing.T, api service.API) {
	ctx := context.Background()
	s, ok := api.(service.Searcher)
	if !ok {
		t.Fatalf("%T is no service.Searcher", api)
	}
	run := startRun(t, api, "findme-run", "train")
	res := logArtifact(t, api, run.ID, "findme-ds", "dataset", map[string]string{"a": "findme"}, "gold")
	hits := func(text string) []service.SearchHit {
		t.Helper()
		hs, err := s.Search(ctx, text, 0)
		if err != nil {
			t.Fatalf("Search(%q): %v", text, err)
		}
		return hs
	}
	got := hits("FINDME")
	if len(got) != 2 || got[0].Kind != "artifact" || got[0].Name != "findme-ds" || got[0].Type != "dataset" ||
		got[1].Kind != "run" || got[1].RunID != run.ID || got[1].Entity != entity || got[1].Project != project {
		t.Errorf("findme: %+v", got)
	}
	hex := strings.TrimPrefix(res.Version.Digest.String(), core.DigestPrefix)
	for _, text := range []string{hex[:6], "sha256:" + hex[:12], "findme-ds:v0", "findme-ds:gold", "gold"} {
		got := hits(text)
		if len(got) != 1 || got[0].Kind != "version" || got[0].Version == nil || *got[0].Version != 0 ||
			got[0].Digest != res.Version.Digest.String() || strings.Join(got[0].Aliases, ",") != "gold,latest" {
			t.Errorf("%s: %+v", text, got)
		}
	}
	if got := hits(run.ID); len(got) != 1 || got[0].Kind != "run" || got[0].Field != "id" {
		t.Errorf("run id: %+v", got)
	}
	for _, c := range []struct {
		text  string
		limit int
	}{{"", 0}, {" ", 0}, {"x", -1}, {"x", service.MaxSearchLimit + 1}} {
		if _, err := s.Search(ctx, c.text, c.limit); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Search(%q, %d): %v, want ErrInvalid", c.text, c.limit, err)
		}
	}
}
