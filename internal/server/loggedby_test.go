package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestLoggedByProducers: logged-by answers the first logging run, as it
// always did, plus producers: every run that logged the version (the same
// content logged again by another run), the first logger first.
func TestLoggedByProducers(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	ctx := t.Context()
	const content = "rows"
	d := core.DigestOf([]byte(content))
	if err := e.svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	m, err := core.NewManifest([]core.Entry{{Path: "a.csv", Digest: d, Size: int64(len(content))}})
	if err != nil {
		t.Fatal(err)
	}
	var runs []core.Run
	for range 3 {
		r, err := e.svc.CreateRun(ctx, service.NewRun{Entity: "admin", Project: "p", JobType: "prep"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.LogArtifact(ctx, service.LogRequest{Entity: "admin", Project: "p", Name: "data", Type: "dataset", RunID: r.ID, Manifest: m}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	st, _, b := e.do(t, "GET", "/api/v1/projects/admin/p/artifacts/data/versions/v0/logged-by", nil)
	var got struct {
		core.Run
		Producers []core.Run `json:"producers"`
	}
	if st != http.StatusOK || json.Unmarshal(b, &got) != nil {
		t.Fatalf("logged-by: %d %s", st, b)
	}
	if got.ID != runs[0].ID || got.Name != runs[0].Name {
		t.Errorf("logged-by: %s; want the first logger %s at the top level", b, runs[0].ID)
	}
	var ids []string
	for _, p := range got.Producers {
		ids = append(ids, p.ID)
	}
	if len(ids) != 3 || ids[0] != runs[0].ID || !strings.Contains(strings.Join(ids, ","), runs[1].ID) || !strings.Contains(strings.Join(ids, ","), runs[2].ID) {
		t.Errorf("producers = %v; want %s first, then %s and %s", ids, runs[0].ID, runs[1].ID, runs[2].ID)
	}

	// A version no run logged is still null.
	if _, err := e.svc.LogArtifact(ctx, service.LogRequest{Entity: "admin", Project: "p", Name: "loose", Type: "dataset", Manifest: m}); err != nil {
		t.Fatal(err)
	}
	st, _, b = e.do(t, "GET", "/api/v1/projects/admin/p/artifacts/loose/versions/v0/logged-by", nil)
	if st != http.StatusOK || strings.TrimSpace(string(b)) != "null" {
		t.Errorf("logged-by of a run-less version: %d %s, want null", st, b)
	}
}
