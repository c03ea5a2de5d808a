package servicetest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// RunVerify runs the suite of blob store verification. newAPI returns a
// fresh, empty store, the verifier of that store (the service itself or a
// client of its server) and the directory of its file blob store, whose
// files the suite damages.
func RunVerify(t *testing.T, newAPI func(t *testing.T) (service.API, service.Verifier, string)) {
	t.Run("Verify", func(t *testing.T) {
		api, v, dir := newAPI(t)
		testVerify(t, api, v, dir)
	})
}

// blobFile is where a file blob store keeps blob d.
func blobFile(dir string, d core.Digest) string {
	return filepath.Join(dir, "sha256", d.Hex()[:2], d.Hex())
}

func testVerify(t *testing.T, api service.API, v service.Verifier, dir string) {
	ctx := context.Background()
	verify := func() service.VerifyReport {
		t.Helper()
		rep, err := v.Verify(ctx, service.VerifyOptions{Workers: 2})
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		return rep
	}
	if rep := verify(); rep.Checked != 0 || len(rep.Corrupt)+len(rep.Missing) != 0 {
		t.Fatalf("empty store: %+v", rep)
	}
	shared, gone, cut := "shared by two collections", "to be deleted", "to be truncated"
	req := func(proj, name string, m core.Manifest) {
		if _, err := api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: proj, Name: name, Type: "model", Manifest: m}); err != nil {
			t.Fatal(err)
		}
	}
	req(project, "a", files(t, api, map[string]string{"s": shared, "g": gone}))
	req("other", "b", files(t, api, map[string]string{"x/s": shared, "c": cut}))
	// A deleted version's blobs are not checked.
	req(project, "old", files(t, api, map[string]string{"o": "deleted version"}))
	if err := api.DeleteArtifact(ctx, ref("old:v0"), true); err != nil {
		t.Fatal(err)
	}

	rep := verify()
	if rep.Checked != 3 || rep.Bytes != int64(len(shared)+len(gone)+len(cut)) || len(rep.Corrupt)+len(rep.Missing) != 0 {
		t.Fatalf("clean store: %+v; want 3 blobs, %d bytes, no problems", rep, len(shared)+len(gone)+len(cut))
	}

	// Flip a byte of one blob, truncate another, delete a third.
	sharedD, goneD, cutD := core.DigestOf([]byte(shared)), core.DigestOf([]byte(gone)), core.DigestOf([]byte(cut))
	b, err := os.ReadFile(blobFile(dir, sharedD))
	if err != nil {
		t.Fatal(err)
	}
	b[3] ^= 0x20
	if err := os.WriteFile(blobFile(dir, sharedD), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blobFile(dir, cutD), 4); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(blobFile(dir, goneD)); err != nil {
		t.Fatal(err)
	}
	rep = verify()
	if rep.Checked != 3 {
		t.Errorf("checked %d blobs, want 3", rep.Checked)
	}
	type problem struct {
		digest   core.Digest
		versions []string
	}
	got := func(ps []service.Problem) []problem {
		out := []problem{}
		for _, p := range ps {
			if p.Error == "" {
				t.Errorf("problem %s has no error", p.Digest)
			}
			out = append(out, problem{p.Digest, p.Versions})
		}
		return out
	}
	wantCorrupt := []problem{
		{sharedD, []string{"alice/bikes/a:v0", "alice/other/b:v0"}},
		{cutD, []string{"alice/other/b:v0"}},
	}
	slices.SortFunc(wantCorrupt, func(x, y problem) int { return compareDigest(x.digest, y.digest) })
	if g := got(rep.Corrupt); !equalProblems(g, wantCorrupt, func(p problem) (core.Digest, []string) { return p.digest, p.versions }) {
		t.Errorf("corrupt = %+v, want %+v", g, wantCorrupt)
	}
	wantMissing := []problem{{goneD, []string{"alice/bikes/a:v0"}}}
	if g := got(rep.Missing); !equalProblems(g, wantMissing, func(p problem) (core.Digest, []string) { return p.digest, p.versions }) {
		t.Errorf("missing = %+v, want %+v", g, wantMissing)
	}
}

func compareDigest(a, b core.Digest) int {
	return slices.Compare(a[:], b[:])
}

func equalProblems[P any](got, want []P, key func(P) (core.Digest, []string)) bool {
	return slices.EqualFunc(got, want, func(a, b P) bool {
		da, va := key(a)
		db, vb := key(b)
		return da == db && slices.Equal(va, vb)
	})
}
