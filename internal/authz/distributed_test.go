package authz_test

import (
	"context"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestDistributedNeedsPossessionAndWrite: upserting and finishing are
// guarded like LogArtifact — a stored blob the caller may not read is
// reported missing and nothing is recorded; a project the caller may not
// write is refused.
func TestDistributedNeedsPossessionAndWrite(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	priv := w.seeds["owner/priv"]
	privContent := "data of owner/priv"
	stranger := w.as("stranger")
	run, err := stranger.CreateRun(ctx, service.NewRun{Entity: "stranger", Project: "mine", Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := core.NewManifest([]core.Entry{{Path: "f", Digest: priv.blob, Size: int64(len(privContent))}})
	if err != nil {
		t.Fatal(err)
	}
	req := service.UpsertRequest{
		LogRequest:    service.LogRequest{Entity: "stranger", Project: "mine", Name: "stolen", Type: "dataset", RunID: run.ID, Manifest: m},
		DistributedID: "g",
	}
	before := w.snapshot("stranger/mine")
	res, err := stranger.UpsertArtifact(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	wantHeldBack(t, "stranger upserts a private blob", res, priv.blob)
	res, err = stranger.FinishArtifact(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	wantHeldBack(t, "stranger finishes with a private blob", res, priv.blob)
	// Nothing was recorded: a finish with no entries of its own has none.
	empty := req
	empty.Manifest = core.Manifest{}
	_, err = stranger.FinishArtifact(ctx, empty)
	wantKind(t, "finish after held-back upserts", err, core.ErrInvalid)
	if after := w.snapshot("stranger/mine"); after != before {
		t.Errorf("held-back upserts changed stranger/mine:\n%s\nwas\n%s", after, before)
	}

	// Another's private project: not found, as for a log.
	into := req
	into.Entity, into.Project, into.Manifest = "owner", "priv", core.Manifest{}
	_, err = stranger.UpsertArtifact(ctx, into)
	wantKind(t, "upsert into another's private project", err, core.ErrNotFound)
	_, err = stranger.FinishArtifact(ctx, into)
	wantKind(t, "finish in another's private project", err, core.ErrNotFound)

	// The owner may name its own blob, and the version lands.
	owner := w.as("owner")
	orun, err := owner.CreateRun(ctx, service.NewRun{Entity: "owner", Project: "priv", Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	own := service.UpsertRequest{
		LogRequest:    service.LogRequest{Entity: "owner", Project: "priv", Name: "parts", Type: "dataset", RunID: orun.ID, Manifest: m},
		DistributedID: "g",
	}
	if res, err := owner.UpsertArtifact(ctx, own); err != nil || len(res.Missing) != 0 {
		t.Fatalf("owner upserts its blob: %+v %v", res, err)
	}
	own.Manifest = core.Manifest{}
	res, err = owner.FinishArtifact(ctx, own)
	if err != nil {
		t.Fatal(err)
	}
	wantCommitted(t, "owner finishes", res)
}
