package trove

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/server"
	"github.com/troveml/trove/internal/service"
)

// draftEnv is a client on a fresh store, embedded or behind a real HTTP
// server, with counters of what logging reads and sends.
type draftEnv struct {
	c     *Client
	work  string
	run   *Run
	prog  *countingProgress
	blobs *blob.Bucket
	puts  *atomic.Int64 // blobs the server received; nil embedded
}

// readBytes returns (and resets) the bytes of local files read since the
// last call: hashed, or hashed and stored in one pass.
func (e *draftEnv) readBytes() int64 {
	ph := e.prog.reset()
	return ph["hashing"] + ph["storing"]
}

// sent returns how many blobs the server has received (0 embedded, where
// the hashing pass stores them: readBytes counts those).
func (e *draftEnv) sent() int64 {
	if e.puts == nil {
		return 0
	}
	return e.puts.Load()
}

// countingService counts the blobs a server stores.
type countingService struct {
	service.API
	puts atomic.Int64
}

func (s *countingService) PutBlob(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	s.puts.Add(1)
	return s.API.PutBlob(ctx, d, size, r)
}

// forDraftModes runs fn embedded and against a real server, as a user who
// is not a site admin (so the server's proof of possession applies).
func forDraftModes(t *testing.T, fn func(t *testing.T, e *draftEnv)) {
	t.Run("embedded", func(t *testing.T) {
		c, work := testClient(t)
		e := &draftEnv{c: c, work: work, prog: &countingProgress{}, blobs: c.ingest.(*blob.Bucket)}
		c.progress = e.prog
		e.run = startRun(t, c)
		fn(t, e)
	})
	t.Run("server", func(t *testing.T) {
		ctx := context.Background()
		dir := t.TempDir()
		m, err := meta.OpenSQLite(ctx, filepath.Join(dir, "trove.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		b, err := blob.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		svc := &countingService{API: service.New(m, b, service.Options{})}
		auth := server.NewAuth(m)
		admin := authz.Principal{User: meta.User{Name: "root", Admin: true}}
		_, key, err := auth.Accounts().CreateUser(ctx, admin, "alice", false)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(server.Options{Service: svc, Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		prog := &countingProgress{}
		c, err := Open(ctx, Options{URL: ts.URL, APIKey: key, Project: "sdk", CacheDir: filepath.Join(dir, "cache"), Progress: prog})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		work := filepath.Join(dir, "work")
		e := &draftEnv{c: c, work: work, run: startRun(t, c), prog: prog, blobs: b, puts: &svc.puts}
		fn(t, e)
	})
}

// logTree logs the files (path → content) as a version of name, then
// deletes them, so that a draft of it has no local file to read.
func (e *draftEnv) logTree(t *testing.T, name string, files map[string]string) *Version {
	t.Helper()
	src := filepath.Join(e.work, name+"-src")
	for p, content := range files {
		write(t, filepath.Join(src, filepath.FromSlash(p)), content)
	}
	a := NewArtifact(name, "dataset")
	a.Description = "three files"
	a.Metadata = map[string]any{"rows": 3.0}
	if err := a.AddDir(src); err != nil {
		t.Fatal(err)
	}
	v, err := e.run.LogArtifact(t.Context(), a, "best")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(src); err != nil {
		t.Fatal(err)
	}
	e.readBytes()
	return v
}

// entries returns a version's manifest entries by path.
func entries(t *testing.T, v *Version) map[string]ManifestEntry {
	t.Helper()
	files, err := v.Files(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]ManifestEntry, len(files))
	for _, f := range files {
		out[f.Path] = f
	}
	return out
}

// checkDownload downloads v and compares every file with want.
func checkDownload(t *testing.T, v *Version, root string, want map[string]string) {
	t.Helper()
	dir, err := v.Download(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	for p, content := range want {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(b) != content {
			t.Errorf("%s: %s = %q, %v; want %q", v.Label(), p, b, err, content)
		}
	}
	if got := paths(t, v); len(got) != len(want) {
		t.Errorf("%s has %v, want %d files", v.Label(), got, len(want))
	}
}

var threeFiles = map[string]string{"a.txt": "alpha", "b.txt": "bravo", "c.txt": "charlie"}

// TestDraftReplace: replacing one file of a three-file version gives v1
// with two inherited digests and one new, reading and sending only the new
// file, though the original files are gone.
func TestDraftReplace(t *testing.T) {
	forDraftModes(t, func(t *testing.T, e *draftEnv) {
		ctx := t.Context()
		v0 := e.logTree(t, "ds", threeFiles)
		sent := e.sent()
		d, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "ds" || d.Type != "dataset" || d.Description != "three files" || !reflect.DeepEqual(d.Metadata, map[string]any{"rows": 3.0}) {
			t.Fatalf("draft %q %q %q %v: want v0's name, type, description and metadata", d.Name, d.Type, d.Description, d.Metadata)
		}
		nb := write(t, filepath.Join(e.work, "new-b.txt"), "BRAVO!")
		if err := d.AddFile(nb, "b.txt"); err != nil {
			t.Fatalf("replacing an inherited entry: %v", err)
		}
		v1, err := e.run.LogArtifact(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Index != 1 || v1.Digest == v0.Digest || !slices.Contains(v1.Aliases, "latest") {
			t.Fatalf("draft logged as %s (%s, aliases %v); want v1, new digest, latest", v1.Label(), v1.Digest, v1.Aliases)
		}
		if v1.Description != "three files" || v1.Metadata["rows"] != 3.0 {
			t.Errorf("v1 description %q metadata %v; want v0's", v1.Description, v1.Metadata)
		}
		old, cur := entries(t, v0), entries(t, v1)
		for _, p := range []string{"a.txt", "c.txt"} {
			if !reflect.DeepEqual(cur[p], old[p]) {
				t.Errorf("%s: v1 %+v, want v0's entry %+v", p, cur[p], old[p])
			}
		}
		if cur["b.txt"].Digest != core.DigestOf([]byte("BRAVO!")) || cur["b.txt"].Size != 6 {
			t.Errorf("b.txt in v1: %+v, want the new content", cur["b.txt"])
		}
		if n := e.readBytes(); n != int64(len("BRAVO!")) {
			t.Errorf("logging the draft read %d bytes of local files, want %d (the new file only)", n, len("BRAVO!"))
		}
		if e.puts != nil && e.sent()-sent != 1 {
			t.Errorf("logging the draft sent %d blobs, want 1", e.sent()-sent)
		}
		checkDownload(t, v1, filepath.Join(e.work, "v1"), map[string]string{"a.txt": "alpha", "b.txt": "BRAVO!", "c.txt": "charlie"})
		if err := d.AddFile(nb, "d.txt"); !errors.Is(err, ErrConflict) {
			t.Errorf("adding to a logged draft: %v, want a conflict", err)
		}
	})
}

// TestDraftRemove removes a file, then a folder, then adds a file.
func TestDraftRemove(t *testing.T) {
	forDraftModes(t, func(t *testing.T, e *draftEnv) {
		ctx := t.Context()
		v0 := e.logTree(t, "imgs", map[string]string{"a.txt": "alpha", "img/x.png": "x", "img/y/z.png": "z", "keep.txt": "keep"})
		sent := e.sent()

		d1, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d1.Remove("a.txt"); err != nil {
			t.Fatal(err)
		}
		v1, err := e.run.LogArtifact(ctx, d1)
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(t, v1); v1.Index != 1 || !slices.Equal(got, []string{"img/x.png", "img/y/z.png", "keep.txt"}) {
			t.Fatalf("after Remove(a.txt): %s %v", v1.Label(), got)
		}

		d2, err := v1.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d2.Remove("img/"); err != nil {
			t.Fatal(err)
		}
		v2, err := e.run.LogArtifact(ctx, d2)
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(t, v2); v2.Index != 2 || !slices.Equal(got, []string{"keep.txt"}) {
			t.Fatalf("after Remove(img/): %s %v", v2.Label(), got)
		}

		d3, err := v2.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f, err := d3.NewFile("notes/new.txt")
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("fresh")
		f.Close()
		v3, err := e.run.LogArtifact(ctx, d3)
		if err != nil {
			t.Fatal(err)
		}
		if v3.Index != 3 {
			t.Fatalf("after adding a file: %s, want v3", v3.Label())
		}
		if !reflect.DeepEqual(entries(t, v3)["keep.txt"], entries(t, v0)["keep.txt"]) {
			t.Error("keep.txt changed through three drafts")
		}
		checkDownload(t, v3, filepath.Join(e.work, "v3"), map[string]string{"keep.txt": "keep", "notes/new.txt": "fresh"})
		if n := e.readBytes(); n != int64(len("fresh")) {
			t.Errorf("three drafts read %d bytes of local files, want %d (the new file only)", n, len("fresh"))
		}
		if e.puts != nil && e.sent()-sent != 1 {
			t.Errorf("three drafts sent %d blobs, want 1", e.sent()-sent)
		}
	})
}

// TestDraftReferences: reference entries are inherited with their URI and
// checksum details; one is replaced by a stored file, one removed, and a
// new reference is added.
func TestDraftReferences(t *testing.T) {
	forDraftModes(t, func(t *testing.T, e *draftEnv) {
		ctx := t.Context()
		remote := filepath.Join(e.work, "remote")
		write(t, filepath.Join(remote, "cat.png"), "meow")
		write(t, filepath.Join(remote, "dog.png"), "woof!")
		// The new reference is served over HTTP with an ETag, which the
		// entry keeps in its checksum details (Extra).
		web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/bird.png" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("ETag", `"bird-1"`)
			http.ServeContent(w, r, "", time.Time{}, strings.NewReader("tweet"))
		}))
		t.Cleanup(web.Close)
		birdURL := web.URL + "/bird.png"
		own := write(t, filepath.Join(e.work, "labels.csv"), "cat,dog")
		a := NewArtifact("animals", "dataset")
		if err := a.AddReference(fileURL(filepath.Join(remote, "cat.png")), RefName("images/cat.png")); err != nil {
			t.Fatal(err)
		}
		if err := a.AddReference(fileURL(filepath.Join(remote, "dog.png")), RefName("images/dog.png")); err != nil {
			t.Fatal(err)
		}
		if err := a.AddFile(own); err != nil {
			t.Fatal(err)
		}
		v0, err := e.run.LogArtifact(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(own)
		e.readBytes()

		// Unchanged, the draft dedups to v0 and reads nothing.
		same, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := e.run.LogArtifact(ctx, same)
		if err != nil {
			t.Fatal(err)
		}
		if vs.Index != 0 || vs.Digest != v0.Digest {
			t.Fatalf("unchanged draft logged as %s, want v0", vs.Label())
		}

		d, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Remove("images/dog.png"); err != nil {
			t.Fatal(err)
		}
		if err := d.AddFile(write(t, filepath.Join(e.work, "cat-copy.png"), "meow"), "images/cat.png"); err != nil {
			t.Fatal(err)
		}
		if err := d.AddReference(birdURL, RefName("images/bird.png")); err != nil {
			t.Fatal(err)
		}
		v1, err := e.run.LogArtifact(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		old, cur := entries(t, v0), entries(t, v1)
		if v1.Index != 1 || len(cur) != 3 {
			t.Fatalf("draft logged as %s with %v", v1.Label(), paths(t, v1))
		}
		if !reflect.DeepEqual(cur["labels.csv"], old["labels.csv"]) {
			t.Errorf("labels.csv: %+v, want v0's %+v", cur["labels.csv"], old["labels.csv"])
		}
		if cat := cur["images/cat.png"]; cat.Ref != "" || cat.Digest != core.DigestOf([]byte("meow")) {
			t.Errorf("images/cat.png: %+v, want a stored file replacing the reference", cat)
		}
		if bird := cur["images/bird.png"]; bird.Ref != birdURL || len(bird.Extra) == 0 {
			t.Errorf("images/bird.png: %+v, want the new reference", bird)
		}

		// A draft of v1 keeps its reference entry exactly.
		d2, err := v1.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d2.Remove("labels.csv"); err != nil {
			t.Fatal(err)
		}
		v2, err := e.run.LogArtifact(ctx, d2)
		if err != nil {
			t.Fatal(err)
		}
		if got := entries(t, v2)["images/bird.png"]; !reflect.DeepEqual(got, cur["images/bird.png"]) || len(got.Extra) == 0 {
			t.Errorf("inherited reference: %+v, want %+v with its checksum details", got, cur["images/bird.png"])
		}
		checkDownload(t, v2, filepath.Join(e.work, "v2"), map[string]string{"images/cat.png": "meow", "images/bird.png": "tweet"})
	})
}

// TestDraftUnchanged: a draft logged as it is dedups to its version, reads
// no file and sends no blob; the given alias moves to it.
func TestDraftUnchanged(t *testing.T) {
	forDraftModes(t, func(t *testing.T, e *draftEnv) {
		ctx := t.Context()
		v0 := e.logTree(t, "same", threeFiles)
		sent := e.sent()
		d, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.run.LogArtifact(ctx, d, "again")
		if err != nil {
			t.Fatal(err)
		}
		if v.Index != 0 || v.Digest != v0.Digest || !slices.Contains(v.Aliases, "again") {
			t.Fatalf("unchanged draft: %s %v, want v0 with alias again", v.Label(), v.Aliases)
		}
		versions, err := e.c.ArtifactVersions(ctx, "same")
		if err != nil {
			t.Fatal(err)
		}
		if len(versions) != 1 {
			t.Errorf("%d versions, want 1", len(versions))
		}
		if n := e.readBytes(); n != 0 || e.sent() != sent {
			t.Errorf("unchanged draft read %d bytes and sent %d blobs, want none", n, e.sent()-sent)
		}
		// Removing a file and adding the same content back is unchanged too.
		d2, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d2.Remove("a.txt"); err != nil {
			t.Fatal(err)
		}
		if err := d2.AddFile(write(t, filepath.Join(e.work, "again.txt"), "alpha"), "a.txt"); err != nil {
			t.Fatal(err)
		}
		if v, err := e.run.LogArtifact(ctx, d2); err != nil || v.Index != 0 {
			t.Fatalf("same content again: %v, %v; want v0", v, err)
		}
	})
}

// TestDraftBadInput: drafts of versions that are not committed, removing
// what is not there, conflicts, and an inherited blob gone from the store
// all fail clearly and change nothing.
func TestDraftBadInput(t *testing.T) {
	forDraftModes(t, func(t *testing.T, e *draftEnv) {
		ctx := t.Context()
		v0 := e.logTree(t, "bad", threeFiles)

		if _, err := (&Version{}).NewDraft(ctx); !errors.Is(err, ErrInvalid) {
			t.Errorf("draft of a Version not from the store: %v", err)
		}
		var nilVersion *Version
		if _, err := nilVersion.NewDraft(ctx); !errors.Is(err, ErrInvalid) {
			t.Errorf("draft of a nil Version: %v", err)
		}

		d, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"missing.txt", "a", "a.txt/x", "sub"} {
			if err := d.Remove(p); !errors.Is(err, ErrNotFound) {
				t.Errorf("Remove(%q): %v, want not found", p, err)
			}
		}
		for _, p := range []string{"", "/", "../a.txt", "/a.txt", "a//b", "./a.txt"} {
			if err := d.Remove(p); !errors.Is(err, ErrInvalid) {
				t.Errorf("Remove(%q): %v, want invalid", p, err)
			}
		}
		// Two new additions of one path conflict, inherited or not.
		x := write(t, filepath.Join(e.work, "x.txt"), "x")
		if err := d.AddFile(x, "a.txt"); err != nil {
			t.Fatal(err)
		}
		if err := d.AddFile(x, "a.txt"); !errors.Is(err, ErrConflict) {
			t.Errorf("a.txt added twice: %v, want a conflict", err)
		}
		if err := d.AddFile(x, "new.txt"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.NewFile("new.txt"); !errors.Is(err, ErrConflict) {
			t.Errorf("new.txt added twice: %v, want a conflict", err)
		}
		// Removing a replaced path removes the addition and the inherited
		// entry; the draft is then v0 without a.txt plus new.txt.
		if err := d.Remove("a.txt"); err != nil {
			t.Fatal(err)
		}
		if err := d.Remove("a.txt"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second Remove(a.txt): %v, want not found", err)
		}
		v1, err := e.run.LogArtifact(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(t, v1); !slices.Equal(got, []string{"b.txt", "c.txt", "new.txt"}) {
			t.Errorf("after the failed calls: %v", got)
		}
		if err := d.Remove("b.txt"); !errors.Is(err, ErrConflict) {
			t.Errorf("Remove on a logged draft: %v, want a conflict", err)
		}

		// A deleted version, through the same handle or a stale one.
		stale, err := e.c.Artifact(ctx, "bad:v1")
		if err != nil {
			t.Fatal(err)
		}
		if err := v1.Delete(ctx, true); err != nil {
			t.Fatal(err)
		}
		if _, err := v1.NewDraft(ctx); !errors.Is(err, ErrInvalid) {
			t.Errorf("draft of a deleted version: %v, want invalid", err)
		}
		if _, err := stale.NewDraft(ctx); err == nil {
			t.Error("draft of a version deleted since it was loaded: no error")
		}

		// An inherited blob that left the store (deleted and collected)
		// cannot be sent again: a clear error, and no version.
		d2, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d2.AddFile(x, "x.txt"); err != nil {
			t.Fatal(err)
		}
		if err := e.blobs.Delete(ctx, core.DigestOf([]byte("bravo"))); err != nil {
			t.Fatal(err)
		}
		_, err = e.run.LogArtifact(ctx, d2)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("draft whose inherited blob is gone: %v, want not found", err)
		}
		t.Logf("inherited blob gone: %v", err)
		versions, err := e.c.ArtifactVersions(ctx, "bad")
		if err != nil {
			t.Fatal(err)
		}
		if len(versions) != 1 || versions[0].Index != 0 {
			t.Errorf("versions after the failed log: %d", len(versions))
		}

		// A new file with the same bytes is what gets sent: it restores the
		// blob for the inherited entry too.
		d3, err := v0.NewDraft(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d3.AddFile(write(t, filepath.Join(e.work, "bravo-copy.txt"), "bravo"), "z.txt"); err != nil {
			t.Fatal(err)
		}
		v3, err := e.run.LogArtifact(ctx, d3)
		if err != nil {
			t.Fatalf("draft with a new copy of a lost inherited blob: %v", err)
		}
		checkDownload(t, v3, filepath.Join(e.work, "v3"), map[string]string{"a.txt": "alpha", "b.txt": "bravo", "c.txt": "charlie", "z.txt": "bravo"})
	})
}
