package servicetest

import (
	"context"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// testSizeMismatch: an entry whose size is not its stored blob's is
// refused at commit — log, upsert and finish alike — naming the path and
// both sizes, and nothing is committed or recorded. Since sizes are part of
// the version digest, the same blob under its right size is other content:
// a wrong-size log never dedups to the sound version, nor a sound log to a
// broken one.
func testSizeMismatch(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	good := files(t, api, map[string]string{"w.bin": "8 bytes!"}).Entries()[0]
	bad := good
	bad.Size = 999
	badM, err := core.NewManifest([]core.Entry{bad})
	if err != nil {
		t.Fatal(err)
	}
	goodM, _ := core.NewManifest([]core.Entry{good})
	if badM.Digest() == goodM.Digest() {
		t.Fatal("the wrong size gives the same version digest")
	}
	wantSizeErr := func(err error, what string) {
		t.Helper()
		wantKind(t, err, core.ErrInvalid, what)
		for _, s := range []string{`"w.bin"`, "999", " 8 bytes"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %s", what, err, s)
			}
		}
	}
	req := service.LogRequest{Entity: entity, Project: project, Name: "sized", Type: "model", RunID: run.ID, Manifest: badM}
	_, err = api.LogArtifact(ctx, req)
	wantSizeErr(err, "log with a wrong size")
	_, err = api.ArtifactVersions(ctx, ref("sized"))
	wantKind(t, err, core.ErrNotFound, "versions after the refused log")

	// The right size commits; the wrong one still does not dedup to it.
	req.Manifest = goodM
	res, err := api.LogArtifact(ctx, req)
	if err != nil || !res.Created || len(res.Missing) > 0 {
		t.Fatalf("log with the right size = %+v, %v", res, err)
	}
	req.Manifest = badM
	_, err = api.LogArtifact(ctx, req)
	wantSizeErr(err, "re-log with a wrong size")
	if vs, err := api.ArtifactVersions(ctx, ref("sized")); err != nil || len(vs) != 1 || vs[0].Size != 8 {
		t.Fatalf("versions = %+v, %v; want only v0 of 8 bytes", vs, err)
	}

	// Distributed artifacts: upsert and finish check too, and record nothing.
	w := groupRun(t, api, "sized-group")
	_, err = api.UpsertArtifact(ctx, upsertReq(w, "parts", "dataset", badM))
	wantSizeErr(err, "upsert with a wrong size")
	_, err = api.FinishArtifact(ctx, upsertReq(w, "parts", "dataset", badM))
	wantSizeErr(err, "finish with a wrong size")
	_, err = api.Artifact(ctx, ref("parts"))
	wantKind(t, err, core.ErrNotFound, "the distributed artifact after refused upserts")
	res, err = api.FinishArtifact(ctx, upsertReq(w, "parts", "dataset", goodM))
	if err != nil || !res.Created || res.Version.Size != 8 || res.Version.FileCount != 1 {
		t.Fatalf("finish with the right size = %+v, %v", res, err)
	}
}
