package servicetest

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	t.Run("Repair", func(t *testing.T) {
		api, v, dir := newAPI(t)
		testRepair(t, api, v, dir)
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
	if rep.Database == nil || !rep.Database.OK || rep.Database.Checks == "" || rep.Repair {
		t.Errorf("database report %+v, repair %v; want a sound database, no repair", rep.Database, rep.Repair)
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

// testRepair: verify --repair makes a damaged blob count as missing — a
// corrupt one is moved aside, and both are recorded — so that logging the
// content again, which dedups to the versions that use it, uploads it once
// more, and every one of those versions downloads and verifies again.
func testRepair(t *testing.T, api service.API, v service.Verifier, dir string) {
	ctx := context.Background()
	verify := func(repair bool) service.VerifyReport {
		t.Helper()
		rep, err := v.Verify(ctx, service.VerifyOptions{Workers: 2, Repair: repair})
		if err != nil {
			t.Fatalf("Verify(repair %v): %v", repair, err)
		}
		return rep
	}
	shared, only1, gone := "weights shared by v0 and v1", "only in v1", "labels that vanish"
	contents := map[string]map[string]string{
		"m:v0":             {"w.bin": shared},
		"m:v1":             {"w.bin": shared, "extra.txt": only1, "labels.txt": gone},
		"other/copy:v0":    {"x/w.bin": shared},
		"other/bystand:v0": {"b": "a bystander"},
	}
	reqs := map[string]service.LogRequest{}
	for _, name := range []string{"m:v0", "m:v1", "other/copy:v0", "other/bystand:v0"} {
		r := ref(name)
		req := service.LogRequest{Entity: entity, Project: r.Project, Name: r.Name, Type: "model", Manifest: files(t, api, contents[name])}
		res, err := api.LogArtifact(ctx, req)
		if err != nil || res.Version.Label() != r.Selector {
			t.Fatalf("log %s = %+v, %v", name, res, err)
		}
		reqs[name] = req
	}
	sharedD, goneD := core.DigestOf([]byte(shared)), core.DigestOf([]byte(gone))
	bad, err := os.ReadFile(blobFile(dir, sharedD))
	if err != nil {
		t.Fatal(err)
	}
	bad[5] ^= 0x40
	if err := os.WriteFile(blobFile(dir, sharedD), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(blobFile(dir, goneD)); err != nil {
		t.Fatal(err)
	}

	// Without --repair nothing changes.
	rep := verify(false)
	if len(rep.Corrupt) != 1 || rep.Corrupt[0].Digest != sharedD || rep.Corrupt[0].Recorded || rep.Corrupt[0].Quarantine != "" ||
		len(rep.Missing) != 1 || rep.Missing[0].Digest != goneD || rep.Missing[0].Recorded {
		t.Fatalf("verify = %+v; want %s corrupt and %s missing, neither recorded", rep, sharedD, goneD)
	}
	if want := []string{"alice/bikes/m:v0", "alice/bikes/m:v1", "alice/other/copy:v0"}; !slices.Equal(rep.Corrupt[0].Versions, want) {
		t.Errorf("versions of the corrupt blob = %v; want %v", rep.Corrupt[0].Versions, want)
	}
	if b, err := os.ReadFile(blobFile(dir, sharedD)); err != nil || string(b) != string(bad) {
		t.Fatalf("verify without repair changed the blob file: %v", err)
	}

	rep = verify(true)
	if !rep.Repair || len(rep.Corrupt) != 1 || !rep.Corrupt[0].Recorded || len(rep.Missing) != 1 || !rep.Missing[0].Recorded {
		t.Fatalf("verify --repair = %+v; want both problems recorded", rep)
	}
	key := rep.Corrupt[0].Quarantine
	if !strings.HasPrefix(key, "quarantine/"+sharedD.Hex()+"/") {
		t.Fatalf("quarantine key %q", key)
	}
	if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key))); err != nil || string(b) != string(bad) {
		t.Errorf("the quarantined file %s does not hold the bad bytes: %v", key, err)
	}
	if _, err := os.Stat(blobFile(dir, sharedD)); !os.IsNotExist(err) {
		t.Errorf("the corrupt blob file is still in place: %v", err)
	}
	// Both count as missing now; the quarantined bytes are never served.
	if m, err := api.MissingBlobs(ctx, []core.Digest{sharedD, goneD}); err != nil || len(m) != 2 {
		t.Errorf("MissingBlobs = %v, %v; want both", m, err)
	}
	if _, err := api.GetBlob(ctx, sharedD); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("GetBlob of the quarantined blob = %v; want not found", err)
	}
	rep = verify(false)
	if len(rep.Corrupt) != 0 || len(rep.Missing) != 2 {
		t.Fatalf("verify after the repair = %+v; want both missing", rep)
	}
	for _, p := range rep.Missing {
		if !p.Recorded || (p.Digest == sharedD) != (p.Quarantine == key) || !strings.Contains(p.Error, "missing") {
			t.Errorf("missing after the repair: %+v", p)
		}
	}

	// Logging v1's content again dedups to v1, and so asks for both blobs;
	// after the upload it commits nothing new.
	res, err := api.LogArtifact(ctx, reqs["m:v1"])
	slices.SortFunc(res.Missing, compareDigest)
	want := []core.Digest{sharedD, goneD}
	slices.SortFunc(want, compareDigest)
	if err != nil || !slices.Equal(res.Missing, want) {
		t.Fatalf("re-log of v1 = %+v, %v; want %v missing", res, err, want)
	}
	for d, c := range map[core.Digest]string{sharedD: shared, goneD: gone} {
		if err := api.PutBlob(ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
			t.Fatalf("PutBlob(%s): %v", d, err)
		}
	}
	res, err = api.LogArtifact(ctx, reqs["m:v1"])
	if err != nil || len(res.Missing) != 0 || res.Created || res.Version.Label() != "v1" {
		t.Fatalf("re-log of v1 after the upload = %+v, %v; want a dedup to v1", res, err)
	}
	for name, want := range contents {
		m, err := api.Manifest(ctx, ref(name))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range m.Entries() {
			rc, err := api.GetBlob(ctx, e.Digest)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, e.Path, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(b) != want[e.Path] {
				t.Errorf("%s: %s reads %q, %v; want %q", name, e.Path, b, err, want[e.Path])
			}
		}
	}
	if rep := verify(false); len(rep.Corrupt)+len(rep.Missing) != 0 || rep.Checked != 4 {
		t.Errorf("verify after the upload = %+v; want 4 sound blobs", rep)
	}
	if res, err := api.LogArtifact(ctx, reqs["m:v0"]); err != nil || len(res.Missing) != 0 || res.Version.Label() != "v0" {
		t.Errorf("re-log of v0 = %+v, %v", res, err)
	}
}
