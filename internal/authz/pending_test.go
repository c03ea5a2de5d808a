package authz_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestPendingAccess: pending artifacts are listed and shown to readers of
// their project (with only the writer runs they may read), abandoned by
// writers; to anyone else a pending artifact is not found, exactly as one
// that does not exist.
func TestPendingAccess(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	// tmember builds team/priv/parts from a run in team/priv and one in
	// its own private project.
	member := w.as("tmember")
	inTeam := startRun(t, member, "team", "priv", "writer")
	inOwn := startRun(t, member, "tmember", "own", "own-writer")
	for _, r := range []core.Run{inTeam, inOwn} {
		req := service.UpsertRequest{
			LogRequest: service.LogRequest{Entity: "team", Project: "priv", Name: "parts", Type: "dataset", RunID: r.ID,
				Manifest: files(t, member, map[string]string{"part-" + r.ID: "part by " + r.ID})},
			DistributedID: "g",
		}
		if res, err := member.UpsertArtifact(ctx, req); err != nil || len(res.Missing) > 0 {
			t.Fatalf("upsert: %+v %v", res, err)
		}
	}
	ref := service.PendingRef{Entity: "team", Project: "priv", Name: "parts", DistributedID: "g"}
	missing := ref
	missing.Name = "nothing"
	pm := func(user string) service.PendingManager { return w.as(user).(service.PendingManager) }

	// Readers: the viewer sees it, with the writer run it may read.
	list, err := pm("tviewer").PendingArtifacts(ctx, "team", "priv")
	if err != nil || len(list) != 1 || list[0].FileCount != 2 {
		t.Fatalf("viewer lists %+v, %v", list, err)
	}
	if !slices.Equal(list[0].Runs, []string{inTeam.ID}) {
		t.Errorf("viewer sees runs %v, want only %s (the other is in tmember's private project)", list[0].Runs, inTeam.ID)
	}
	p, err := pm("tviewer").PendingArtifact(ctx, ref)
	if err != nil || len(p.Entries) != 2 || !slices.Equal(p.Runs, []string{inTeam.ID}) {
		t.Fatalf("viewer shows %+v, %v", p, err)
	}
	if p, err := pm("tmember").PendingArtifact(ctx, ref); err != nil || len(p.Runs) != 2 {
		t.Fatalf("member shows %+v, %v; want both runs", p, err)
	}
	// A viewer may not abandon it.
	_, err = pm("tviewer").AbandonArtifact(ctx, ref)
	wantKind(t, "viewer abandons", err, core.ErrPermission)

	// Strangers: not found, word for word as a pending artifact that does
	// not exist, and as a project they cannot see.
	notFound := func(r service.PendingRef) string {
		return core.Errorf(core.ErrNotFound, "distributed artifact %s/%s/%s (%s) not found", r.Entity, r.Project, r.Name, r.DistributedID).Error()
	}
	if _, err := pm("tmember").PendingArtifact(ctx, missing); err == nil || err.Error() != notFound(missing) {
		t.Fatalf("a pending artifact that does not exist: %v, want %q", err, notFound(missing))
	}
	for _, user := range []string{"stranger", "owner"} {
		_, err := pm(user).PendingArtifact(ctx, ref)
		if err == nil || err.Error() != notFound(ref) {
			t.Errorf("%s shows: %v, want %q", user, err, notFound(ref))
		}
		_, err = pm(user).AbandonArtifact(ctx, ref)
		if err == nil || err.Error() != notFound(ref) {
			t.Errorf("%s abandons: %v, want %q", user, err, notFound(ref))
		}
		_, err = pm(user).PendingArtifacts(ctx, "team", "priv")
		if want := "project team/priv not found"; !errors.Is(err, core.ErrNotFound) || err.Error() != want {
			t.Errorf("%s lists: %v, want %q", user, err, want)
		}
	}
	if _, err := pm("tviewer").PendingArtifact(ctx, ref); err != nil {
		t.Fatalf("refusals changed the pending artifact: %v", err)
	}

	// A writer abandons it; then it is gone for everyone.
	got, err := pm("tmember").AbandonArtifact(ctx, ref)
	if err != nil || got.FileCount != 2 {
		t.Fatalf("member abandons: %+v %v", got, err)
	}
	_, err = pm("tviewer").PendingArtifact(ctx, ref)
	wantKind(t, "after abandon", err, core.ErrNotFound)
}
