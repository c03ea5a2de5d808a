package meta_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"

	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
)

func openTemp(t *testing.T) *meta.Store {
	t.Helper()
	s, err := meta.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "sub", "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestSQLite(t *testing.T) {
	metatest.Run(t, openTemp)
}

// Environment of the child processes of TestMultiProcessCommit.
const (
	envChildDB    = "TROVE_META_TEST_CHILD_DB"
	envChildIndex = "TROVE_META_TEST_CHILD_INDEX"
	envChildStart = "TROVE_META_TEST_CHILD_START"
)

const (
	procs          = 8
	commitsPerProc = 5
)

// TestMultiProcessCommit starts 8 processes (this test binary again) that open
// the same fresh file at once, so they race on the migrations too, and each
// create a run and commit 5 different versions to one collection. The result
// must be v0…v39 with no gap and no error, and run numbers 1…8.
func TestMultiProcessCommit(t *testing.T) {
	if os.Getenv(envChildDB) != "" {
		multiProcessChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "shared", "meta.db")
	start := filepath.Join(dir, "start")
	type child struct {
		cmd *exec.Cmd
		out bytes.Buffer
	}
	children := make([]*child, procs)
	for i := range children {
		c := &child{cmd: exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMultiProcessCommit$", "-test.v")}
		c.cmd.Env = append(os.Environ(), envChildDB+"="+db, envChildIndex+"="+strconv.Itoa(i), envChildStart+"="+start)
		c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = c
	}
	// Release them together once all have started.
	if err := os.WriteFile(start, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("child %d: %v\n%s", i, err, c.out.String())
		}
	}
	if t.Failed() {
		return
	}

	s, err := meta.OpenSQLite(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vs, err := s.ListVersions(t.Context(), "team", "multi", "shared")
	if err != nil {
		t.Fatal(err)
	}
	digests := map[core.Digest]bool{}
	for i, v := range vs {
		if v.Index != i {
			t.Fatalf("version %d has index %d: %v", i, v.Index, versionLabels(vs))
		}
		digests[v.Digest] = true
	}
	if len(vs) != procs*commitsPerProc || len(digests) != len(vs) {
		t.Fatalf("%d versions, %d distinct digests; want %d of each", len(vs), len(digests), procs*commitsPerProc)
	}
	if !slices.Contains(vs[len(vs)-1].Aliases, "latest") {
		t.Errorf("last version has aliases %v, want latest among them", vs[len(vs)-1].Aliases)
	}
	hot := 0
	for _, v := range vs {
		if slices.Contains(v.Aliases, "hot") {
			hot++
		}
		if v.Description == "" {
			t.Errorf("%s was never updated", v.Label())
		}
	}
	if hot != 1 {
		t.Errorf("alias hot is on %d versions, want 1", hot)
	}
	runs, err := s.ListRuns(t.Context(), "team", "multi")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range runs {
		names = append(names, r.Name)
	}
	want := make([]string, procs)
	for i := range want {
		want[i] = fmt.Sprintf("run-%d", i+1)
	}
	if !slices.Equal(names, want) {
		t.Errorf("run names %v, want %v", names, want)
	}
}

func multiProcessChild(t *testing.T) {
	ctx := t.Context()
	idx := os.Getenv(envChildIndex)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(os.Getenv(envChildStart)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never released")
		}
	}
	s, err := meta.OpenSQLite(ctx, os.Getenv(envChildDB))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "proc" + idx, Entity: "team", Project: "multi",
		AutoName: func(seq int64) string { return fmt.Sprintf("run-%d", seq) }, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for j := range commitsPerProc {
		m, err := core.NewManifest([]core.Entry{{Path: "f", Digest: core.DigestOf(fmt.Appendf(nil, "%s/%d", idx, j)), Size: 1}})
		if err != nil {
			t.Fatal(err)
		}
		v, created, err := s.CommitVersion(ctx, meta.Commit{Entity: "team", Project: "multi", Name: "shared", Type: "dataset",
			Manifest: m, RunID: "proc" + idx, Now: time.Now()})
		if err != nil || !created {
			t.Fatalf("commit %d: created %v, %v", j, created, err)
		}
		// UpdateVersion reads before it writes: with deferred transactions,
		// concurrent processes would fail here with SQLITE_BUSY.
		desc := "by " + idx
		if _, err := s.UpdateVersion(ctx, v.ID, meta.VersionUpdate{Description: &desc, AddAliases: []string{"hot"}}); err != nil {
			t.Fatalf("update %d: %v", j, err)
		}
	}
}

func versionLabels(vs []core.Version) []string {
	var ls []string
	for _, v := range vs {
		ls = append(ls, v.Label())
	}
	return ls
}
