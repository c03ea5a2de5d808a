package servicetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Distributed artifacts: UpsertArtifact and FinishArtifact.

func upsertReq(run core.Run, name, typ string, m core.Manifest) service.UpsertRequest {
	return service.UpsertRequest{
		LogRequest:    service.LogRequest{Entity: entity, Project: project, Name: name, Type: typ, RunID: run.ID, Manifest: m},
		DistributedID: run.Group,
	}
}

func groupRun(t *testing.T, api service.API, group string) core.Run {
	t.Helper()
	r, err := api.CreateRun(context.Background(), service.NewRun{Entity: entity, Project: project, JobType: "writer", Group: group})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// versionPaths returns the paths of the version r names.
func versionPaths(t *testing.T, api service.API, r core.Ref) []string {
	t.Helper()
	m, err := api.Manifest(context.Background(), r)
	if err != nil {
		t.Fatalf("Manifest(%s): %v", r, err)
	}
	var ps []string
	for _, e := range m.Entries() {
		ps = append(ps, e.Path)
	}
	return ps
}

func testDistributed(t *testing.T, api service.API) {
	ctx := context.Background()
	const group = "writer-group-1"
	var writers []core.Run
	for i := range 5 {
		w := groupRun(t, api, group)
		writers = append(writers, w)
		m := files(t, api, map[string]string{fmt.Sprintf("parts/table_%d.json", i): fmt.Sprintf(`[[%d,%d,%d]]`, i, 2*i, 1<<i)})
		res, err := api.UpsertArtifact(ctx, upsertReq(w, "parallel-artifact", "dataset", m))
		if err != nil || len(res.Missing) > 0 || res.Version.ID != 0 {
			t.Fatalf("upsert %d: %+v %v", i, res, err)
		}
	}
	// Nothing is a version until finished.
	_, err := api.Artifact(ctx, ref("parallel-artifact"))
	wantKind(t, err, core.ErrNotFound, "latest before the finish")

	fin := groupRun(t, api, group)
	res, err := api.FinishArtifact(ctx, upsertReq(fin, "parallel-artifact", "dataset",
		files(t, api, map[string]string{"distributed_table.json": `{"parts":"parts"}`})))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Version.Index != 0 || res.Version.FileCount != 6 || res.Version.CreatedBy != fin.ID {
		t.Fatalf("finish = %+v", res)
	}
	want := []string{"distributed_table.json"}
	for i := range 5 {
		want = append(want, fmt.Sprintf("parts/table_%d.json", i))
	}
	if got := versionPaths(t, api, ref("parallel-artifact:latest")); !slices.Equal(got, want) {
		t.Fatalf("paths = %v, want %v", got, want)
	}
	g, err := api.Lineage(ctx, service.LineageRequest{Version: ptr(ref("parallel-artifact:v0")), Direction: core.Upstream})
	if err != nil {
		t.Fatal(err)
	}
	var producers []string
	for _, n := range g.Nodes {
		if n.Kind == core.KindRun {
			producers = append(producers, n.RunID)
		}
	}
	wantRuns := []string{fin.ID}
	for _, w := range writers {
		wantRuns = append(wantRuns, w.ID)
	}
	slices.Sort(producers)
	slices.Sort(wantRuns)
	if !slices.Equal(producers, wantRuns) {
		t.Fatalf("producers in the lineage = %v, want %v", producers, wantRuns)
	}

	// Late upsert and second finish: conflicts naming the version, nothing
	// changes.
	late := groupRun(t, api, group)
	_, err = api.UpsertArtifact(ctx, upsertReq(late, "parallel-artifact", "dataset", files(t, api, map[string]string{"late.json": "x"})))
	wantKind(t, err, core.ErrConflict, "upsert after finish")
	if !strings.Contains(err.Error(), "parallel-artifact:v0") {
		t.Errorf("late upsert error %q does not name the version", err)
	}
	_, err = api.FinishArtifact(ctx, upsertReq(late, "parallel-artifact", "dataset", files(t, api, map[string]string{"late.json": "x"})))
	wantKind(t, err, core.ErrConflict, "second finish")
	vs, err := api.ArtifactVersions(ctx, ref("parallel-artifact"))
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions after refused writes: %v %v", labels(vs), err)
	}
	if got := versionPaths(t, api, ref("parallel-artifact:v0")); !slices.Equal(got, want) {
		t.Fatalf("paths after refused writes = %v", got)
	}
	// A new distributed id makes the next version.
	next := groupRun(t, api, "writer-group-2")
	res, err = api.FinishArtifact(ctx, upsertReq(next, "parallel-artifact", "dataset", files(t, api, map[string]string{"late.json": "x"})))
	if err != nil || res.Version.Index != 1 {
		t.Fatalf("finish under a new id: %+v %v", res, err)
	}
}

func ptr[T any](v T) *T { return &v }

func testDistributedConflicts(t *testing.T, api service.API) {
	ctx := context.Background()
	a, b := groupRun(t, api, "g"), groupRun(t, api, "g")
	if _, err := api.UpsertArtifact(ctx, upsertReq(a, "parts", "dataset", files(t, api, map[string]string{"x.json": "first"}))); err != nil {
		t.Fatal(err)
	}
	_, err := api.UpsertArtifact(ctx, upsertReq(b, "parts", "dataset", files(t, api, map[string]string{"x.json": "second", "y.json": "y"})))
	wantKind(t, err, core.ErrConflict, "same path, other content")
	if !strings.Contains(err.Error(), "x.json") {
		t.Errorf("conflict %q does not name the path", err)
	}
	// The same content again is fine.
	if _, err := api.UpsertArtifact(ctx, upsertReq(b, "parts", "dataset", files(t, api, map[string]string{"x.json": "first"}))); err != nil {
		t.Fatalf("same content twice: %v", err)
	}
	// Type mismatch with the pending artifact.
	_, err = api.UpsertArtifact(ctx, upsertReq(b, "parts", "model", files(t, api, map[string]string{"z.json": "z"})))
	wantKind(t, err, core.ErrInvalid, "other type")
	res, err := api.FinishArtifact(ctx, upsertReq(a, "parts", "dataset", core.Manifest{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := versionPaths(t, api, res.Version.Ref()); !slices.Equal(got, []string{"x.json"}) {
		t.Fatalf("finished paths = %v, want only the first writer's x.json", got)
	}
	e, err := api.Entry(ctx, res.Version.Ref(), "x.json")
	if err != nil || e.Digest != core.DigestOf([]byte("first")) {
		t.Fatalf("x.json = %+v %v, want the first writer's content", e, err)
	}
}

func testDistributedInvalid(t *testing.T, api service.API) {
	ctx := context.Background()
	logArtifact(t, api, "", "models", "model", map[string]string{"m": "m"})
	loner := groupRun(t, api, "")
	g := groupRun(t, api, "g")
	m := files(t, api, map[string]string{"a": "a"})
	noRun := upsertReq(g, "p", "dataset", m)
	noRun.RunID = ""
	badName := upsertReq(g, "a b", "dataset", m)
	reserved := upsertReq(g, "p", "trove-x", m)
	for _, tc := range []struct {
		what string
		req  service.UpsertRequest
	}{
		{"no group and no id", upsertReq(loner, "p", "dataset", m)},
		{"no run", noRun},
		{"bad name", badName},
		{"reserved type", reserved},
		{"collection of another type", upsertReq(g, "models", "dataset", m)},
	} {
		_, err := api.UpsertArtifact(ctx, tc.req)
		wantKind(t, err, core.ErrInvalid, "upsert: "+tc.what)
		_, err = api.FinishArtifact(ctx, tc.req)
		wantKind(t, err, core.ErrInvalid, "finish: "+tc.what)
	}
	// Finishing nothing at all.
	_, err := api.FinishArtifact(ctx, upsertReq(g, "p", "dataset", core.Manifest{}))
	wantKind(t, err, core.ErrInvalid, "finish with no entries")
	cols, err := api.Collections(ctx, entity, project, "")
	if err != nil || len(cols) != 1 || cols[0].Name != "models" || cols[0].VersionCount != 1 {
		t.Fatalf("collections after refusals = %+v %v", cols, err)
	}

	// Blobs the store lacks: listed, and nothing is recorded (so finishing
	// then has no entry).
	c := "never uploaded"
	lack, err := core.NewManifest([]core.Entry{{Path: "gone", Digest: core.DigestOf([]byte(c)), Size: int64(len(c))}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := api.UpsertArtifact(ctx, upsertReq(g, "p", "dataset", lack))
	if err != nil || len(res.Missing) != 1 || res.Missing[0] != core.DigestOf([]byte(c)) {
		t.Fatalf("upsert of an absent blob = %+v %v, want it missing", res, err)
	}
	res, err = api.FinishArtifact(ctx, upsertReq(g, "p", "dataset", lack))
	if err != nil || len(res.Missing) != 1 || res.Version.ID != 0 {
		t.Fatalf("finish with an absent blob = %+v %v, want it missing", res, err)
	}
	_, err = api.FinishArtifact(ctx, upsertReq(g, "p", "dataset", core.Manifest{}))
	wantKind(t, err, core.ErrInvalid, "finish after a refused upsert")

	// A finished run upserts nothing.
	if _, err := api.FinishRun(ctx, g.ID, core.RunFinished); err != nil {
		t.Fatal(err)
	}
	_, err = api.UpsertArtifact(ctx, upsertReq(g, "p", "dataset", m))
	wantKind(t, err, core.ErrConflict, "upsert by a finished run")
}
