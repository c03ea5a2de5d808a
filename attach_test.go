package trove

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestAttachToRunID checks that under TROVE_RUN_ID, StartRun and Init
// attach to that run: what they log is the run's output, Finish and Fail
// leave it running, and the project holds one run.
func TestAttachToRunID(t *testing.T) {
	c, work := testClient(t)
	ctx := context.Background()
	t.Setenv(EnvRunID, "")
	owner, err := c.StartRun(ctx, RunOptions{JobType: "exec"})
	if err != nil {
		t.Fatal(err)
	}
	if owner.Attached() {
		t.Fatal("a run started without TROVE_RUN_ID is attached")
	}
	t.Setenv(EnvRunID, owner.ID)

	r, err := c.StartRun(ctx, RunOptions{JobType: "upload", Name: "ignored", Project: "sdk"})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != owner.ID || !r.Attached() || r.JobType != "exec" || r.Project != "sdk" {
		t.Fatalf("attached run = %s %q attached=%v, want %s %q", r.ID, r.JobType, r.Attached(), owner.ID, "exec")
	}
	a := NewArtifact("data", "dataset")
	if err := a.AddFile(write(t, filepath.Join(work, "a.txt"), "a")); err != nil {
		t.Fatal(err)
	}
	v, err := r.LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	// A second program of the same run, through Init, fails: the run goes on.
	r2, err := Init(ctx, RunOptions{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Fail(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.Run(ctx, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != core.RunRunning {
		t.Fatalf("owner run is %s after the attached runs ended, want running", got.State)
	}
	outs, err := owner.LoggedArtifacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].FullName() != v.FullName() {
		t.Fatalf("owner's outputs = %v, want %s", outs, v.FullName())
	}
	runs, err := c.Runs(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("%d runs in the project, want 1 (the owner's)", len(runs))
	}

	// NoAttach starts a run of its own.
	own, err := c.StartRun(ctx, RunOptions{JobType: "own", NoAttach: true})
	if err != nil {
		t.Fatal(err)
	}
	if own.ID == owner.ID || own.Attached() {
		t.Fatal("NoAttach attached")
	}
	if err := own.Finish(ctx); err != nil {
		t.Fatal(err)
	}

	// The owner ends the run.
	if err := owner.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Run(ctx, owner.ID); got.State != core.RunFinished {
		t.Fatalf("owner run is %s after its Finish, want finished", got.State)
	}
}

// TestAttachRefusals checks the errors of StartRun under a TROVE_RUN_ID it
// cannot attach to: each names TROVE_RUN_ID.
func TestAttachRefusals(t *testing.T) {
	c, _ := testClient(t)
	ctx := context.Background()
	t.Setenv(EnvRunID, "")
	done, err := c.StartRun(ctx, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := done.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	live, err := c.StartRun(ctx, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Finish(ctx)
	for _, tc := range []struct {
		id   string
		opts RunOptions
		kind error
		want string
	}{
		{"nosuchrun", RunOptions{}, core.ErrNotFound, "no such run"},
		{done.ID, RunOptions{}, core.ErrConflict, "is finished, not running"},
		{live.Name, RunOptions{}, core.ErrNotFound, "no such run"}, // an id, not a display name
		{live.ID, RunOptions{Project: "elsewhere"}, core.ErrConflict, "is in tester/sdk, not tester/elsewhere"},
	} {
		t.Setenv(EnvRunID, tc.id)
		_, err := c.StartRun(ctx, tc.opts)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), "TROVE_RUN_ID="+tc.id) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("TROVE_RUN_ID=%s: err = %v, want %v naming TROVE_RUN_ID and %q", tc.id, err, tc.kind, tc.want)
		}
	}
	runs, err := c.Runs(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2: a refused attach starts none", len(runs))
	}
}
