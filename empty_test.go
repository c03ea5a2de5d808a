package trove

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// logCounter counts the LogArtifact calls that reach the store.
type logCounter struct {
	service.API
	logs int
}

func (l *logCounter) LogArtifact(ctx context.Context, req service.LogRequest) (service.LogResult, error) {
	l.logs++
	return l.API.LogArtifact(ctx, req)
}

// TestEmptyArtifactRefused: an artifact with nothing in it is refused
// before the store is asked, with the store's own words, unless
// AllowEmpty; a draft with every entry removed likewise.
func TestEmptyArtifactRefused(t *testing.T) {
	c, work := testClient(t)
	counter := &logCounter{API: c.api}
	c.api = counter
	ctx := context.Background()
	run := startRun(t, c)
	empty := filepath.Join(work, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	a := NewArtifact("nothing", "dataset")
	if err := a.AddDir(empty); err != nil {
		t.Fatal(err)
	}
	if !a.Empty() {
		t.Fatal("an artifact of an empty directory is not Empty")
	}
	_, err := run.LogArtifact(ctx, a, "best")
	if !errors.Is(err, core.ErrInvalid) || !strings.HasSuffix(err.Error(), "artifact nothing has no files or references: add some, or allow an empty version with --allow-empty") {
		t.Fatalf("empty log: %v", err)
	}
	if counter.logs != 0 {
		t.Errorf("the refused empty artifact reached the store (%d calls)", counter.logs)
	}
	if cols, err := c.Collections(ctx, "", ""); err != nil || len(cols) != 0 {
		t.Fatalf("collections after the refusal: %+v %v", cols, err)
	}
	a.AllowEmpty = true
	v, err := run.LogArtifact(ctx, a)
	if err != nil || v.FileCount != 0 || v.Label() != "v0" {
		t.Fatalf("allowed empty log: %+v %v", v, err)
	}

	// A draft that removes every inherited entry.
	full := NewArtifact("full", "dataset")
	if err := full.AddFile(write(t, filepath.Join(work, "a.txt"), "a")); err != nil {
		t.Fatal(err)
	}
	fv, err := run.LogArtifact(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	d, err := fv.NewDraft(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Remove("a.txt"); err != nil {
		t.Fatal(err)
	}
	calls := counter.logs
	if _, err := run.LogArtifact(ctx, d); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("log of a draft with nothing left: %v", err)
	}
	if counter.logs != calls {
		t.Errorf("the refused draft reached the store")
	}
	if vs, err := c.ArtifactVersions(ctx, "full"); err != nil || len(vs) != 1 {
		t.Fatalf("versions of full after the refusal: %d %v", len(vs), err)
	}
}

// TestFinishJudgedOnAllEntries: a finisher without files of its own
// finishes what writers upserted; with no entry anywhere it is refused
// unless AllowEmpty.
func TestFinishJudgedOnAllEntries(t *testing.T) {
	c, _ := testClient(t)
	ctx := context.Background()
	w, err := c.StartRun(ctx, RunOptions{JobType: "writer", Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Finish(ctx)
	part := NewArtifact("parts", "dataset")
	if err := newTestFile(part, "part-0", "0"); err != nil {
		t.Fatal(err)
	}
	if err := w.UpsertArtifact(ctx, part); err != nil {
		t.Fatal(err)
	}
	// An empty upsert is fine: it registers the writer.
	if err := w.UpsertArtifact(ctx, NewArtifact("none", "dataset")); err != nil {
		t.Fatalf("empty upsert: %v", err)
	}
	fin, err := c.StartRun(ctx, RunOptions{JobType: "finisher", Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	defer fin.Finish(ctx)
	v, err := fin.FinishArtifact(ctx, NewArtifact("parts", "dataset"))
	if err != nil || v.FileCount != 1 {
		t.Fatalf("finish with no own files: %+v %v", v, err)
	}
	_, err = fin.FinishArtifact(ctx, NewArtifact("none", "dataset"))
	if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "--allow-empty") {
		t.Fatalf("finish with no entry at all: %v", err)
	}
	empty := NewArtifact("none", "dataset")
	empty.AllowEmpty = true
	if v, err := fin.FinishArtifact(ctx, empty); err != nil || v.FileCount != 0 {
		t.Fatalf("allowed empty finish: %+v %v", v, err)
	}
}

// TestPendingSDK: a client lists, shows and abandons pending artifacts.
func TestPendingSDK(t *testing.T) {
	c, _ := testClient(t)
	ctx := context.Background()
	w, err := c.StartRun(ctx, RunOptions{JobType: "writer", Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Finish(ctx)
	a := NewArtifact("parts", "dataset")
	if err := newTestFile(a, "x/part-0", "0"); err != nil {
		t.Fatal(err)
	}
	if err := w.UpsertArtifact(ctx, a); err != nil {
		t.Fatal(err)
	}
	ps, err := c.PendingArtifacts(ctx, "")
	if err != nil || len(ps) != 1 || ps[0].Name != "parts" || ps[0].FileCount != 1 || !slices.Equal(ps[0].Runs, []string{w.ID}) {
		t.Fatalf("PendingArtifacts = %+v, %v", ps, err)
	}
	if other, err := c.PendingArtifacts(ctx, "tester/elsewhere"); err != nil || len(other) != 0 {
		t.Fatalf("PendingArtifacts of another project = %+v, %v", other, err)
	}
	d, err := c.PendingArtifact(ctx, "sdk/parts", "g")
	if err != nil || len(d.Entries) != 1 || d.Entries[0].Path != "x/part-0" {
		t.Fatalf("PendingArtifact = %+v, %v", d, err)
	}
	if _, err := c.PendingArtifact(ctx, "parts:v0", "g"); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("PendingArtifact with a version: %v", err)
	}
	// A conflicting shape is refused with both paths.
	b := NewArtifact("parts", "dataset")
	if err := newTestFile(b, "x", "a file"); err != nil {
		t.Fatal(err)
	}
	if err := w.UpsertArtifact(ctx, b); !errors.Is(err, core.ErrConflict) || !strings.Contains(err.Error(), `"x/part-0"`) {
		t.Fatalf("upsert of x beside x/part-0: %v", err)
	}
	got, err := c.AbandonArtifact(ctx, "parts", "g")
	if err != nil || got.FileCount != 1 {
		t.Fatalf("AbandonArtifact = %+v, %v", got, err)
	}
	if _, err := c.PendingArtifact(ctx, "parts", "g"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("after abandon: %v", err)
	}
	// The id starts afresh: now x may be a file.
	if err := w.UpsertArtifact(ctx, b); err != nil {
		t.Fatalf("upsert after abandon: %v", err)
	}
}
