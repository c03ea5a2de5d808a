package servicetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Pending (distributed) artifacts: listing, inspecting, abandoning, and the
// shape of their entries.
var pendingTests = []struct {
	name string
	fn   func(t *testing.T, api service.API)
}{
	{"PendingListShowAbandon", testPendingManage},
	{"PendingFileAndDirectory", testPendingShape},
	{"PendingEmptyFinish", testPendingEmptyFinish},
}

// pendingAPI returns api's pending management; every API has it.
func pendingAPI(t *testing.T, api service.API) service.PendingManager {
	t.Helper()
	pm, ok := api.(service.PendingManager)
	if !ok {
		t.Fatalf("%T cannot list or abandon pending artifacts", api)
	}
	return pm
}

func testPendingManage(t *testing.T, api service.API) {
	ctx := context.Background()
	pm := pendingAPI(t, api)
	if ps, err := pm.PendingArtifacts(ctx, entity, project); err != nil || len(ps) != 0 {
		t.Fatalf("PendingArtifacts of an empty project = %+v, %v", ps, err)
	}
	a, b := groupRun(t, api, "g"), groupRun(t, api, "g")
	before := time.Now().Add(-time.Minute)
	for _, up := range []struct {
		run   core.Run
		files map[string]string
	}{{a, map[string]string{"parts/a.json": "aaaa", "parts/b.json": "bb"}}, {b, map[string]string{"parts/c.json": "c"}}} {
		if res, err := api.UpsertArtifact(ctx, upsertReq(up.run, "parallel", "dataset", files(t, api, up.files))); err != nil || len(res.Missing) > 0 {
			t.Fatalf("upsert: %+v %v", res, err)
		}
	}
	ps, err := pm.PendingArtifacts(ctx, entity, project)
	if err != nil || len(ps) != 1 {
		t.Fatalf("PendingArtifacts = %+v, %v", ps, err)
	}
	p := ps[0]
	wantRuns := []string{a.ID, b.ID}
	slices.Sort(wantRuns)
	if p.Name != "parallel" || p.DistributedID != "g" || p.Type != "dataset" || p.State != "open" || p.FileCount != 3 || p.Size != 7 ||
		!slices.Equal(p.Runs, wantRuns) || p.CreatedAt.Before(before) || p.UpdatedAt.Before(p.CreatedAt) {
		t.Fatalf("pending artifact = %+v", p)
	}
	if p.ExpiresAt == nil || !p.ExpiresAt.After(p.UpdatedAt) {
		t.Errorf("open pending artifact without a future expiry: %+v", p.ExpiresAt)
	}
	pref := service.PendingRef{Entity: entity, Project: project, Name: "parallel", DistributedID: "g"}
	d, err := pm.PendingArtifact(ctx, pref)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range d.Entries {
		got = append(got, e.Path)
	}
	if !slices.Equal(got, []string{"parts/a.json", "parts/b.json", "parts/c.json"}) || d.FileCount != 3 {
		t.Fatalf("PendingArtifact entries = %v (%+v)", got, d.PendingArtifact)
	}
	missing := pref
	missing.DistributedID = "other"
	_, err = pm.PendingArtifact(ctx, missing)
	wantKind(t, err, core.ErrNotFound, "show an unknown pending artifact")

	// Abandoned: gone, and the id starts afresh.
	gone, err := pm.AbandonArtifact(ctx, pref)
	if err != nil || gone.FileCount != 3 || gone.Name != "parallel" {
		t.Fatalf("AbandonArtifact = %+v, %v", gone, err)
	}
	_, err = pm.PendingArtifact(ctx, pref)
	wantKind(t, err, core.ErrNotFound, "show an abandoned pending artifact")
	_, err = pm.AbandonArtifact(ctx, pref)
	wantKind(t, err, core.ErrNotFound, "abandon twice")
	if ps, err := pm.PendingArtifacts(ctx, entity, project); err != nil || len(ps) != 0 {
		t.Fatalf("PendingArtifacts after abandon = %+v, %v", ps, err)
	}
	res, err := api.FinishArtifact(ctx, upsertReq(b, "parallel", "dataset", files(t, api, map[string]string{"parts": "a file now"})))
	if err != nil || !res.Created {
		t.Fatalf("finish of the fresh pending artifact: %+v %v", res, err)
	}
	if got := versionPaths(t, api, res.Version.Ref()); !slices.Equal(got, []string{"parts"}) {
		t.Fatalf("version of the fresh pending artifact = %v, want only the finisher's file", got)
	}
	// Finished: shown with its version, not listed, not abandoned.
	d, err = pm.PendingArtifact(ctx, pref)
	if err != nil || d.State != "finished" || d.Version != res.Version.FullName() || d.ExpiresAt != nil {
		t.Fatalf("finished pending artifact = %+v, %v", d.PendingArtifact, err)
	}
	_, err = pm.AbandonArtifact(ctx, pref)
	wantKind(t, err, core.ErrConflict, "abandon a finished one")
	if !strings.Contains(fmt.Sprint(err), res.Version.FullName()) {
		t.Errorf("abandoning a finished one: %q does not name %s", err, res.Version.FullName())
	}
	bad := pref
	bad.Name = "a b"
	_, err = pm.AbandonArtifact(ctx, bad)
	wantKind(t, err, core.ErrInvalid, "abandon with a bad name")
}

func testPendingShape(t *testing.T, api service.API) {
	ctx := context.Background()
	a, b := groupRun(t, api, "g"), groupRun(t, api, "g")
	if _, err := api.UpsertArtifact(ctx, upsertReq(a, "parts", "dataset", files(t, api, map[string]string{"x": "file x", "d/e": "e"}))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		files          map[string]string
		pending, added string
	}{
		{map[string]string{"x/y": "below a file", "ok": "ok"}, "x", "x/y"},
		{map[string]string{"d": "a file where a directory is"}, "d/e", "d"},
	} {
		_, err := api.UpsertArtifact(ctx, upsertReq(b, "parts", "dataset", files(t, api, tc.files)))
		wantKind(t, err, core.ErrConflict, "upsert of "+tc.added)
		if msg := fmt.Sprint(err); !strings.Contains(msg, `"`+tc.pending+`"`) || !strings.Contains(msg, `"`+tc.added+`"`) {
			t.Errorf("conflict %q does not name %q and %q", msg, tc.pending, tc.added)
		}
		_, err = api.FinishArtifact(ctx, upsertReq(b, "parts", "dataset", files(t, api, tc.files)))
		wantKind(t, err, core.ErrConflict, "finish with "+tc.added)
	}
	res, err := api.FinishArtifact(ctx, upsertReq(b, "parts", "dataset", core.Manifest{}))
	if err != nil {
		t.Fatalf("finish after the refusals: %v", err)
	}
	if got := versionPaths(t, api, res.Version.Ref()); !slices.Equal(got, []string{"d/e", "x"}) {
		t.Fatalf("finished paths = %v", got)
	}
}

func testPendingEmptyFinish(t *testing.T, api service.API) {
	ctx := context.Background()
	g := groupRun(t, api, "g")
	// A writer that added nothing, a finisher that adds nothing: refused.
	if _, err := api.UpsertArtifact(ctx, upsertReq(g, "p", "dataset", core.Manifest{})); err != nil {
		t.Fatal(err)
	}
	_, err := api.FinishArtifact(ctx, upsertReq(g, "p", "dataset", core.Manifest{}))
	wantKind(t, err, core.ErrInvalid, "finish with no entry at all")
	if !strings.Contains(fmt.Sprint(err), "--allow-empty") {
		t.Errorf("refusal %q does not say how to allow it", err)
	}
	if _, err := api.Artifact(ctx, ref("p")); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("a refused finish made a version: %v", err)
	}
	req := upsertReq(g, "p", "dataset", core.Manifest{})
	req.AllowEmpty = true
	res, err := api.FinishArtifact(ctx, req)
	if err != nil || !res.Created || res.Version.FileCount != 0 {
		t.Fatalf("allowed empty finish = %+v, %v", res, err)
	}
}
