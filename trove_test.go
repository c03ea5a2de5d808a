package trove

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// testClient opens a client on a fresh embedded store in t.TempDir().
func testClient(t *testing.T) (*Client, string) {
	t.Helper()
	dir := t.TempDir()
	c, err := Open(context.Background(), Options{
		URL: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache"),
		Entity: "tester", Project: "sdk",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	work := filepath.Join(dir, "work")
	os.MkdirAll(work, 0o755)
	return c, work
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func startRun(t *testing.T, c *Client) *Run {
	t.Helper()
	r, err := c.StartRun(context.Background(), RunOptions{JobType: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Finish(context.Background()) })
	return r
}

func paths(t *testing.T, v *Version) []string {
	t.Helper()
	files, err := v.Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

// TestWalkthroughNaming checks each row of the walkthrough's table of
// AddFile / AddDir / NewFile calls and the paths they give.
func TestWalkthroughNaming(t *testing.T) {
	c, work := testClient(t)
	ctx := context.Background()
	write(t, filepath.Join(work, "images", "cat.png"), "meow")
	write(t, filepath.Join(work, "images", "dog.png"), "woof")
	write(t, filepath.Join(work, "checkpoints", "model.h5"), "ckpt")
	write(t, filepath.Join(work, "model.h5"), "final")
	run := startRun(t, c)
	rows := []struct {
		call string
		add  func(a *Artifact) error
		want []string
	}{
		{"add_file('model.h5')", func(a *Artifact) error { return a.AddFile(filepath.Join(work, "model.h5")) }, []string{"model.h5"}},
		{"add_file('checkpoints/model.h5')", func(a *Artifact) error { return a.AddFile(filepath.Join(work, "checkpoints", "model.h5")) }, []string{"model.h5"}},
		{"add_file('model.h5', name='models/mymodel.h5')", func(a *Artifact) error { return a.AddFile(filepath.Join(work, "model.h5"), "models/mymodel.h5") }, []string{"models/mymodel.h5"}},
		{"add_dir('images')", func(a *Artifact) error { return a.AddDir(filepath.Join(work, "images")) }, []string{"cat.png", "dog.png"}},
		{"add_dir('images', name='images')", func(a *Artifact) error { return a.AddDir(filepath.Join(work, "images"), "images") }, []string{"images/cat.png", "images/dog.png"}},
		{"new_file('hello.txt')", func(a *Artifact) error {
			f, err := a.NewFile("hello.txt")
			if err != nil {
				return err
			}
			io.WriteString(f, "hello")
			return f.Close()
		}, []string{"hello.txt"}},
	}
	for i, row := range rows {
		a := NewArtifact("row"+string(rune('0'+i)), "dataset")
		if err := row.add(a); err != nil {
			t.Fatalf("%s: %v", row.call, err)
		}
		v, err := run.LogArtifact(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", row.call, err)
		}
		if got := paths(t, v); !slices.Equal(got, row.want) {
			t.Errorf("%s gave %v, want %v", row.call, got, row.want)
		}
	}
	// NewFile's content is stored and its temporary file removed.
	v, err := c.Artifact(ctx, "row5:v0")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := v.Download(ctx, filepath.Join(work, "dl"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "hello.txt")); string(b) != "hello" {
		t.Fatalf("NewFile content = %q", b)
	}
}

// TestBadLocalInput: every bad path or name is refused with a clear error
// and leaves the artifact as it was.
func TestBadLocalInput(t *testing.T) {
	_, work := testClient(t)
	write(t, filepath.Join(work, "a.txt"), "a")
	write(t, filepath.Join(work, "tree", "in.txt"), "in")
	write(t, filepath.Join(work, "secret.txt"), "secret")
	a := NewArtifact("d", "dataset")
	for name, err := range map[string]error{
		"AddFile ../ name":       a.AddFile(filepath.Join(work, "a.txt"), "../a.txt"),
		"AddFile absolute name":  a.AddFile(filepath.Join(work, "a.txt"), "/etc/a.txt"),
		"AddFile dot segment":    a.AddFile(filepath.Join(work, "a.txt"), "x/./a.txt"),
		"AddFile of a directory": a.AddFile(filepath.Join(work, "tree")),
		"AddFile two names":      a.AddFile(filepath.Join(work, "a.txt"), "x", "y"),
		"AddDir of a file":       a.AddDir(filepath.Join(work, "a.txt")),
		"AddDir ../ prefix":      a.AddDir(filepath.Join(work, "tree"), "../up"),
		"AddDir absolute prefix": a.AddDir(filepath.Join(work, "tree"), "/abs"),
	} {
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	_, err := a.NewFile("../escape.txt")
	if !errors.Is(err, core.ErrInvalid) {
		t.Errorf("NewFile ../: %v", err)
	}
	if err := a.AddFile(filepath.Join(work, "missing.txt")); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("AddFile of a missing file: %v", err)
	}
	if len(a.files) != 0 {
		t.Fatalf("refused adds changed the artifact: %+v", a.files)
	}
	// Duplicates are conflicts.
	if err := a.AddFile(filepath.Join(work, "a.txt")); err != nil {
		t.Fatal(err)
	}
	if err := a.AddFile(filepath.Join(work, "tree", "in.txt"), "a.txt"); !errors.Is(err, core.ErrConflict) {
		t.Errorf("duplicate path: %v", err)
	}

	// Symbolic links: inside the tree followed, out of it refused.
	linked := filepath.Join(work, "linked")
	write(t, filepath.Join(linked, "real.txt"), "real")
	os.Symlink("real.txt", filepath.Join(linked, "alias.txt"))
	b := NewArtifact("links", "dataset")
	if err := b.AddDir(linked); err != nil {
		t.Fatalf("link inside the tree: %v", err)
	}
	if len(b.files) != 2 {
		t.Fatalf("files = %+v", b.files)
	}
	os.Symlink(filepath.Join(work, "secret.txt"), filepath.Join(linked, "out.txt"))
	c := NewArtifact("links", "dataset")
	if err := c.AddDir(linked); !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "out of the directory") {
		t.Fatalf("link out of the tree: %v", err)
	}
	if len(c.files) != 0 {
		t.Fatal("a refused AddDir added files")
	}
	os.Remove(filepath.Join(linked, "out.txt"))
	os.Symlink("..", filepath.Join(linked, "up"))
	if err := NewArtifact("x", "dataset").AddDir(linked); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("link to a directory: %v", err)
	}
	os.Remove(filepath.Join(linked, "up"))
	if err := syscall.Mkfifo(filepath.Join(linked, "fifo"), 0o644); err == nil {
		if err := NewArtifact("x", "dataset").AddDir(linked); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("fifo: %v", err)
		}
	}
}

func TestInvalidNamesBeforeIO(t *testing.T) {
	c, work := testClient(t)
	run := startRun(t, c)
	ctx := context.Background()
	write(t, filepath.Join(work, "a.txt"), "a")
	for _, tc := range []struct{ name, typ string }{{"bad name", "dataset"}, {"..", "dataset"}, {"ok", "a/b"}, {"ok", ""}, {"ok", "trove-x"}} {
		a := NewArtifact(tc.name, tc.typ)
		a.AddFile(filepath.Join(work, "a.txt"))
		if _, err := run.LogArtifact(ctx, a); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("log %q of type %q: %v", tc.name, tc.typ, err)
		}
	}
	a := NewArtifact("ok", "dataset")
	a.AddFile(filepath.Join(work, "a.txt"))
	if _, err := run.LogArtifact(ctx, a, "v3"); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("log with alias v3: %v", err)
	}
	a.Metadata = map[string]any{"bad": make(chan int)}
	if _, err := run.LogArtifact(ctx, a); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("log with unencodable metadata: %v", err)
	}
	cols, _ := c.Collections(ctx, "", "")
	if len(cols) != 0 {
		t.Fatalf("refused logs created %+v", cols)
	}
	for _, ref := range []string{"", "a/b/c/d", "x:v01", "x:", "../x"} {
		if _, err := c.Artifact(ctx, ref); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Artifact(%q): %v", ref, err)
		}
	}
	if _, err := run.UseArtifact(ctx, 42); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("UseArtifact(42): %v", err)
	}
}

// countingProgress records how many bytes each phase moved.
type countingProgress struct {
	mu     sync.Mutex
	phases map[string]int64
	cur    string
	bytes  atomic.Int64
}

func (p *countingProgress) Begin(phase string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.phases == nil {
		p.phases = map[string]int64{}
	}
	p.cur = phase
	p.bytes.Store(0)
}
func (p *countingProgress) Advance(n int64) { p.bytes.Add(n) }
func (p *countingProgress) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phases[p.cur] += p.bytes.Load()
}
func (p *countingProgress) reset() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.phases
	p.phases = map[string]int64{}
	return out
}

// TestStatCacheSkipsUnchangedFiles: re-logging an unchanged tree reads no
// file contents; a changed file is read again.
func TestStatCacheSkipsUnchangedFiles(t *testing.T) {
	c, work := testClient(t)
	p := &countingProgress{}
	c.progress = p
	ctx := context.Background()
	tree := filepath.Join(work, "tree")
	for i := range 20 {
		write(t, filepath.Join(tree, "dir", string(rune('a'+i))+".bin"), strings.Repeat("x", 1000+i))
	}
	backdate(t, tree)
	run := startRun(t, c)
	log := func() *Version {
		a := NewArtifact("tree", "dataset")
		if err := a.AddDir(tree); err != nil {
			t.Fatal(err)
		}
		v, err := run.LogArtifact(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	log()
	if got := p.reset(); got["storing"] == 0 {
		t.Fatalf("first log read nothing: %v", got)
	}
	v := log()
	if got := p.reset(); len(got) != 0 || v.Label() != "v0" {
		t.Fatalf("re-log of an unchanged tree read %v (version %s), want nothing", got, v.Label())
	}
	write(t, filepath.Join(tree, "dir", "a.bin"), strings.Repeat("y", 1000))
	v = log()
	if got := p.reset(); got["storing"] != 1000 || v.Label() != "v1" {
		t.Fatalf("after changing one file: read %v, version %s; want 1000 bytes and v1", got, v.Label())
	}
}

// backdate sets every file's mtime an hour back and waits until their
// ctime (set to now by the change) is older than the stat cache's racy
// window, so that the cache trusts them as a real, older tree.
func backdate(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond)
}

// TestUseLocalArtifact: using an artifact object logs it when new, without
// a producing run, and is idempotent.
func TestUseLocalArtifact(t *testing.T) {
	c, work := testClient(t)
	ctx := context.Background()
	write(t, filepath.Join(work, "model.h5"), "weights")
	run := startRun(t, c)
	for range 3 {
		a := NewArtifact("reference-model", "model")
		a.AddFile(filepath.Join(work, "model.h5"))
		v, err := run.UseArtifact(ctx, a)
		if err != nil || v.Label() != "v0" {
			t.Fatalf("UseArtifact(object) = %v, %v", v, err)
		}
	}
	vs, _ := c.ArtifactVersions(ctx, "reference-model")
	if len(vs) != 1 {
		t.Fatalf("%d versions, want 1", len(vs))
	}
	if by, err := vs[0].LoggedBy(ctx); err != nil || by != nil {
		t.Fatalf("LoggedBy = %v, %v; want none", by, err)
	}
	used, _ := run.UsedArtifacts(ctx)
	if len(used) != 1 {
		t.Fatalf("used = %v", used)
	}
	users, _ := vs[0].UsedBy(ctx)
	if len(users) != 1 || users[0].ID != run.ID {
		t.Fatalf("used by = %v", users)
	}
}

// TestDownloadVerifiesAndStaysInside: a corrupt blob is an error, not a
// file; a symbolic link planted in the download directory is not followed.
func TestDownloadVerifiesAndStaysInside(t *testing.T) {
	c, work := testClient(t)
	ctx := context.Background()
	write(t, filepath.Join(work, "src", "images", "cat.png"), "meow")
	write(t, filepath.Join(work, "src", "top.txt"), "top")
	run := startRun(t, c)
	a := NewArtifact("pics", "dataset")
	a.AddDir(filepath.Join(work, "src"))
	v, err := run.LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}

	// A link in the way pointing outside the root.
	outside := filepath.Join(work, "outside")
	os.MkdirAll(outside, 0o755)
	root := filepath.Join(work, "dl")
	os.MkdirAll(root, 0o755)
	os.Symlink(outside, filepath.Join(root, "images"))
	_, err = v.Download(ctx, root)
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("download wrote through a symlink to %s: %v", outside, entries)
	}
	if err == nil {
		t.Fatal("download through a planted directory link succeeded")
	}
	os.Remove(filepath.Join(root, "images"))
	// A link in place of a file is replaced, not written through.
	os.WriteFile(filepath.Join(outside, "victim"), []byte("keep"), 0o644)
	os.Symlink(filepath.Join(outside, "victim"), filepath.Join(root, "top.txt"))
	if _, err := v.Download(ctx, root); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "victim")); string(b) != "keep" {
		t.Fatalf("download wrote through a file link: %q", b)
	}
	if fi, _ := os.Lstat(filepath.Join(root, "top.txt")); !fi.Mode().IsRegular() {
		t.Fatal("link not replaced by the file")
	}

	// Corrupt the stored blob of cat.png.
	d := core.DigestOf([]byte("meow"))
	blobPath := filepath.Join(filepath.Dir(c.cacheDir), "data", "blobs", "sha256", d.Hex()[:2], d.Hex())
	if err := os.WriteFile(blobPath, []byte("woof"), 0o644); err != nil {
		t.Fatalf("corrupting %s: %v", blobPath, err)
	}
	fresh := filepath.Join(work, "fresh")
	_, err = v.Download(ctx, fresh)
	if !errors.Is(err, core.ErrCorrupt) {
		t.Fatalf("download of a corrupt blob: %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, "images", "cat.png")); !os.IsNotExist(err) {
		t.Fatal("a corrupt blob was written as the file")
	}
	e, err := v.Entry(ctx, "top.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Download(ctx, fresh)
	if b, _ := os.ReadFile(p); err != nil || string(b) != "top" || e.Ref() != "" {
		t.Fatalf("entry download: %q, %v", b, err)
	}
}

// remoteAPI hides the local store's ingest ability and counts blob reads,
// standing in for a server.
type remoteAPI struct {
	service.API
	gets atomic.Int64
	puts atomic.Int64
}

func (r *remoteAPI) GetBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	r.gets.Add(1)
	return r.API.GetBlob(ctx, d)
}

func (r *remoteAPI) PutBlob(ctx context.Context, d core.Digest, size int64, rd io.Reader) error {
	r.puts.Add(1)
	return r.API.PutBlob(ctx, d, size, rd)
}

// TestRemoteUploadAndBlobCache: without a local store the SDK uploads only
// missing blobs and serves repeated downloads from the blob cache.
func TestRemoteUploadAndBlobCache(t *testing.T) {
	c, work := testClient(t)
	remote := &remoteAPI{API: c.api}
	c.api, c.ingest = remote, nil
	ctx := context.Background()
	write(t, filepath.Join(work, "src", "a.txt"), "alpha")
	write(t, filepath.Join(work, "src", "b.txt"), "beta")
	write(t, filepath.Join(work, "src", "b-copy.txt"), "beta")
	run := startRun(t, c)
	a := NewArtifact("remote", "dataset")
	a.AddDir(filepath.Join(work, "src"))
	v, err := run.LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if n := remote.puts.Load(); n != 2 {
		t.Fatalf("uploaded %d blobs, want 2 (b.txt and b-copy.txt share one)", n)
	}
	write(t, filepath.Join(work, "src", "c.txt"), "gamma")
	a2 := NewArtifact("remote", "dataset")
	a2.AddDir(filepath.Join(work, "src"))
	if _, err := run.LogArtifact(ctx, a2); err != nil {
		t.Fatal(err)
	}
	if n := remote.puts.Load(); n != 3 {
		t.Fatalf("after adding one file, %d uploads in all, want 3", n)
	}
	if _, err := v.Download(ctx, filepath.Join(work, "one")); err != nil {
		t.Fatal(err)
	}
	if n := remote.gets.Load(); n != 2 {
		t.Fatalf("first download fetched %d blobs, want 2", n)
	}
	if _, err := v.Download(ctx, filepath.Join(work, "two")); err != nil {
		t.Fatal(err)
	}
	if n := remote.gets.Load(); n != 2 {
		t.Fatalf("second download fetched again (%d), want it served by the cache", n)
	}
	b, _ := os.ReadFile(filepath.Join(work, "two", "b-copy.txt"))
	if string(b) != "beta" {
		t.Fatalf("cached content %q", b)
	}
	if freed, err := c.blobCache().Cleanup(ctx, 0); err != nil || freed != int64(len("alpha")+len("beta")) {
		t.Fatalf("Cleanup(0) freed %d, %v", freed, err)
	}
	if _, err := v.Download(ctx, filepath.Join(work, "three")); err != nil {
		t.Fatal(err)
	}
	if n := remote.gets.Load(); n != 4 {
		t.Fatalf("after cleanup, fetched %d in all, want 4", n)
	}
}

// TestDamagedStatCache: a stat cache file that is not a database is
// replaced, and logging works.
func TestDamagedStatCache(t *testing.T) {
	c, work := testClient(t)
	if err := os.MkdirAll(c.cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(c.cacheDir, "stat.db"), strings.Repeat("garbage!", 1000))
	write(t, filepath.Join(work, "a.txt"), "a")
	run := startRun(t, c)
	a := NewArtifact("d", "dataset")
	a.AddFile(filepath.Join(work, "a.txt"))
	if _, err := run.LogArtifact(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if c.stat == nil {
		t.Fatal("the damaged stat cache was not replaced")
	}
}

// TestLogDeduplicated: a log whose content is already a version lands on it
// and says so, its description and metadata not applied; a log that makes
// a version, and a version looked up, are not deduplicated.
func TestLogDeduplicated(t *testing.T) {
	ctx := t.Context()
	c, work := testClient(t)
	r := startRun(t, c)
	data := write(t, filepath.Join(work, "d.txt"), "same")
	log := func(desc string, md map[string]any) *Version {
		t.Helper()
		a := NewArtifact("d", "dataset")
		if err := a.AddFile(data); err != nil {
			t.Fatal(err)
		}
		a.Description, a.Metadata = desc, md
		v, err := r.LogArtifact(ctx, a, "best")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := log("first", map[string]any{"rows": 1})
	if v0.Deduplicated() || v0.Label() != "v0" {
		t.Fatalf("first log: %s deduplicated %v, want a new v0", v0.Label(), v0.Deduplicated())
	}
	again := log("second", map[string]any{"rows": 2})
	if !again.Deduplicated() || again.Label() != "v0" {
		t.Fatalf("unchanged log: %s deduplicated %v, want v0 deduplicated", again.Label(), again.Deduplicated())
	}
	if again.Description != "first" || again.Metadata["rows"] != float64(1) {
		t.Errorf("deduplicated v0 = %q %v, want its own description and metadata", again.Description, again.Metadata)
	}
	got, err := c.Artifact(ctx, "d:v0")
	if err != nil || got.Deduplicated() {
		t.Errorf("looked-up version: deduplicated %v, %v; want false", got.Deduplicated(), err)
	}
	write(t, data, "changed")
	if v1 := log("", nil); v1.Deduplicated() || v1.Label() != "v1" {
		t.Errorf("changed log: %s deduplicated %v, want a new v1", v1.Label(), v1.Deduplicated())
	}
}
