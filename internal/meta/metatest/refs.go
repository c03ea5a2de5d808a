package metatest

import (
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// refsTests are the subtests of reference entries (issue #5): a reference
// entry's digest is not a blob digest and must never grant anything on a
// blob.
var refsTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"RefsRoundTrip", testRefsRoundTrip},
	{"RefsGrantNoBlob", testRefsGrantNoBlob},
}

// refEntry is a reference entry whose digest is d, whatever it names.
func refEntry(path string, d core.Digest, uri string) core.Entry {
	return core.Entry{Path: path, Digest: d, Size: 7, Ref: uri, Extra: map[string]string{"etag": `"abc"`, "version_id": "v1"}}
}

// A manifest mixing files and references comes back exactly as committed.
func testRefsRoundTrip(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	file := core.DigestOf([]byte("file"))
	m, err := core.NewManifest([]core.Entry{
		{Path: "a.txt", Digest: file, Size: 4},
		refEntry("images/cat.png", core.DigestOf([]byte("cat identity")), "s3://bucket/images/cat.png"),
		{Path: "b.bin", Digest: core.DigestOf([]byte("url")), Size: 0, Ref: "https://example.com/b.bin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	v := commit(t, s, "refs", "", m)
	got, err := s.Manifest(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "manifest", got.Entries(), m.Entries())
	if v.Digest != m.Digest() {
		t.Errorf("version digest %s, manifest digest %s", v.Digest, m.Digest())
	}
	e, err := s.Entry(ctx, v.ID, "images/cat.png")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "entry", e, m.Entries()[2])
}

// A reference entry carrying the digest of someone's private blob makes
// that blob neither readable nor claimed: only stored entries (an empty ref)
// count for ReadableDigests and ReferableDigests.
func testRefsGrantNoBlob(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	createUser(t, s, "alice", false)
	createUser(t, s, "mallory", false)
	secret := core.DigestOf([]byte("alice's secret"))
	ms, err := core.NewManifest([]core.Entry{{Path: "secret.txt", Digest: secret, Size: 14}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "alice", Project: "priv", Name: "ds", Type: "dataset", Manifest: ms, Now: t0}); err != nil {
		t.Fatal(err)
	}
	// An unclaimed blob (no version, no record) and a reference to it.
	loose := core.DigestOf([]byte("loose blob"))
	mr, err := core.NewManifest([]core.Entry{
		refEntry("stolen.txt", secret, "s3://mallory/stolen.txt"),
		refEntry("loose.txt", loose, "s3://mallory/loose.txt"),
	})
	if err != nil {
		t.Fatal(err)
	}
	// In mallory's own project and in a public one.
	for _, p := range []string{"mine", "open"} {
		if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "mallory", Project: p, Name: "refs", Type: "dataset", Manifest: mr, Now: at(1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetProjectPublic(ctx, "mallory", "open", true); err != nil {
		t.Fatal(err)
	}
	ds := []core.Digest{secret, loose}
	for _, who := range []string{"mallory", "alice"} {
		got, err := s.ReadableDigests(ctx, who, ds)
		if err != nil {
			t.Fatal(err)
		}
		want := map[core.Digest]bool{}
		if who == "alice" {
			want[secret] = true // her own stored file
		}
		wantEqual(t, who+" ReadableDigests", got, want)
	}
	// Mallory may not name alice's blob in a stored entry; the loose blob
	// stays unclaimed, referable by anyone, as if the references were not
	// there.
	got, err := s.ReferableDigests(ctx, "mallory", ds)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "mallory ReferableDigests", got, map[core.Digest]bool{loose: true})
	got, err = s.ReferableDigests(ctx, "alice", ds)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "alice ReferableDigests", got, map[core.Digest]bool{secret: true, loose: true})

	// The same digest as a stored file of a public project is readable
	// by all: stored entries still count.
	mp, err := core.NewManifest([]core.Entry{{Path: "loose.txt", Digest: loose, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "mallory", Project: "open", Name: "stored", Type: "dataset", Manifest: mp, Now: at(2)}); err != nil {
		t.Fatal(err)
	}
	got, err = s.ReadableDigests(ctx, "alice", ds)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "alice ReadableDigests after a public stored file", got, map[core.Digest]bool{secret: true, loose: true})
}
