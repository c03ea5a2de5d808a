// Package metatest is the conformance suite of the metadata store: every
// database the store runs on must pass it.
package metatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// Run runs the suite; open must return a fresh, empty store for each subtest
// (and close it when the test ends).
func Run(t *testing.T, open func(t *testing.T) *meta.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *meta.Store)
	}{
		{"RunFields", testRunFields},
		{"RunAutoNames", testRunAutoNames},
		{"RunAutoNamesConcurrent", testRunAutoNamesConcurrent},
		{"RunConflict", testRunConflict},
		{"RunInvalid", testRunInvalid},
		{"FindAndListRuns", testFindAndListRuns},
		{"UpdateRun", testUpdateRun},
		{"ListProjects", testListProjects},
		{"CommitNewVersion", testCommitNewVersion},
		{"CommitTypeConflict", testCommitTypeConflict},
		{"CommitDedup", testCommitDedup},
		{"CommitInvalid", testCommitInvalid},
		{"Collections", testCollections},
		{"ResolveVersion", testResolveVersion},
		{"GetAndListVersions", testGetAndListVersions},
		{"FindVersionByDigest", testFindVersionByDigest},
		{"ManifestAndEntry", testManifestAndEntry},
		{"UpdateVersion", testUpdateVersion},
		{"DeleteVersion", testDeleteVersion},
		{"DeleteLastVersion", testDeleteLastVersion},
		{"InputsOutputsOrder", testInputsOutputsOrder},
		{"LineageMNIST", testLineageMNIST},
		{"LineageDepth", testLineageDepth},
		{"LineageCycle", testLineageCycle},
		{"LineageDeleted", testLineageDeleted},
		{"LineageInvalid", testLineageInvalid},
		{"ConcurrentCommits", testConcurrentCommits},
		{"ConcurrentDedup", testConcurrentDedup},
	}
	tests = append(tests, accountsTests...)
	tests = append(tests, sessionTests...)
	tests = append(tests, typeGraphTests...)
	tests = append(tests, refsTests...)
	tests = append(tests, registryTests...)
	tests = append(tests, expiryTests...)
	tests = append(tests, pendingTests...)
	tests = append(tests, settingsTests...)
	tests = append(tests, searchTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

const (
	ent  = "team"
	proj = "mnist"
)

// t0 has microsecond precision, the store's resolution.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 8000, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// manifest builds a manifest of files path → content.
func manifest(t *testing.T, pathContent ...string) core.Manifest {
	t.Helper()
	var es []core.Entry
	for i := 0; i+1 < len(pathContent); i += 2 {
		c := []byte(pathContent[i+1])
		es = append(es, core.Entry{Path: pathContent[i], Digest: core.DigestOf(c), Size: int64(len(c))})
	}
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newRun(t *testing.T, s *meta.Store, id, name string) core.Run {
	t.Helper()
	r, err := s.CreateRun(t.Context(), meta.NewRun{ID: id, Entity: ent, Project: proj, Name: name, Now: t0})
	if err != nil {
		t.Fatalf("CreateRun(%s): %v", id, err)
	}
	return r
}

// commit logs a version of a dataset in ent/proj.
func commit(t *testing.T, s *meta.Store, name, runID string, m core.Manifest, aliases ...string) core.Version {
	t.Helper()
	v, _, err := s.CommitVersion(t.Context(), meta.Commit{
		Entity: ent, Project: proj, Name: name, Type: "dataset", Manifest: m,
		Aliases: aliases, RunID: runID, Now: t0,
	})
	if err != nil {
		t.Fatalf("CommitVersion(%s): %v", name, err)
	}
	return v
}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v, want kind %v", err, kind)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func runIDs(rs []core.Run) []string {
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func labels(vs []core.Version) []string {
	ls := []string{}
	for _, v := range vs {
		ls = append(ls, v.Name+":"+v.Label())
	}
	return ls
}

func resolve(t *testing.T, s *meta.Store, name, sel string) (core.Version, error) {
	t.Helper()
	return s.ResolveVersion(t.Context(), core.Ref{Entity: ent, Project: proj, Name: name, Selector: sel})
}

func mustResolve(t *testing.T, s *meta.Store, name, sel string) core.Version {
	t.Helper()
	v, err := resolve(t, s, name, sel)
	if err != nil {
		t.Fatalf("ResolveVersion(%s:%s): %v", name, sel, err)
	}
	return v
}

func testRunFields(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	r, err := s.CreateRun(ctx, meta.NewRun{
		ID: "abc123", Entity: ent, Project: proj, Name: "train-it", JobType: "train", Group: "sweep-1",
		Config: json.RawMessage(`{"lr": 0.1, "layers": [1, 2]}`), Tags: []string{"b", "a"}, Now: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := core.Run{
		ID: "abc123", Name: "train-it", Entity: ent, Project: proj, JobType: "train", Group: "sweep-1",
		Config: json.RawMessage(`{"lr":0.1,"layers":[1,2]}`), Tags: []string{"b", "a"}, State: core.RunRunning,
		StartedAt: t0, HeartbeatAt: t0,
	}
	wantEqual(t, "created run", r, want)
	got, err := s.GetRun(ctx, "abc123")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "GetRun", got, want)

	// Defaults: config {} and tags [], never null.
	r, err = s.CreateRun(ctx, meta.NewRun{ID: "def456", Entity: ent, Project: proj, Name: "x", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Config) != "{}" || r.Tags == nil || len(r.Tags) != 0 {
		t.Errorf("defaults: config %s, tags %#v; want {} and []", r.Config, r.Tags)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"config":{}`) || !strings.Contains(string(b), `"tags":[]`) {
		t.Errorf("run JSON %s lacks config {} or tags []", b)
	}

	_, err = s.GetRun(ctx, "nope")
	wantKind(t, err, core.ErrNotFound)
}

func testRunAutoNames(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	auto := func(seq int64) string { return fmt.Sprintf("auto-%d", seq) }
	create := func(id, project string) string {
		t.Helper()
		r, err := s.CreateRun(ctx, meta.NewRun{ID: id, Entity: ent, Project: project, AutoName: auto, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		return r.Name
	}
	var got []string
	for i := range 3 {
		got = append(got, create(fmt.Sprintf("p1-%d", i), "one"))
	}
	got = append(got, create("p2-0", "two"), create("p1-3", "one"), create("p2-1", "two"))
	wantEqual(t, "names", got, []string{"auto-1", "auto-2", "auto-3", "auto-1", "auto-4", "auto-2"})
}

func testRunAutoNamesConcurrent(t *testing.T, s *meta.Store) {
	const n = 16
	auto := func(seq int64) string { return fmt.Sprintf("auto-%d", seq) }
	names := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r, err := s.CreateRun(t.Context(), meta.NewRun{ID: fmt.Sprintf("run%02d", i), Entity: ent, Project: proj, AutoName: auto, Now: t0})
			if err != nil {
				errs <- err
				return
			}
			names[i] = r.Name
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(names)
	var want []string
	for i := 1; i <= n; i++ {
		want = append(want, fmt.Sprintf("auto-%d", i))
	}
	slices.Sort(want)
	wantEqual(t, "names", names, want)
}

func testRunConflict(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	auto := func(seq int64) string { return fmt.Sprintf("auto-%d", seq) }
	nr := meta.NewRun{ID: "dup", Entity: ent, Project: proj, AutoName: auto, JobType: "first", Now: t0}
	if _, err := s.CreateRun(ctx, nr); err != nil {
		t.Fatal(err)
	}
	nr.JobType = "second"
	_, err := s.CreateRun(ctx, nr)
	wantKind(t, err, core.ErrConflict)
	r, err := s.GetRun(ctx, "dup")
	if err != nil || r.JobType != "first" {
		t.Fatalf("after conflict: %+v, %v; want the first run unchanged", r, err)
	}
	// The failed create consumed no run number.
	nr.ID = "next"
	r, err = s.CreateRun(ctx, nr)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "next auto name", r.Name, "auto-2")
}

func testRunInvalid(t *testing.T, s *meta.Store) {
	for i, cfg := range []string{`[1]`, `"x"`, `{`, `null`, `42`, `{"a":1} {}`} {
		_, err := s.CreateRun(t.Context(), meta.NewRun{ID: fmt.Sprint("r", i), Entity: ent, Project: proj, Config: json.RawMessage(cfg), Now: t0})
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("config %s: error %v, want invalid", cfg, err)
		}
	}
	_, err := s.CreateRun(t.Context(), meta.NewRun{Entity: ent, Project: proj, Now: t0})
	wantKind(t, err, core.ErrInvalid)
	runs, err := s.ListRuns(t.Context(), ent, proj)
	if err != nil || len(runs) != 0 {
		t.Fatalf("after invalid creates: %d runs, %v; want none", len(runs), err)
	}
}

func testFindAndListRuns(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "r1", "alpha")
	newRun(t, s, "r2", "beta")
	newRun(t, s, "r3", "alpha")
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "r4", Entity: ent, Project: "other", Name: "alpha", Now: t0}); err != nil {
		t.Fatal(err)
	}
	r, err := s.FindRun(ctx, ent, proj, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "newest alpha", r.ID, "r3")
	r, err = s.FindRun(ctx, ent, proj, "beta")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "beta", r.ID, "r2")
	_, err = s.FindRun(ctx, ent, proj, "gamma")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.FindRun(ctx, "nobody", proj, "alpha")
	wantKind(t, err, core.ErrNotFound)

	runs, err := s.ListRuns(ctx, ent, proj)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "ListRuns", runIDs(runs), []string{"r1", "r2", "r3"})
	runs, err = s.ListRuns(ctx, ent, "unknown")
	if err != nil || runs == nil || len(runs) != 0 {
		t.Fatalf("ListRuns(unknown) = %#v, %v; want an empty slice", runs, err)
	}
}

func testUpdateRun(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "r1", "alpha")
	hb := at(10)
	r, err := s.UpdateRun(ctx, "r1", meta.RunUpdate{HeartbeatAt: &hb})
	if err != nil {
		t.Fatal(err)
	}
	if !r.HeartbeatAt.Equal(hb) || r.State != core.RunRunning || r.FinishedAt != nil {
		t.Errorf("after heartbeat: %+v", r)
	}
	st, fin := core.RunFinished, at(20)
	if _, err := s.UpdateRun(ctx, "r1", meta.RunUpdate{State: &st, FinishedAt: &fin}); err != nil {
		t.Fatal(err)
	}
	r, err = s.GetRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != core.RunFinished || r.FinishedAt == nil || !r.FinishedAt.Equal(fin) || !r.HeartbeatAt.Equal(hb) || !r.StartedAt.Equal(t0) {
		t.Errorf("after finish: %+v", r)
	}
	_, err = s.UpdateRun(ctx, "nope", meta.RunUpdate{State: &st})
	wantKind(t, err, core.ErrNotFound)
	_, err = s.UpdateRun(ctx, "nope", meta.RunUpdate{})
	wantKind(t, err, core.ErrNotFound)
	bad := core.RunState("exploded")
	_, err = s.UpdateRun(ctx, "r1", meta.RunUpdate{State: &bad})
	wantKind(t, err, core.ErrInvalid)
}

func testListProjects(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	for i, p := range []string{"zeta", "alpha", "mid"} {
		if _, err := s.CreateRun(ctx, meta.NewRun{ID: fmt.Sprint("r", i), Entity: ent, Project: p, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: "beta", Name: "d", Type: "dataset", Now: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "x", Entity: "someone-else", Project: "hidden", Now: t0}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.ListProjects(ctx, ent)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "projects", ps, []string{"alpha", "beta", "mid", "zeta"})
	ps, err = s.ListProjects(ctx, "nobody")
	if err != nil || ps == nil || len(ps) != 0 {
		t.Fatalf("ListProjects(nobody) = %#v, %v; want an empty slice", ps, err)
	}
}

func testCommitNewVersion(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "r1", "alpha")
	m := manifest(t, "b.txt", "bb", "a.txt", "a")
	v, created, err := s.CommitVersion(ctx, meta.Commit{
		Entity: ent, Project: proj, Name: "data", Type: "dataset", Manifest: m,
		Description: "first", Metadata: json.RawMessage(`{"rows": 3}`), Aliases: []string{"best"},
		RunID: "r1", Now: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("created = false for new content")
	}
	want := core.Version{
		ID: v.ID, Entity: ent, Project: proj, Name: "data", Type: "dataset", Index: 0, Digest: m.Digest(),
		Description: "first", Metadata: json.RawMessage(`{"rows":3}`), Aliases: []string{"best", "latest"},
		Size: 3, FileCount: 2, State: core.VersionCommitted, CreatedAt: t0, CreatedBy: "r1",
	}
	wantEqual(t, "v0", v, want)
	got, err := s.GetVersion(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "GetVersion(v0)", got, want)

	// A second version, without run or metadata, takes v1 and latest.
	v1, created, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "data", Type: "dataset",
		Manifest: manifest(t, "a.txt", "changed"), Now: at(1)})
	if err != nil || !created {
		t.Fatalf("second commit: created %v, %v", created, err)
	}
	if v1.Index != 1 || string(v1.Metadata) != "{}" || v1.CreatedBy != "" || !slices.Equal(v1.Aliases, []string{"latest"}) {
		t.Errorf("v1 = %+v", v1)
	}
	got, err = s.GetVersion(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "v0 aliases after v1", got.Aliases, []string{"best"})

	// An empty manifest is a version too.
	ve := commit(t, s, "empty", "", core.Manifest{})
	if ve.Size != 0 || ve.FileCount != 0 || ve.Aliases == nil {
		t.Errorf("empty version = %+v", ve)
	}
}

func testCommitTypeConflict(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	commit(t, s, "mnist", "", manifest(t, "a", "1"))
	_, _, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "mnist", Type: "model",
		Manifest: manifest(t, "a", "2"), Now: t0})
	wantKind(t, err, core.ErrConflict)
	if !strings.Contains(err.Error(), "is of type dataset, not model") {
		t.Errorf("error %q does not name the types", err)
	}
	vs, err := s.ListVersions(ctx, ent, proj, "mnist")
	if err != nil || len(vs) != 1 {
		t.Fatalf("after conflict: %d versions, %v; want 1", len(vs), err)
	}
}

func testCommitDedup(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "ra", "a")
	newRun(t, s, "rb", "b")
	m0 := manifest(t, "f", "zero")
	v0, created, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "d", Type: "dataset",
		Manifest: m0, Description: "orig", Metadata: json.RawMessage(`{"k":1}`), Aliases: []string{"a"}, RunID: "ra", Now: t0})
	if err != nil || !created {
		t.Fatal(created, err)
	}
	v1 := commit(t, s, "d", "ra", manifest(t, "f", "one"), "b")

	// rb logs v0's content again.
	got, created, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "d", Type: "dataset",
		Manifest: m0, Description: "new", Metadata: json.RawMessage(`{"k":2}`), Aliases: []string{"b", "c"}, RunID: "rb", Now: at(5)})
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("created = true for content identical to v0")
	}
	if got.ID != v0.ID || got.Index != 0 || got.Description != "orig" || string(got.Metadata) != `{"k":1}` || got.CreatedBy != "ra" {
		t.Errorf("dedup returned %+v; want v0 unchanged", got)
	}
	wantEqual(t, "v0 aliases", got.Aliases, []string{"a", "b", "c"})
	v1, err = s.GetVersion(ctx, v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "v1 aliases", v1.Aliases, []string{"latest"})
	vs, err := s.ListVersions(ctx, ent, proj, "d")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "versions", labels(vs), []string{"d:v0", "d:v1"})

	prods, err := s.Producers(ctx, v0.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "producers of v0", runIDs(prods), []string{"ra", "rb"})
	outs, err := s.RunOutputs(ctx, "rb")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "outputs of rb", labels(outs), []string{"d:v0"})

	// Logging it once more by the same run adds nothing.
	if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "d", Type: "dataset",
		Manifest: m0, RunID: "rb", Now: at(6)}); err != nil {
		t.Fatal(err)
	}
	prods, err = s.Producers(ctx, v0.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "producers of v0 after a repeat", runIDs(prods), []string{"ra", "rb"})

	// Dedups consumed no index.
	v2 := commit(t, s, "d", "", manifest(t, "f", "two"))
	wantEqual(t, "next index", v2.Index, 2)
}

func testCommitInvalid(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	base := meta.Commit{Entity: ent, Project: proj, Name: "d", Type: "dataset", Manifest: manifest(t, "f", "x"), Now: t0}
	for _, md := range []string{`[]`, `"s"`, `{"a":`, `null`} {
		c := base
		c.Metadata = json.RawMessage(md)
		_, _, err := s.CommitVersion(ctx, c)
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("metadata %s: error %v, want invalid", md, err)
		}
	}
	c := base
	c.RunID = "no-such-run"
	_, _, err := s.CommitVersion(ctx, c)
	wantKind(t, err, core.ErrNotFound)
	c = base
	c.Name = "bad/name"
	_, _, err = s.CommitVersion(ctx, c)
	wantKind(t, err, core.ErrInvalid)
	// None of them left anything behind.
	_, err = s.GetCollection(ctx, ent, proj, "d")
	wantKind(t, err, core.ErrNotFound)
	ps, err := s.ListProjects(ctx, ent)
	if err != nil || len(ps) != 0 {
		t.Fatalf("projects after failed commits: %v, %v; want none", ps, err)
	}
}

func testCollections(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	commit(t, s, "zdata", "", manifest(t, "f", "1"))
	commit(t, s, "zdata", "", manifest(t, "f", "2"))
	commit(t, s, "adata", "", manifest(t, "f", "1"))
	if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "model", Type: "model",
		Manifest: manifest(t, "w", "1"), Now: at(3)}); err != nil {
		t.Fatal(err)
	}
	gone := commit(t, s, "gone", "", manifest(t, "f", "1"))
	if err := s.DeleteVersion(ctx, gone.ID, true); err != nil {
		t.Fatal(err)
	}

	cs, err := s.ListCollections(ctx, ent, proj, "")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, Type, Latest string
		Count              int
	}
	var rows []row
	for _, c := range cs {
		if c.Entity != ent || c.Project != proj {
			t.Errorf("collection %+v: wrong entity or project", c)
		}
		rows = append(rows, row{c.Name, c.Type, c.Latest, c.VersionCount})
	}
	wantEqual(t, "collections", rows, []row{
		{"adata", "dataset", "v0", 1}, {"model", "model", "v0", 1}, {"zdata", "dataset", "v1", 2},
	})
	// A collection whose versions are all deleted is not listed, but
	// GetCollection still finds it (its indexes are not reused).
	if c, err := s.GetCollection(ctx, ent, proj, "gone"); err != nil || c.VersionCount != 0 || c.Latest != "" {
		t.Errorf("GetCollection(gone) = %+v, %v; want it with no versions", c, err)
	}
	cs, err = s.ListCollections(ctx, ent, proj, "model")
	if err != nil || len(cs) != 1 || cs[0].Name != "model" {
		t.Fatalf("ListCollections(model) = %+v, %v", cs, err)
	}
	cs, err = s.ListCollections(ctx, ent, "unknown", "")
	if err != nil || cs == nil || len(cs) != 0 {
		t.Fatalf("ListCollections(unknown) = %#v, %v; want an empty slice", cs, err)
	}

	c, err := s.GetCollection(ctx, ent, proj, "model")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "model", c, core.Collection{Entity: ent, Project: proj, Name: "model", Type: "model", CreatedAt: at(3), VersionCount: 1, Latest: "v0"})
	_, err = s.GetCollection(ctx, ent, proj, "nope")
	wantKind(t, err, core.ErrNotFound)
}

func testResolveVersion(t *testing.T, s *meta.Store) {
	v0 := commit(t, s, "d", "", manifest(t, "f", "0"), "stable")
	v1 := commit(t, s, "d", "", manifest(t, "f", "1"))
	tests := []struct {
		name, sel string
		want      int64 // 0: not found
	}{
		{"d", "", v1.ID},
		{"d", "latest", v1.ID},
		{"d", "v0", v0.ID},
		{"d", "v1", v1.ID},
		{"d", "stable", v0.ID},
		{"d", "v2", 0},
		{"d", "missing", 0},
		{"nope", "", 0},
		{"nope", "v0", 0},
	}
	for _, tc := range tests {
		v, err := resolve(t, s, tc.name, tc.sel)
		if tc.want == 0 {
			if !errors.Is(err, core.ErrNotFound) {
				t.Errorf("%s:%s: error %v, want not found", tc.name, tc.sel, err)
			} else if !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.sel) {
				t.Errorf("%s:%s: error %q does not name the reference", tc.name, tc.sel, err)
			}
			continue
		}
		if err != nil || v.ID != tc.want {
			t.Errorf("%s:%s = %s (id %d), %v; want id %d", tc.name, tc.sel, v.Label(), v.ID, err, tc.want)
		}
	}
}

func testGetAndListVersions(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	var want []string
	for i := range 4 {
		commit(t, s, "d", "", manifest(t, "f", fmt.Sprint(i)))
		want = append(want, fmt.Sprintf("d:v%d", i))
	}
	vs, err := s.ListVersions(ctx, ent, proj, "d")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "versions", labels(vs), want)
	for _, v := range vs {
		if v.Aliases == nil || string(v.Metadata) != "{}" || v.State != core.VersionCommitted {
			t.Errorf("listed %+v: want aliases [], metadata {}, committed", v)
		}
	}
	wantEqual(t, "latest aliases", vs[3].Aliases, []string{"latest"})
	_, err = s.ListVersions(ctx, ent, proj, "nope")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.GetVersion(ctx, 987654)
	wantKind(t, err, core.ErrNotFound)
}

func testFindVersionByDigest(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	m := manifest(t, "f", "0")
	v0 := commit(t, s, "d", "", m)
	commit(t, s, "d", "", manifest(t, "f", "1"))
	v, err := s.FindVersionByDigest(ctx, ent, proj, "d", m.Digest())
	if err != nil || v.ID != v0.ID {
		t.Fatalf("FindVersionByDigest = %+v, %v; want v0", v, err)
	}
	_, err = s.FindVersionByDigest(ctx, ent, proj, "d", manifest(t, "f", "2").Digest())
	wantKind(t, err, core.ErrNotFound)
	_, err = s.FindVersionByDigest(ctx, ent, proj, "other", m.Digest())
	wantKind(t, err, core.ErrNotFound)
}

func testManifestAndEntry(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	es := []core.Entry{
		{Path: "images/cat.png", Digest: core.DigestOf([]byte("cat")), Size: 3},
		{Path: "a.txt", Digest: core.DigestOf([]byte("a")), Size: 1},
		{Path: "remote/data.csv", Digest: core.DigestOf([]byte("etag")), Size: 1 << 40, Ref: "s3://bucket/data.csv",
			Extra: map[string]string{"etag": "abc", "version_id": "7"}},
	}
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	v := commit(t, s, "d", "", m)
	if v.Size != 4+1<<40 || v.FileCount != 3 {
		t.Errorf("size %d, file count %d", v.Size, v.FileCount)
	}
	got, err := s.Manifest(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "entries", got.Entries(), m.Entries())
	if got.Digest() != v.Digest {
		t.Error("stored manifest has another digest")
	}
	e, err := s.Entry(ctx, v.ID, "remote/data.csv")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "entry", e, es[2])
	_, err = s.Entry(ctx, v.ID, "images/dog.png")
	wantKind(t, err, core.ErrNotFound)
	if !strings.Contains(err.Error(), "images/dog.png") {
		t.Errorf("error %q does not name the path", err)
	}
	_, err = s.Entry(ctx, 987654, "a.txt")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.Manifest(ctx, 987654)
	wantKind(t, err, core.ErrNotFound)

	ve := commit(t, s, "empty", "", core.Manifest{})
	got, err = s.Manifest(ctx, ve.ID)
	if err != nil || got.Len() != 0 {
		t.Fatalf("empty manifest: %d entries, %v", got.Len(), err)
	}

	// Many entries cross the store's insert batches.
	var many []core.Entry
	for i := range 1000 {
		many = append(many, core.Entry{Path: fmt.Sprintf("f/%04d", i), Digest: core.DigestOf([]byte{byte(i), byte(i >> 8)}), Size: int64(i)})
	}
	mm, err := core.NewManifest(many)
	if err != nil {
		t.Fatal(err)
	}
	vm := commit(t, s, "many", "", mm)
	got, err = s.Manifest(ctx, vm.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "1000 entries", got.Entries(), mm.Entries())
}

func testUpdateVersion(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	v0 := commit(t, s, "d", "", manifest(t, "f", "0"), "prod", "old")
	v1 := commit(t, s, "d", "", manifest(t, "f", "1"))

	// An alias moves; it stays unique in the collection.
	got, err := s.UpdateVersion(ctx, v1.ID, meta.VersionUpdate{AddAliases: []string{"prod", "new"}})
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "v1 aliases", got.Aliases, []string{"latest", "new", "prod"})
	v0, err = s.GetVersion(ctx, v0.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "v0 aliases", v0.Aliases, []string{"old"})
	if v := mustResolve(t, s, "d", "prod"); v.ID != v1.ID {
		t.Errorf("prod resolves to %s, want v1", v.Label())
	}

	// Removing an alias the version lacks fails and changes nothing.
	desc := "changed"
	_, err = s.UpdateVersion(ctx, v0.ID, meta.VersionUpdate{Description: &desc, DelAliases: []string{"old", "prod"}})
	wantKind(t, err, core.ErrNotFound)
	if !strings.Contains(err.Error(), "prod") {
		t.Errorf("error %q does not name the alias", err)
	}
	v0, err = s.GetVersion(ctx, v0.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v0.Description != "" || !slices.Equal(v0.Aliases, []string{"old"}) {
		t.Errorf("after failed update v0 = %+v; want it unchanged", v0)
	}

	got, err = s.UpdateVersion(ctx, v0.ID, meta.VersionUpdate{Description: &desc, Metadata: json.RawMessage(`{"acc": 0.9}`), DelAliases: []string{"old"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "changed" || string(got.Metadata) != `{"acc":0.9}` || len(got.Aliases) != 0 || got.Aliases == nil {
		t.Errorf("updated v0 = %+v", got)
	}
	_, err = resolve(t, s, "d", "old")
	wantKind(t, err, core.ErrNotFound)

	_, err = s.UpdateVersion(ctx, v0.ID, meta.VersionUpdate{Metadata: json.RawMessage(`[1]`)})
	wantKind(t, err, core.ErrInvalid)
	_, err = s.UpdateVersion(ctx, 987654, meta.VersionUpdate{Description: &desc})
	wantKind(t, err, core.ErrNotFound)
}

func testDeleteVersion(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "r1", "one")
	newRun(t, s, "user", "user")
	m0, m1 := manifest(t, "f", "0"), manifest(t, "f", "1")
	v0 := commit(t, s, "d", "r1", m0)
	v1 := commit(t, s, "d", "r1", m1, "prod")
	if err := s.AddInput(ctx, "user", v1.ID, t0); err != nil {
		t.Fatal(err)
	}

	// Refused while it has aliases; nothing changes.
	err := s.DeleteVersion(ctx, v1.ID, false)
	wantKind(t, err, core.ErrConflict)
	// It names the aliases and says what deleting them does; latest
	// cannot be removed by hand, so it says where latest goes.
	if want := "has aliases latest, prod: deleting it with its aliases removes prod and moves latest to v0"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to say %q", err, want)
	}
	if v := mustResolve(t, s, "d", "latest"); v.ID != v1.ID || !slices.Equal(v.Aliases, []string{"latest", "prod"}) {
		t.Fatalf("after refused delete latest = %+v", v)
	}

	// Allowed with its aliases: latest moves back to v0.
	if err := s.DeleteVersion(ctx, v1.ID, true); err != nil {
		t.Fatal(err)
	}
	if v := mustResolve(t, s, "d", ""); v.ID != v0.ID || !slices.Equal(v.Aliases, []string{"latest"}) {
		t.Errorf("latest after delete = %s %v; want v0 [latest]", v.Label(), v.Aliases)
	}
	for _, sel := range []string{"prod", "v1"} {
		_, err := resolve(t, s, "d", sel)
		wantKind(t, err, core.ErrNotFound)
	}
	_, err = s.GetVersion(ctx, v1.ID)
	wantKind(t, err, core.ErrNotFound)
	_, err = s.FindVersionByDigest(ctx, ent, proj, "d", m1.Digest())
	wantKind(t, err, core.ErrNotFound)
	vs, err := s.ListVersions(ctx, ent, proj, "d")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "versions after delete", labels(vs), []string{"d:v0"})
	outs, err := s.RunOutputs(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "outputs after delete", labels(outs), []string{"d:v0"})
	ins, err := s.RunInputs(ctx, "user")
	if err != nil || ins == nil || len(ins) != 0 {
		t.Errorf("inputs after delete = %v, %v; want an empty slice", labels(ins), err)
	}
	_, err = s.Producers(ctx, v1.ID)
	wantKind(t, err, core.ErrNotFound)
	err = s.DeleteVersion(ctx, v1.ID, true)
	wantKind(t, err, core.ErrNotFound)
	err = s.AddInput(ctx, "user", v1.ID, t0)
	wantKind(t, err, core.ErrNotFound)
	c, err := s.GetCollection(ctx, ent, proj, "d")
	if err != nil || c.VersionCount != 1 || c.Latest != "v0" {
		t.Errorf("collection after delete = %+v, %v", c, err)
	}

	// Indexes are not reused, and deleted content logged again is new.
	v2 := commit(t, s, "d", "", manifest(t, "f", "2"))
	wantEqual(t, "index after delete", v2.Index, 2)
	v3, created, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "d", Type: "dataset", Manifest: m1, Now: t0})
	if err != nil || !created || v3.Index != 3 || v3.ID == v1.ID {
		t.Fatalf("re-logging deleted content: %s created %v, %v; want a new v3", v3.Label(), created, err)
	}
	// latest alone needs the flag too (the newest version is not lost by
	// a slip), and the refusal says where latest would go; a custom alias
	// alone is named and removed with it.
	err = s.DeleteVersion(ctx, v3.ID, false)
	wantKind(t, err, core.ErrConflict)
	if want := "d:v3 is latest: deleting it with its aliases moves latest to v2"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to say %q", err, want)
	}
	if _, err := s.UpdateVersion(ctx, v2.ID, meta.VersionUpdate{AddAliases: []string{"best"}}); err != nil {
		t.Fatal(err)
	}
	err = s.DeleteVersion(ctx, v2.ID, false)
	wantKind(t, err, core.ErrConflict)
	if want := "d:v2 has aliases best: deleting it with its aliases removes them"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to say %q", err, want)
	}
	// A version without aliases needs no flag.
	if err := s.DeleteVersion(ctx, v0.ID, false); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s.DeleteVersion(ctx, 987654, true), core.ErrNotFound)
}

func testDeleteLastVersion(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	v0 := commit(t, s, "d", "", manifest(t, "f", "0"))
	err := s.DeleteVersion(ctx, v0.ID, false)
	wantKind(t, err, core.ErrConflict)
	if want := "d:v0 is latest: deleting it with its aliases removes latest: no version of d remains"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to say %q", err, want)
	}
	if err := s.DeleteVersion(ctx, v0.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = resolve(t, s, "d", "latest")
	wantKind(t, err, core.ErrNotFound)
	vs, err := s.ListVersions(ctx, ent, proj, "d")
	if err != nil || vs == nil || len(vs) != 0 {
		t.Fatalf("ListVersions after deleting all = %v, %v; want an empty slice", vs, err)
	}
	c, err := s.GetCollection(ctx, ent, proj, "d")
	if err != nil || c.VersionCount != 0 || c.Latest != "" {
		t.Fatalf("collection = %+v, %v", c, err)
	}
	v1 := commit(t, s, "d", "", manifest(t, "f", "0"))
	if v1.Index != 1 || !slices.Equal(v1.Aliases, []string{"latest"}) {
		t.Errorf("after deleting all, new version = %s %v; want v1 [latest]", v1.Label(), v1.Aliases)
	}
}

func testInputsOutputsOrder(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	for _, id := range []string{"ra", "rb", "rc", "rd"} {
		newRun(t, s, id, id)
	}
	d0 := commit(t, s, "d", "", manifest(t, "f", "0"))
	d1 := commit(t, s, "e", "", manifest(t, "f", "1"))
	// Edge times decide the order, and recording order breaks ties.
	for _, in := range []struct {
		run string
		v   int64
		sec int
	}{{"rc", d0.ID, 1}, {"ra", d0.ID, 2}, {"rd", d0.ID, 2}, {"rb", d0.ID, 0}, {"ra", d1.ID, 0}} {
		if err := s.AddInput(ctx, in.run, in.v, at(in.sec)); err != nil {
			t.Fatal(err)
		}
	}
	// Idempotent: a repeat keeps the first time.
	if err := s.AddInput(ctx, "rc", d0.ID, at(9)); err != nil {
		t.Fatal(err)
	}
	cons, err := s.Consumers(ctx, d0.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "consumers", runIDs(cons), []string{"rb", "rc", "ra", "rd"})
	ins, err := s.RunInputs(ctx, "ra")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "inputs of ra", labels(ins), []string{"e:v0", "d:v0"})

	err = s.AddInput(ctx, "nope", d0.ID, t0)
	wantKind(t, err, core.ErrNotFound)
	err = s.AddInput(ctx, "ra", 987654, t0)
	wantKind(t, err, core.ErrNotFound)
	_, err = s.Consumers(ctx, 987654)
	wantKind(t, err, core.ErrNotFound)
	_, err = s.RunInputs(ctx, "nope")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.RunOutputs(ctx, "nope")
	wantKind(t, err, core.ErrNotFound)

	// Producers: the creator and a run whose commit deduplicated to it, in
	// edge order; outputs of a run in edge order.
	m := manifest(t, "x", "x")
	for _, c := range []struct {
		run string
		sec int
	}{{"rb", 10}, {"ra", 12}, {"rc", 11}} {
		if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "out", Type: "dataset", Manifest: m, RunID: c.run, Now: at(c.sec)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "first", Type: "dataset", Manifest: m, RunID: "ra", Now: at(5)}); err != nil {
		t.Fatal(err)
	}
	out := mustResolve(t, s, "out", "v0")
	prods, err := s.Producers(ctx, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "producers", runIDs(prods), []string{"rb", "rc", "ra"})
	cons, err = s.Consumers(ctx, out.ID)
	if err != nil || cons == nil || len(cons) != 0 {
		t.Errorf("consumers of an unused version = %v, %v; want an empty slice", cons, err)
	}
	outs, err := s.RunOutputs(ctx, "ra")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "outputs of ra", labels(outs), []string{"first:v0", "out:v0"})
}

// mnist builds the walkthrough's chain: jumping-monkey-1 logs
// mnist_dataset:v0; vague-morning-5 uses it and logs mnist_model:v0;
// serene-haze-6 uses the model.
func mnist(t *testing.T, s *meta.Store) (dataset, model core.Version) {
	t.Helper()
	ctx := t.Context()
	for _, r := range []struct{ id, name, job string }{
		{"jm1", "jumping-monkey-1", "upload"}, {"vm5", "vague-morning-5", "train"}, {"sh6", "serene-haze-6", "eval"},
	} {
		if _, err := s.CreateRun(ctx, meta.NewRun{ID: r.id, Entity: ent, Project: proj, Name: r.name, JobType: r.job, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	dataset = commit(t, s, "mnist_dataset", "jm1", manifest(t, "train.npz", "digits"))
	if err := s.AddInput(ctx, "vm5", dataset.ID, at(1)); err != nil {
		t.Fatal(err)
	}
	model, _, err := s.CommitVersion(ctx, meta.Commit{Entity: ent, Project: proj, Name: "mnist_model", Type: "model",
		Manifest: manifest(t, "model.pt", "weights"), Aliases: []string{"best"}, RunID: "vm5", Now: at(2)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddInput(ctx, "sh6", model.ID, at(3)); err != nil {
		t.Fatal(err)
	}
	return dataset, model
}

const (
	nDataset = "artifact:team/mnist/mnist_dataset:v0"
	nModel   = "artifact:team/mnist/mnist_model:v0"
	nJM      = "run:jm1"
	nVM      = "run:vm5"
	nSH      = "run:sh6"
)

func lineage(t *testing.T, s *meta.Store, lq meta.LineageQuery) core.Graph {
	t.Helper()
	g, err := s.Lineage(t.Context(), lq)
	if err != nil {
		t.Fatalf("Lineage(%+v): %v", lq, err)
	}
	return g
}

// shape reduces a graph to "id@depth" nodes and "from>to" edges.
func shape(g core.Graph) (nodes, edges []string) {
	nodes, edges = []string{}, []string{}
	for _, n := range g.Nodes {
		nodes = append(nodes, fmt.Sprintf("%s@%d", n.ID, n.Depth))
	}
	for _, e := range g.Edges {
		edges = append(edges, e.From+">"+e.To)
	}
	return nodes, edges
}

func testLineageMNIST(t *testing.T, s *meta.Store) {
	dataset, model := mnist(t, s)

	g := lineage(t, s, meta.LineageQuery{VersionID: model.ID, Direction: core.Both})
	wantEqual(t, "nodes", g.Nodes, []core.Node{
		{ID: nDataset, Kind: core.KindArtifact, Entity: ent, Project: proj, Name: "mnist_dataset:v0", Type: "dataset", Aliases: []string{"latest"}, Depth: 2},
		{ID: nModel, Kind: core.KindArtifact, Entity: ent, Project: proj, Name: "mnist_model:v0", Type: "model", Aliases: []string{"best", "latest"}, Depth: 0},
		{ID: nJM, Kind: core.KindRun, Entity: ent, Project: proj, Name: "jumping-monkey-1", RunID: "jm1", JobType: "upload", State: "running", Depth: 3},
		{ID: nSH, Kind: core.KindRun, Entity: ent, Project: proj, Name: "serene-haze-6", RunID: "sh6", JobType: "eval", State: "running", Depth: 1},
		{ID: nVM, Kind: core.KindRun, Entity: ent, Project: proj, Name: "vague-morning-5", RunID: "vm5", JobType: "train", State: "running", Depth: 1},
	})
	wantEqual(t, "edges", g.Edges, []core.Edge{
		{From: nDataset, To: nVM}, {From: nModel, To: nSH}, {From: nJM, To: nDataset}, {From: nVM, To: nModel},
	})

	tests := []struct {
		name  string
		lq    meta.LineageQuery
		nodes []string
		edges []string
	}{
		{"dataset downstream depth 1", meta.LineageQuery{VersionID: dataset.ID, Direction: core.Downstream, Depth: 1},
			[]string{nDataset + "@0", nVM + "@1"}, []string{nDataset + ">" + nVM}},
		{"dataset downstream depth 2", meta.LineageQuery{VersionID: dataset.ID, Direction: core.Downstream, Depth: 2},
			[]string{nDataset + "@0", nModel + "@2", nVM + "@1"}, []string{nDataset + ">" + nVM, nVM + ">" + nModel}},
		{"dataset downstream", meta.LineageQuery{VersionID: dataset.ID, Direction: core.Downstream},
			[]string{nDataset + "@0", nModel + "@2", nSH + "@3", nVM + "@1"},
			[]string{nDataset + ">" + nVM, nModel + ">" + nSH, nVM + ">" + nModel}},
		{"dataset upstream", meta.LineageQuery{VersionID: dataset.ID, Direction: core.Upstream},
			[]string{nDataset + "@0", nJM + "@1"}, []string{nJM + ">" + nDataset}},
		{"model upstream depth 2", meta.LineageQuery{VersionID: model.ID, Direction: core.Upstream, Depth: 2},
			[]string{nDataset + "@2", nModel + "@0", nVM + "@1"}, []string{nDataset + ">" + nVM, nVM + ">" + nModel}},
		{"model both depth 1", meta.LineageQuery{VersionID: model.ID, Direction: core.Both, Depth: 1},
			[]string{nModel + "@0", nSH + "@1", nVM + "@1"}, []string{nModel + ">" + nSH, nVM + ">" + nModel}},
		{"run upstream", meta.LineageQuery{RunID: "sh6", Direction: core.Upstream},
			[]string{nDataset + "@3", nModel + "@1", nJM + "@4", nSH + "@0", nVM + "@2"},
			[]string{nDataset + ">" + nVM, nModel + ">" + nSH, nJM + ">" + nDataset, nVM + ">" + nModel}},
		{"run downstream", meta.LineageQuery{RunID: "sh6", Direction: core.Downstream},
			[]string{nSH + "@0"}, []string{}},
		{"run both default direction", meta.LineageQuery{RunID: "vm5"},
			[]string{nDataset + "@1", nModel + "@1", nJM + "@2", nSH + "@2", nVM + "@0"},
			[]string{nDataset + ">" + nVM, nModel + ">" + nSH, nJM + ">" + nDataset, nVM + ">" + nModel}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes, edges := shape(lineage(t, s, tc.lq))
			wantEqual(t, "nodes", nodes, tc.nodes)
			wantEqual(t, "edges", edges, tc.edges)
		})
	}
}

// testLineageDepth checks that depth is the shortest distance and that edges
// between kept nodes are returned even when the walk did not take them.
func testLineageDepth(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	// ds -> prep -> clean -> train -> model, and train also uses ds.
	newRun(t, s, "prep", "prep")
	newRun(t, s, "train", "train")
	ds := commit(t, s, "ds", "", manifest(t, "f", "raw"))
	if err := s.AddInput(ctx, "prep", ds.ID, t0); err != nil {
		t.Fatal(err)
	}
	clean := commit(t, s, "clean", "prep", manifest(t, "f", "clean"))
	for _, v := range []int64{clean.ID, ds.ID} {
		if err := s.AddInput(ctx, "train", v, t0); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, s, "model", "train", manifest(t, "f", "model"))
	const (
		nDS, nClean, nModel = "artifact:team/mnist/ds:v0", "artifact:team/mnist/clean:v0", "artifact:team/mnist/model:v0"
		nPrep, nTrain       = "run:prep", "run:train"
	)
	nodes, edges := shape(lineage(t, s, meta.LineageQuery{VersionID: ds.ID, Direction: core.Downstream, Depth: 1}))
	wantEqual(t, "depth 1 nodes", nodes, []string{nDS + "@0", nPrep + "@1", nTrain + "@1"})
	wantEqual(t, "depth 1 edges", edges, []string{nDS + ">" + nPrep, nDS + ">" + nTrain})
	nodes, edges = shape(lineage(t, s, meta.LineageQuery{VersionID: ds.ID, Direction: core.Downstream, Depth: 2}))
	wantEqual(t, "depth 2 nodes", nodes, []string{nClean + "@2", nDS + "@0", nModel + "@2", nPrep + "@1", nTrain + "@1"})
	// clean -> train joins two kept nodes although the walk never took it.
	wantEqual(t, "depth 2 edges", edges, []string{nClean + ">" + nTrain, nDS + ">" + nPrep, nDS + ">" + nTrain, nPrep + ">" + nClean, nTrain + ">" + nModel})
	nodes, _ = shape(lineage(t, s, meta.LineageQuery{VersionID: ds.ID, Direction: core.Downstream}))
	wantEqual(t, "unlimited nodes", nodes, []string{nClean + "@2", nDS + "@0", nModel + "@2", nPrep + "@1", nTrain + "@1"})
	nodes, _ = shape(lineage(t, s, meta.LineageQuery{RunID: "train", Direction: core.Upstream}))
	wantEqual(t, "upstream of train", nodes, []string{nClean + "@1", nDS + "@1", nPrep + "@2", nTrain + "@0"})
}

func testLineageCycle(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "maker", "maker")
	newRun(t, s, "loop", "loop")
	m := manifest(t, "f", "same")
	v0 := commit(t, s, "d", "maker", m)
	if err := s.AddInput(ctx, "loop", v0.ID, t0); err != nil {
		t.Fatal(err)
	}
	// The run logs identical content: it dedups to v0, closing a 2-cycle.
	if v := commit(t, s, "d", "loop", m); v.ID != v0.ID {
		t.Fatalf("expected dedup to v0, got %s", v.Label())
	}
	const nV, nLoop, nMaker = "artifact:team/mnist/d:v0", "run:loop", "run:maker"
	for _, lq := range []meta.LineageQuery{
		{VersionID: v0.ID, Direction: core.Both},
		{VersionID: v0.ID, Direction: core.Downstream},
		{VersionID: v0.ID, Direction: core.Both, Depth: 5},
		{RunID: "loop", Direction: core.Upstream},
	} {
		g := lineage(t, s, lq)
		nodes, edges := shape(g)
		if len(g.Nodes) > 3 || !slices.Contains(edges, nV+">"+nLoop) || !slices.Contains(edges, nLoop+">"+nV) {
			t.Errorf("%+v: nodes %v edges %v", lq, nodes, edges)
		}
	}
	nodes, edges := shape(lineage(t, s, meta.LineageQuery{VersionID: v0.ID, Direction: core.Both}))
	wantEqual(t, "cycle nodes", nodes, []string{nV + "@0", nLoop + "@1", nMaker + "@1"})
	wantEqual(t, "cycle edges", edges, []string{nV + ">" + nLoop, nLoop + ">" + nV, nMaker + ">" + nV})

	// A 4-cycle d:v0 -> loop -> e:v0 -> back -> d:v0: with Both, each node's
	// depth is the shorter of its downstream and upstream distances.
	newRun(t, s, "back", "back")
	e0 := commit(t, s, "e", "loop", manifest(t, "g", "e"))
	if err := s.AddInput(ctx, "back", e0.ID, t0); err != nil {
		t.Fatal(err)
	}
	commit(t, s, "d", "back", m)
	const nE, nBack = "artifact:team/mnist/e:v0", "run:back"
	nodes, _ = shape(lineage(t, s, meta.LineageQuery{VersionID: v0.ID, Direction: core.Both}))
	wantEqual(t, "4-cycle both", nodes, []string{nV + "@0", nE + "@2", nBack + "@1", nLoop + "@1", nMaker + "@1"})
	nodes, _ = shape(lineage(t, s, meta.LineageQuery{VersionID: v0.ID, Direction: core.Downstream}))
	wantEqual(t, "4-cycle downstream", nodes, []string{nV + "@0", nE + "@2", nBack + "@3", nLoop + "@1"})
	nodes, _ = shape(lineage(t, s, meta.LineageQuery{VersionID: v0.ID, Direction: core.Upstream, Depth: 2}))
	wantEqual(t, "4-cycle upstream depth 2", nodes, []string{nV + "@0", nE + "@2", nBack + "@1", nLoop + "@1", nMaker + "@1"})
}

func testLineageDeleted(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	dataset, model := mnist(t, s)
	if err := s.DeleteVersion(ctx, model.ID, true); err != nil {
		t.Fatal(err)
	}
	// The deleted model is neither returned nor walked through.
	nodes, edges := shape(lineage(t, s, meta.LineageQuery{VersionID: dataset.ID, Direction: core.Downstream}))
	wantEqual(t, "nodes", nodes, []string{nDataset + "@0", nVM + "@1"})
	wantEqual(t, "edges", edges, []string{nDataset + ">" + nVM})
	nodes, _ = shape(lineage(t, s, meta.LineageQuery{RunID: "sh6", Direction: core.Upstream}))
	wantEqual(t, "upstream of sh6", nodes, []string{nSH + "@0"})
	_, err := s.Lineage(ctx, meta.LineageQuery{VersionID: model.ID, Direction: core.Both})
	wantKind(t, err, core.ErrNotFound)
}

func testLineageInvalid(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	dataset, _ := mnist(t, s)
	for _, tc := range []struct {
		lq   meta.LineageQuery
		kind error
	}{
		{meta.LineageQuery{RunID: "nope", Direction: core.Both}, core.ErrNotFound},
		{meta.LineageQuery{VersionID: 987654, Direction: core.Both}, core.ErrNotFound},
		{meta.LineageQuery{Direction: core.Both}, core.ErrInvalid},
		{meta.LineageQuery{VersionID: dataset.ID, RunID: "jm1", Direction: core.Both}, core.ErrInvalid},
		{meta.LineageQuery{VersionID: dataset.ID, Direction: "sideways"}, core.ErrInvalid},
		{meta.LineageQuery{VersionID: dataset.ID, Direction: core.Both, Depth: -1}, core.ErrInvalid},
	} {
		_, err := s.Lineage(ctx, tc.lq)
		if !errors.Is(err, tc.kind) {
			t.Errorf("Lineage(%+v): error %v, want %v", tc.lq, err, tc.kind)
		}
	}
}

func testConcurrentCommits(t *testing.T, s *meta.Store) {
	const n = 32
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			m, err := core.NewManifest([]core.Entry{{Path: "f", Digest: core.DigestOf(fmt.Appendf(nil, "content %d", i)), Size: int64(i)}})
			if err != nil {
				errs <- err
				return
			}
			if _, created, err := s.CommitVersion(context.WithoutCancel(ctx), meta.Commit{
				Entity: ent, Project: proj, Name: "d", Type: "dataset", Manifest: m, Now: t0,
			}); err != nil || !created {
				errs <- fmt.Errorf("commit %d: created %v, %w", i, created, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	vs, err := s.ListVersions(ctx, ent, proj, "d")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("d:v%d", i))
	}
	sizes := map[int64]bool{}
	for _, v := range vs {
		sizes[v.Size] = true
	}
	wantEqual(t, "versions", labels(vs), want)
	if len(sizes) != n {
		t.Errorf("%d distinct contents among %d versions", len(sizes), n)
	}
	latest := mustResolve(t, s, "d", "latest")
	wantEqual(t, "latest", latest.Index, n-1)
	for _, v := range vs[:n-1] {
		if len(v.Aliases) != 0 {
			t.Errorf("%s has aliases %v", v.Label(), v.Aliases)
		}
	}
}

func testConcurrentDedup(t *testing.T, s *meta.Store) {
	const n = 8
	m := manifest(t, "f", "same")
	var wg sync.WaitGroup
	ids := make([]int64, n)
	createds := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			var v core.Version
			v, createds[i], errs[i] = s.CommitVersion(t.Context(), meta.Commit{Entity: ent, Project: proj, Name: "d", Type: "dataset", Manifest: m, Now: t0})
			ids[i] = v.ID
		})
	}
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("commit %d returned version %d, commit 0 %d", i, ids[i], ids[0])
		}
		if createds[i] {
			created++
		}
	}
	wantEqual(t, "commits that created", created, 1)
	vs, err := s.ListVersions(t.Context(), ent, proj, "d")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "versions", labels(vs), []string{"d:v0"})
}
