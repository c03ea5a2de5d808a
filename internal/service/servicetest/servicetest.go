// Package servicetest is the conformance suite of service.API: the
// behaviour of DESIGN §2 as any implementation — in-process or over HTTP —
// must show it.
package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Run runs the suite. newAPI returns a fresh, empty store for each subtest.
func Run(t *testing.T, newAPI func(t *testing.T) service.API) {
	tests := []struct {
		name string
		fn   func(t *testing.T, api service.API)
	}{
		{"LogDedupAndVersions", testLogDedupAndVersions},
		{"Aliases", testAliases},
		{"LatestIsManaged", testLatestIsManaged},
		{"DeleteGuard", testDeleteGuard},
		{"UseByReference", testUseByReference},
		{"ManifestAndEntry", testManifestAndEntry},
		{"BlobsVerified", testBlobsVerified},
		{"MissingBlobRefused", testMissingBlobRefused},
		{"SizeMismatch", testSizeMismatch},
		{"BadInputChangesNothing", testBadInput},
		{"UpdateMetadata", testUpdate},
		{"RunsAndNames", testRuns},
		{"FinishedRunCannotLog", testFinishedRun},
		{"Traversal", testTraversal},
		{"LineageMnist", testLineageMnist},
		{"Diff", testDiff},
		{"TypeGraph", testTypeGraph},
		{"ConcurrentLog", testConcurrentLog},
		{"Distributed", testDistributed},
		{"DistributedConflicts", testDistributedConflicts},
		{"DistributedInvalid", testDistributedInvalid},
	}
	tests = append(tests, registryTests...)
	tests = append(tests, pendingTests...)
	tests = append(tests, limitsTests...)
	tests = append(tests, searchTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newAPI(t)) })
	}
}

const (
	entity  = "alice"
	project = "bikes"
)

func ref(s string) core.Ref {
	r, err := core.ParseRef(s)
	if err != nil {
		panic(err)
	}
	return r.WithDefaults(entity, project)
}

// files uploads contents and returns their manifest.
func files(t *testing.T, api service.API, contents map[string]string) core.Manifest {
	t.Helper()
	ctx := context.Background()
	var es []core.Entry
	for p, c := range contents {
		d := core.DigestOf([]byte(c))
		if err := api.PutBlob(ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
			t.Fatalf("PutBlob(%s): %v", p, err)
		}
		es = append(es, core.Entry{Path: p, Digest: d, Size: int64(len(c))})
	}
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func startRun(t *testing.T, api service.API, name, job string) core.Run {
	t.Helper()
	r, err := api.CreateRun(context.Background(), service.NewRun{Entity: entity, Project: project, Name: name, JobType: job})
	if err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	return r
}

func logArtifact(t *testing.T, api service.API, runID, name, typ string, contents map[string]string, aliases ...string) service.LogResult {
	t.Helper()
	res, err := api.LogArtifact(context.Background(), service.LogRequest{
		Entity: entity, Project: project, Name: name, Type: typ, RunID: runID,
		Aliases: aliases, Manifest: files(t, api, contents),
	})
	if err != nil {
		t.Fatalf("LogArtifact(%s): %v", name, err)
	}
	return res
}

func wantKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got error %v, want kind %v", what, err, kind)
	}
}

func labels(vs []core.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Label() + "[" + strings.Join(v.Aliases, ",") + "]"
	}
	return out
}

func testLogDedupAndVersions(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "upload")
	r0 := logArtifact(t, api, run.ID, "bike-dataset", "dataset", map[string]string{"a.txt": "1"})
	if !r0.Created || r0.Version.Index != 0 || !r0.Version.HasAlias("latest") {
		t.Fatalf("first log = %+v, want created v0 with latest", r0)
	}
	r0b := logArtifact(t, api, run.ID, "bike-dataset", "dataset", map[string]string{"a.txt": "1"})
	if r0b.Created || r0b.Version.Index != 0 {
		t.Fatalf("unchanged content gave %+v, want v0 again", r0b)
	}
	r1 := logArtifact(t, api, run.ID, "bike-dataset", "dataset", map[string]string{"a.txt": "2"})
	if !r1.Created || r1.Version.Index != 1 {
		t.Fatalf("changed content gave %+v, want v1", r1)
	}
	vs, err := api.ArtifactVersions(ctx, ref("bike-dataset"))
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(vs); !slices.Equal(got, []string{"v0[]", "v1[latest]"}) {
		t.Fatalf("versions = %v", got)
	}
	if r1.Version.Digest == r0.Version.Digest || r1.Version.Size != 1 || r1.Version.FileCount != 1 {
		t.Fatalf("v1 = %+v", r1.Version)
	}
	// The same content in another collection is its own v0.
	other := logArtifact(t, api, run.ID, "other", "dataset", map[string]string{"a.txt": "1"})
	if !other.Created || other.Version.Index != 0 || other.Version.Digest != r0.Version.Digest {
		t.Fatalf("same content elsewhere = %+v", other.Version)
	}
	// A collection keeps its type.
	_, err = api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: "bike-dataset", Type: "model", RunID: run.ID, Manifest: files(t, api, map[string]string{"m": "x"})})
	wantKind(t, err, core.ErrConflict, "log with another type")
	cols, err := api.Collections(ctx, entity, project, "")
	if err != nil || len(cols) != 2 || cols[0].Name != "bike-dataset" || cols[0].VersionCount != 2 || cols[0].Latest != "v1" {
		t.Fatalf("collections = %+v, %v", cols, err)
	}
	projects, err := api.Projects(ctx, entity)
	if err != nil || !slices.Equal(projects, []string{project}) {
		t.Fatalf("projects = %v, %v", projects, err)
	}
}

func testAliases(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "train")
	logArtifact(t, api, run.ID, "bike-model", "model", map[string]string{"model.h5": "1"}, "latest", "best-ap50")
	v1 := logArtifact(t, api, run.ID, "bike-model", "model", map[string]string{"model.h5": "2"})
	// Logging with a custom alias moves it.
	logArtifact(t, api, run.ID, "bike-model", "model", map[string]string{"model.h5": "3"}, "best-ap50")
	vs, _ := api.ArtifactVersions(ctx, ref("bike-model"))
	if got := labels(vs); !slices.Equal(got, []string{"v0[]", "v1[]", "v2[best-ap50,latest]"}) {
		t.Fatalf("after log with alias: %v", got)
	}
	// Moving an alias by update removes it from the old version.
	if _, err := api.UpdateArtifact(ctx, v1.Version.Ref(), service.Update{AddAliases: []string{"best-ap50", "prod"}}); err != nil {
		t.Fatal(err)
	}
	vs, _ = api.ArtifactVersions(ctx, ref("bike-model"))
	if got := labels(vs); !slices.Equal(got, []string{"v0[]", "v1[best-ap50,prod]", "v2[latest]"}) {
		t.Fatalf("after alias move: %v", got)
	}
	got, err := api.Artifact(ctx, ref("bike-model:prod"))
	if err != nil || got.Index != 1 {
		t.Fatalf("resolve by alias: %+v, %v", got, err)
	}
	if _, err := api.UpdateArtifact(ctx, ref("bike-model:v1"), service.Update{DelAliases: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	_, err = api.Artifact(ctx, ref("bike-model:prod"))
	wantKind(t, err, core.ErrNotFound, "removed alias")
	_, err = api.UpdateArtifact(ctx, ref("bike-model:v1"), service.Update{DelAliases: []string{"never-there"}})
	wantKind(t, err, core.ErrNotFound, "removing an alias the version lacks")
	// Re-logging identical content with an alias moves the alias to the existing version.
	res := logArtifact(t, api, run.ID, "bike-model", "model", map[string]string{"model.h5": "1"}, "golden")
	if res.Created || res.Version.Index != 0 || !res.Version.HasAlias("golden") {
		t.Fatalf("dedup with alias = %+v", res)
	}
}

func testLatestIsManaged(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "1"})
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "2"})
	_, err := api.UpdateArtifact(ctx, ref("d:v0"), service.Update{AddAliases: []string{"latest"}})
	wantKind(t, err, core.ErrInvalid, "adding latest to an old version")
	_, err = api.UpdateArtifact(ctx, ref("d:v1"), service.Update{DelAliases: []string{"latest"}})
	wantKind(t, err, core.ErrInvalid, "removing latest")
	for _, bad := range []string{"v3", "v0", "a b", "x/y", ""} {
		_, err = api.UpdateArtifact(ctx, ref("d:v1"), service.Update{AddAliases: []string{bad}})
		wantKind(t, err, core.ErrInvalid, fmt.Sprintf("alias %q", bad))
	}
	v, _ := api.Artifact(ctx, ref("d"))
	if v.Index != 1 || !slices.Equal(v.Aliases, []string{"latest"}) {
		t.Fatalf("latest = %+v", v)
	}
}

func testDeleteGuard(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "1"})
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "2"}, "best")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "3"})
	err := api.DeleteArtifact(ctx, ref("d:v1"), false)
	wantKind(t, err, core.ErrConflict, "delete of an aliased version")
	vs, _ := api.ArtifactVersions(ctx, ref("d"))
	if got := labels(vs); !slices.Equal(got, []string{"v0[]", "v1[best]", "v2[latest]"}) {
		t.Fatalf("a refused delete changed the versions: %v", got)
	}
	if err := api.DeleteArtifact(ctx, ref("d:v0"), false); err != nil {
		t.Fatalf("delete of an unaliased version: %v", err)
	}
	wantKind(t, api.DeleteArtifact(ctx, ref("d:v2"), false), core.ErrConflict, "delete of latest")
	if err := api.DeleteArtifact(ctx, ref("d:v2"), true); err != nil {
		t.Fatal(err)
	}
	vs, _ = api.ArtifactVersions(ctx, ref("d"))
	if got := labels(vs); !slices.Equal(got, []string{"v1[best,latest]"}) {
		t.Fatalf("after deletes: %v", got)
	}
	_, err = api.Artifact(ctx, ref("d:v0"))
	wantKind(t, err, core.ErrNotFound, "deleted version lookup")
	// Indexes are never reused: new content after a delete gets v3.
	res := logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "4"})
	if res.Version.Index != 3 {
		t.Fatalf("after delete, new version is %s, want v3", res.Version.Label())
	}
	wantKind(t, api.DeleteArtifact(ctx, ref("d:v0"), true), core.ErrNotFound, "deleting twice")
}

func testUseByReference(t *testing.T, api service.API) {
	ctx := context.Background()
	prod := startRun(t, api, "", "")
	logArtifact(t, api, prod.ID, "bike-dataset", "dataset", map[string]string{"a": "1"}, "best")
	logArtifact(t, api, prod.ID, "bike-dataset", "dataset", map[string]string{"a": "2"})
	// An artifact in another entity's project.
	other, err := api.CreateRun(ctx, service.NewRun{Entity: "bob", Project: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.LogArtifact(ctx, service.LogRequest{Entity: "bob", Project: "shared", Name: "bike-model", Type: "model", RunID: other.ID, Manifest: files(t, api, map[string]string{"m": "w"})}); err != nil {
		t.Fatal(err)
	}
	user := startRun(t, api, "", "train")
	for _, tc := range []struct {
		ref   core.Ref
		index int
	}{
		{ref("bike-dataset"), 1},
		{ref("bike-dataset:v0"), 0},
		{ref("bike-dataset:latest"), 1},
		{ref("bike-dataset:best"), 0},
		{ref("bikes/bike-dataset:best"), 0},
		{ref("alice/bikes/bike-dataset:v1"), 1},
		{ref("bob/shared/bike-model:v0"), 0},
	} {
		v, err := api.UseArtifact(ctx, user.ID, tc.ref)
		if err != nil || v.Index != tc.index {
			t.Fatalf("UseArtifact(%s) = %s, %v; want v%d", tc.ref, v.Label(), err, tc.index)
		}
	}
	inputs, err := api.RunInputs(ctx, user.ID)
	if err != nil || len(inputs) != 3 {
		t.Fatalf("run inputs = %v, %v; want 3 distinct versions", labels(inputs), err)
	}
	for _, missing := range []string{"bike-dataset:v9", "bike-dataset:nope", "nothing", "other/bike-dataset"} {
		_, err := api.UseArtifact(ctx, user.ID, ref(missing))
		wantKind(t, err, core.ErrNotFound, "use of "+missing)
	}
	_, err = api.UseArtifact(ctx, "no-such-run", ref("bike-dataset"))
	wantKind(t, err, core.ErrNotFound, "use by an unknown run")
}

func testManifestAndEntry(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	res := logArtifact(t, api, run.ID, "imgs", "dataset", map[string]string{"images/cat.png": "meow", "images/dog.png": "woof", "model.h5": "w"})
	m, err := api.Manifest(ctx, res.Version.Ref())
	if err != nil || m.Len() != 3 || m.Digest() != res.Version.Digest {
		t.Fatalf("manifest = %+v, %v", m.Entries(), err)
	}
	e, err := api.Entry(ctx, res.Version.Ref(), "images/dog.png")
	if err != nil || e.Digest != core.DigestOf([]byte("woof")) || e.Size != 4 {
		t.Fatalf("entry = %+v, %v", e, err)
	}
	_, err = api.Entry(ctx, res.Version.Ref(), "images/cow.png")
	wantKind(t, err, core.ErrNotFound, "missing entry")
	_, err = api.Entry(ctx, res.Version.Ref(), "../etc/passwd")
	wantKind(t, err, core.ErrInvalid, "traversal entry path")
	rc, err := api.GetBlob(ctx, e.Digest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "woof" {
		t.Fatalf("blob = %q, %v", b, err)
	}
}

func testBlobsVerified(t *testing.T, api service.API) {
	ctx := context.Background()
	good := core.DigestOf([]byte("good"))
	err := api.PutBlob(ctx, good, 3, strings.NewReader("bad"))
	wantKind(t, err, core.ErrCorrupt, "put with a wrong digest")
	missing, err := api.MissingBlobs(ctx, []core.Digest{good})
	if err != nil || len(missing) != 1 {
		t.Fatalf("after a corrupt put, MissingBlobs = %v, %v; want the blob missing", missing, err)
	}
	err = api.PutBlob(ctx, good, 99, strings.NewReader("good"))
	wantKind(t, err, core.ErrCorrupt, "put with a wrong size")
	if err := api.PutBlob(ctx, good, 4, strings.NewReader("good")); err != nil {
		t.Fatal(err)
	}
	missing, err = api.MissingBlobs(ctx, []core.Digest{good, core.DigestOf([]byte("other")), good})
	if err != nil || len(missing) != 1 || missing[0] != core.DigestOf([]byte("other")) {
		t.Fatalf("MissingBlobs = %v, %v", missing, err)
	}
	_, err = api.GetBlob(ctx, core.DigestOf([]byte("never stored")))
	wantKind(t, err, core.ErrNotFound, "get of a missing blob")
}

func testMissingBlobRefused(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	stored := files(t, api, map[string]string{"b": "stored"}).Entries()[0]
	lacking := core.DigestOf([]byte("not uploaded"))
	m, _ := core.NewManifest([]core.Entry{{Path: "a", Digest: lacking, Size: 12}, {Path: "a2", Digest: lacking, Size: 12}, stored})
	req := service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", RunID: run.ID, Manifest: m}
	res, err := api.LogArtifact(ctx, req)
	if err != nil || len(res.Missing) != 1 || res.Missing[0] != lacking || res.Version.Name != "" {
		t.Fatalf("log with a blob not uploaded = %+v, %v; want exactly that blob missing", res, err)
	}
	_, err = api.ArtifactVersions(ctx, ref("d"))
	wantKind(t, err, core.ErrNotFound, "versions after a log that lacked blobs")
	if err := api.PutBlob(ctx, lacking, 12, strings.NewReader("not uploaded")); err != nil {
		t.Fatal(err)
	}
	res, err = api.LogArtifact(ctx, req)
	if err != nil || len(res.Missing) != 0 || !res.Created || res.Version.Index != 0 {
		t.Fatalf("log after the upload = %+v, %v", res, err)
	}
	// Logging it again dedups.
	res, err = api.LogArtifact(ctx, req)
	if err != nil || res.Created || len(res.Missing) != 0 {
		t.Fatalf("re-log = %+v, %v", res, err)
	}
}

func testBadInput(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	m := files(t, api, map[string]string{"a": "1"})
	base := service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", RunID: run.ID, Manifest: m}
	cases := map[string]func(r *service.LogRequest){
		"bad name":          func(r *service.LogRequest) { r.Name = "bad name" },
		"traversal name":    func(r *service.LogRequest) { r.Name = ".." },
		"long name":         func(r *service.LogRequest) { r.Name = strings.Repeat("n", 129) },
		"slash type":        func(r *service.LogRequest) { r.Type = "a/b" },
		"reserved type":     func(r *service.LogRequest) { r.Type = "trove-internal" },
		"empty type":        func(r *service.LogRequest) { r.Type = "" },
		"bad project":       func(r *service.LogRequest) { r.Project = "a/b" },
		"bad entity":        func(r *service.LogRequest) { r.Entity = "" },
		"metadata array":    func(r *service.LogRequest) { r.Metadata = json.RawMessage(`[1,2]`) },
		"metadata garbage":  func(r *service.LogRequest) { r.Metadata = json.RawMessage(`{"a":`) },
		"version alias":     func(r *service.LogRequest) { r.Aliases = []string{"v7"} },
		"alias with spaces": func(r *service.LogRequest) { r.Aliases = []string{"a b"} },
	}
	for name, mutate := range cases {
		req := base
		mutate(&req)
		_, err := api.LogArtifact(ctx, req)
		wantKind(t, err, core.ErrInvalid, name)
	}
	_, err := api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", RunID: "nope", Manifest: m})
	wantKind(t, err, core.ErrNotFound, "unknown run")
	if cols, _ := api.Collections(ctx, entity, project, ""); len(cols) != 0 {
		t.Fatalf("bad input created collections: %+v", cols)
	}
	// A manifest with a traversal path cannot even be decoded.
	var mm core.Manifest
	err = json.Unmarshal([]byte(`[{"path":"../x","digest":"`+core.DigestOf(nil).String()+`","size":0}]`), &mm)
	wantKind(t, err, core.ErrInvalid, "manifest with ../")
	_, err = api.CreateRun(ctx, service.NewRun{Entity: entity, Project: project, Config: json.RawMessage(`"str"`)})
	wantKind(t, err, core.ErrInvalid, "config that is not an object")
	_, err = api.CreateRun(ctx, service.NewRun{Entity: entity, Project: project, JobType: "bad\njob"})
	wantKind(t, err, core.ErrInvalid, "job type with a newline")
	_, err = api.Lineage(ctx, service.LineageRequest{RunID: run.ID, Direction: "sideways"})
	wantKind(t, err, core.ErrInvalid, "bad direction")
	_, err = api.Lineage(ctx, service.LineageRequest{RunID: run.ID, Depth: -1})
	wantKind(t, err, core.ErrInvalid, "negative depth")
	_, err = api.Lineage(ctx, service.LineageRequest{})
	wantKind(t, err, core.ErrInvalid, "lineage without a start")
	wantKind(t, api.PutBlob(ctx, core.Digest{}, 0, bytes.NewReader(nil)), core.ErrInvalid, "put without digest")
}

func testUpdate(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "1"})
	desc := "My new description"
	v, err := api.UpdateArtifact(ctx, ref("d:latest"), service.Update{Description: &desc, Metadata: json.RawMessage(`{"newKey":"new value"}`)})
	if err != nil || v.Description != desc || string(v.Metadata) != `{"newKey":"new value"}` {
		t.Fatalf("update = %+v, %v", v, err)
	}
	_, err = api.UpdateArtifact(ctx, ref("d:latest"), service.Update{Metadata: json.RawMessage(`[]`)})
	wantKind(t, err, core.ErrInvalid, "metadata not an object")
	got, _ := api.Artifact(ctx, ref("d:v0"))
	if got.Description != desc || string(got.Metadata) != `{"newKey":"new value"}` {
		t.Fatalf("stored = %+v", got)
	}
}

func testRuns(t *testing.T, api service.API) {
	ctx := context.Background()
	a := startRun(t, api, "", "preprocess")
	b := startRun(t, api, "", "train")
	named := startRun(t, api, "jumping-monkey-1", "preprocess")
	for i, r := range []core.Run{a, b} {
		parts := strings.Split(r.Name, "-")
		if len(parts) != 3 || parts[2] != fmt.Sprint(i+1) {
			t.Errorf("auto name %q, want adjective-noun-%d", r.Name, i+1)
		}
		if len(r.ID) != 8 || r.State != core.RunRunning {
			t.Errorf("run = %+v", r)
		}
	}
	runs, err := api.ListRuns(ctx, entity, project)
	if err != nil || len(runs) != 3 || runs[2].ID != named.ID {
		t.Fatalf("ListRuns = %+v, %v", runs, err)
	}
	got, err := api.GetRun(ctx, entity, project, "jumping-monkey-1")
	if err != nil || got.ID != named.ID {
		t.Fatalf("GetRun by name = %+v, %v", got, err)
	}
	got, err = api.GetRun(ctx, entity, project, b.ID)
	if err != nil || got.Name != b.Name || got.JobType != "train" {
		t.Fatalf("GetRun by id = %+v, %v", got, err)
	}
	_, err = api.GetRun(ctx, entity, project, "nope")
	wantKind(t, err, core.ErrNotFound, "unknown run")
	fin, err := api.FinishRun(ctx, a.ID, core.RunFinished)
	if err != nil || fin.State != core.RunFinished || fin.FinishedAt == nil {
		t.Fatalf("FinishRun = %+v, %v", fin, err)
	}
	_, err = api.FinishRun(ctx, a.ID, core.RunFailed)
	wantKind(t, err, core.ErrConflict, "finishing twice")
	_, err = api.FinishRun(ctx, b.ID, core.RunRunning)
	wantKind(t, err, core.ErrInvalid, "finishing as running")
	if err := api.Heartbeat(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	// Another project numbers its runs from 1.
	r, err := api.CreateRun(ctx, service.NewRun{Entity: entity, Project: "other"})
	if err != nil || !strings.HasSuffix(r.Name, "-1") {
		t.Fatalf("first run of another project = %+v, %v", r, err)
	}
}

func testFinishedRun(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "1"})
	if _, err := api.FinishRun(ctx, run.ID, core.RunFinished); err != nil {
		t.Fatal(err)
	}
	_, err := api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", RunID: run.ID, Manifest: files(t, api, map[string]string{"a": "2"})})
	wantKind(t, err, core.ErrConflict, "log by a finished run")
	_, err = api.UseArtifact(ctx, run.ID, ref("d"))
	wantKind(t, err, core.ErrConflict, "use by a finished run")
}

func testTraversal(t *testing.T, api service.API) {
	ctx := context.Background()
	prod := startRun(t, api, "", "preprocess")
	v := logArtifact(t, api, prod.ID, "data", "dataset", map[string]string{"a": "1"}).Version
	second := startRun(t, api, "", "preprocess")
	logArtifact(t, api, second.ID, "data", "dataset", map[string]string{"a": "1"}) // dedup: a second producer
	u1 := startRun(t, api, "", "train")
	u2 := startRun(t, api, "", "train")
	api.UseArtifact(ctx, u1.ID, v.Ref())
	api.UseArtifact(ctx, u2.ID, v.Ref())
	api.UseArtifact(ctx, u1.ID, v.Ref()) // idempotent
	by, err := api.LoggedBy(ctx, v.Ref())
	if err != nil || by == nil || by.ID != prod.ID {
		t.Fatalf("LoggedBy = %+v, %v; want the first producer", by, err)
	}
	users, err := api.UsedBy(ctx, v.Ref())
	if err != nil || len(users) != 2 || users[0].ID != u1.ID || users[1].ID != u2.ID {
		t.Fatalf("UsedBy = %+v, %v", users, err)
	}
	for _, r := range []core.Run{prod, second} {
		outs, err := api.RunOutputs(ctx, r.ID)
		if err != nil || len(outs) != 1 || outs[0].Index != 0 {
			t.Fatalf("RunOutputs(%s) = %v, %v", r.Name, labels(outs), err)
		}
	}
	ins, err := api.RunInputs(ctx, u2.ID)
	if err != nil || len(ins) != 1 || ins[0].Name != "data" {
		t.Fatalf("RunInputs = %v, %v", labels(ins), err)
	}
	// A version made without a run has no producer.
	res, err := api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: "orphan", Type: "model", Manifest: files(t, api, map[string]string{"m": "1"})})
	if err != nil {
		t.Fatal(err)
	}
	by, err = api.LoggedBy(ctx, res.Version.Ref())
	if err != nil || by != nil {
		t.Fatalf("LoggedBy of a run-less version = %+v, %v", by, err)
	}
}

// mnist builds the lineage of model-lineage.md and returns the run ids.
func mnist(t *testing.T, api service.API) (prep, train, eval core.Run) {
	ctx := context.Background()
	prep = startRun(t, api, "jumping-monkey-1", "preprocess")
	logArtifact(t, api, prep.ID, "mnist_dataset", "dataset", map[string]string{"train_table": "t"})
	train = startRun(t, api, "vague-morning-5", "train_model")
	if _, err := api.UseArtifact(ctx, train.ID, ref("mnist_dataset:v0")); err != nil {
		t.Fatal(err)
	}
	logArtifact(t, api, train.ID, "mnist_model", "model", map[string]string{"model.h5": "m"})
	eval = startRun(t, api, "serene-haze-6", "evaluate")
	if _, err := api.UseArtifact(ctx, eval.ID, ref("mnist_model:v0")); err != nil {
		t.Fatal(err)
	}
	return prep, train, eval
}

func graphString(g core.Graph) string {
	name := map[string]string{}
	var nodes []string
	for _, n := range g.Nodes {
		name[n.ID] = n.Name
		nodes = append(nodes, n.Kind+":"+n.Name)
	}
	var edges []string
	for _, e := range g.Edges {
		edges = append(edges, name[e.From]+">"+name[e.To])
	}
	slices.Sort(nodes)
	slices.Sort(edges)
	return strings.Join(nodes, " ") + " | " + strings.Join(edges, " ")
}

func testLineageMnist(t *testing.T, api service.API) {
	ctx := context.Background()
	_, train, _ := mnist(t, api)
	model := ref("mnist_model:v0")
	g, err := api.Lineage(ctx, service.LineageRequest{Version: &model})
	if err != nil {
		t.Fatal(err)
	}
	want := "artifact:mnist_dataset:v0 artifact:mnist_model:v0 run:jumping-monkey-1 run:serene-haze-6 run:vague-morning-5 | " +
		"jumping-monkey-1>mnist_dataset:v0 mnist_dataset:v0>vague-morning-5 mnist_model:v0>serene-haze-6 vague-morning-5>mnist_model:v0"
	if got := graphString(g); got != want {
		t.Fatalf("lineage of mnist_model:v0\n got %s\nwant %s", got, want)
	}
	for _, n := range g.Nodes {
		switch n.Name {
		case "mnist_model:v0":
			if n.Type != "model" || n.Entity != entity || n.Project != project || !slices.Equal(n.Aliases, []string{"latest"}) {
				t.Errorf("model node = %+v", n)
			}
		case "vague-morning-5":
			if n.JobType != "train_model" || n.RunID != train.ID || n.State != "running" || n.ID != core.RunNodeID(train.ID) {
				t.Errorf("run node = %+v", n)
			}
		}
	}
	ds := ref("mnist_dataset:v0")
	g, _ = api.Lineage(ctx, service.LineageRequest{Version: &ds, Direction: core.Downstream, Depth: 1})
	if got := graphString(g); got != "artifact:mnist_dataset:v0 run:vague-morning-5 | mnist_dataset:v0>vague-morning-5" {
		t.Fatalf("depth 1 downstream of the dataset: %s", got)
	}
	g, _ = api.Lineage(ctx, service.LineageRequest{Version: &model, Direction: core.Upstream})
	if got := graphString(g); got != "artifact:mnist_dataset:v0 artifact:mnist_model:v0 run:jumping-monkey-1 run:vague-morning-5 | jumping-monkey-1>mnist_dataset:v0 mnist_dataset:v0>vague-morning-5 vague-morning-5>mnist_model:v0" {
		t.Fatalf("upstream of the model: %s", got)
	}
	g, _ = api.Lineage(ctx, service.LineageRequest{RunID: train.ID, Direction: core.Both, Depth: 1})
	if got := graphString(g); got != "artifact:mnist_dataset:v0 artifact:mnist_model:v0 run:vague-morning-5 | mnist_dataset:v0>vague-morning-5 vague-morning-5>mnist_model:v0" {
		t.Fatalf("depth 1 around the training run: %s", got)
	}
	missing := ref("mnist_model:v5")
	_, err = api.Lineage(ctx, service.LineageRequest{Version: &missing})
	wantKind(t, err, core.ErrNotFound, "lineage of a missing version")
}

func testDiff(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"keep": "k", "gone": "g", "edit": "1"})
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"keep": "k", "new": "n", "edit": "2"})
	d, err := api.Diff(ctx, ref("d:v0"), ref("d:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Added) != 1 || d.Added[0].Path != "new" || len(d.Removed) != 1 || d.Removed[0].Path != "gone" || len(d.Changed) != 1 || d.Changed[0].Path != "edit" {
		t.Fatalf("diff = %+v", d)
	}
}

func testConcurrentLog(t *testing.T, api service.API) {
	ctx := context.Background()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r, err := api.CreateRun(ctx, service.NewRun{Entity: entity, Project: project})
			if err != nil {
				errs <- err
				return
			}
			c := fmt.Sprint(i)
			d := core.DigestOf([]byte(c))
			if err := api.PutBlob(ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
				errs <- err
				return
			}
			m, _ := core.NewManifest([]core.Entry{{Path: "part", Digest: d, Size: int64(len(c))}})
			_, err = api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: "race", Type: "dataset", RunID: r.ID, Manifest: m})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent log: %v", err)
		}
	}
	vs, err := api.ArtifactVersions(ctx, ref("race"))
	if err != nil || len(vs) != n {
		t.Fatalf("versions = %v, %v", labels(vs), err)
	}
	for i, v := range vs {
		if v.Index != i {
			t.Fatalf("versions not gapless: %v", labels(vs))
		}
	}
	if !vs[n-1].HasAlias("latest") {
		t.Fatalf("latest not on the highest: %v", labels(vs))
	}
}
