package trove

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestDistributedSDK: writers of one group upsert in parallel goroutines,
// a finisher with another run but the same DistributedID finishes; the SDK
// refuses an artifact with neither group nor id before any I/O, and type
// mismatches and late upserts leave everything as it was.
func TestDistributedSDK(t *testing.T) {
	c, work := testClient(t)
	ctx := context.Background()
	const writers = 4
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			r, err := c.StartRun(ctx, RunOptions{JobType: "writer", Group: "g1"})
			if err != nil {
				errs <- err
				return
			}
			defer r.Finish(ctx)
			a := NewArtifact("parallel-artifact", "dataset")
			if err := newTestFile(a, fmt.Sprintf("parts/table_%d.json", i), fmt.Sprint(i)); err != nil {
				errs <- err
				return
			}
			errs <- r.UpsertArtifact(ctx, a)
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Artifact(ctx, "parallel-artifact"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("before the finish: %v, want not found", err)
	}

	fin := startRun(t, c) // no group: the artifact names the id
	a := NewArtifact("parallel-artifact", "dataset")
	a.DistributedID = "g1"
	if err := a.AddFile(write(t, filepath.Join(work, "distributed_table.json"), "{}")); err != nil {
		t.Fatal(err)
	}
	v, err := fin.FinishArtifact(ctx, a, "ready")
	if err != nil {
		t.Fatal(err)
	}
	if v.Label() != "v0" || v.FileCount != writers+1 || !slices.Contains(v.Aliases, "ready") {
		t.Fatalf("finished as %+v", v)
	}
	prods, err := fin.LoggedArtifacts(ctx)
	if err != nil || len(prods) != 1 || prods[0].Label() != "v0" {
		t.Fatalf("finisher's outputs = %v %v", prods, err)
	}
	by, err := v.LoggedBy(ctx)
	if err != nil || by == nil || by.ID != fin.ID {
		t.Fatalf("logged by %+v %v, want the finisher", by, err)
	}

	// Neither group nor id: refused before anything is read or sent.
	loner := startRun(t, c)
	b := NewArtifact("other", "dataset")
	if err := b.AddFile(filepath.Join(work, "distributed_table.json")); err != nil {
		t.Fatal(err)
	}
	if err := loner.UpsertArtifact(ctx, b); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("upsert with no group and no id: %v, want ErrInvalid", err)
	}
	if _, err := loner.FinishArtifact(ctx, b); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("finish with no group and no id: %v, want ErrInvalid", err)
	}
	// Type mismatch with the collection, and a late upsert.
	m := NewArtifact("parallel-artifact", "model")
	m.DistributedID = "g2"
	if err := newTestFile(m, "m.bin", "m"); err != nil {
		t.Fatal(err)
	}
	if err := loner.UpsertArtifact(ctx, m); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("upsert of another type: %v, want ErrInvalid", err)
	}
	late := NewArtifact("parallel-artifact", "dataset")
	late.DistributedID = "g1"
	if err := newTestFile(late, "late.json", "late"); err != nil {
		t.Fatal(err)
	}
	if err := loner.UpsertArtifact(ctx, late); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("late upsert: %v, want ErrConflict", err)
	}
	vs, err := c.ArtifactVersions(ctx, "parallel-artifact")
	if err != nil || len(vs) != 1 || vs[0].FileCount != writers+1 {
		t.Fatalf("versions after refusals: %v %v", vs, err)
	}
}

// newTestFile adds a file of content to a with NewFile.
func newTestFile(a *Artifact, name, content string) error {
	f, err := a.NewFile(name)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
