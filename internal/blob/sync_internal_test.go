package blob

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// syncCounter replaces a file bucket's fsync hooks and records the calls.
type syncCounter struct {
	mu    sync.Mutex
	files int
	dirs  map[string]int
	err   error // returned by the directory hook when set
}

func countSyncs(t *testing.T, b *Bucket) *syncCounter {
	t.Helper()
	c := &syncCounter{dirs: map[string]int{}}
	b.syncFile = func(f *os.File) error {
		// Synced before its rename: still the temporary file.
		if filepath.Dir(f.Name()) != b.path("tmp") {
			t.Errorf("synced %s, want a temporary file under tmp/", f.Name())
		}
		c.mu.Lock()
		c.files++
		c.mu.Unlock()
		return f.Sync()
	}
	b.syncDir = func(p string) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.dirs[p]++
		return c.err
	}
	return c
}

func openSyncBucket(t *testing.T, o Options) *Bucket {
	t.Helper()
	b, err := OpenWith(context.Background(), "file://"+filepath.Join(t.TempDir(), "blobs"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Every blob file is synced before its rename, and one Sync syncs each
// directory that received an entry once: the fan-out directories, sha256/
// and the store's directory (new on the first commit) and its parent.
func TestSyncFilesThenDirsOncePerSync(t *testing.T) {
	ctx := context.Background()
	b := openSyncBucket(t, Options{})
	c := countSyncs(t, b)
	var ds []core.Digest
	for i := range 20 {
		content := []byte{byte(i), 'x'}
		if i%2 == 0 {
			d, _, err := b.Ingest(ctx, bytes.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		} else {
			d := core.DigestOf(content)
			if err := b.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
	}
	if c.files != 20 || len(c.dirs) != 0 {
		t.Fatalf("before Sync: %d file syncs, %d dir syncs; want 20 and 0 (dirs wait for the commit's barrier)", c.files, len(c.dirs))
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{b.root: 1, filepath.Dir(b.root): 1, b.path("sha256"): 1}
	for _, d := range ds {
		want[filepath.Dir(b.path(keyOf(d)))] = 1
	}
	if len(c.dirs) != len(want) {
		t.Errorf("synced dirs %v; want %v", c.dirs, want)
	}
	for p, n := range want {
		if c.dirs[p] != n {
			t.Errorf("dir %s synced %d times; want %d", p, c.dirs[p], n)
		}
	}
	// Nothing new: the next barrier is free.
	clear(c.dirs)
	if err := b.Sync(ctx); err != nil || len(c.dirs) != 0 {
		t.Fatalf("second Sync: %v, synced %v; want nothing", err, c.dirs)
	}
	// A blob in an existing fan-out directory dirties that one only.
	d, _, err := b.Ingest(ctx, bytes.NewReader([]byte{0, 'x'}))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if dir := filepath.Dir(b.path(keyOf(d))); len(c.dirs) != 1 || c.dirs[dir] != 1 {
		t.Fatalf("synced %v; want only %s", c.dirs, dir)
	}
}

// A failed directory sync fails Sync, and the directories stay for the next.
func TestSyncFailureKeepsDirs(t *testing.T) {
	ctx := context.Background()
	b := openSyncBucket(t, Options{})
	c := countSyncs(t, b)
	c.err = errors.New("boom")
	if _, _, err := b.Ingest(ctx, bytes.NewReader([]byte("a"))); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); core.KindOf(err) != core.ErrUnavailable {
		t.Fatalf("Sync with a failing fsync = %v; want ErrUnavailable", err)
	}
	c.err = nil
	clear(c.dirs)
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if len(c.dirs) != 4 {
		t.Fatalf("retry synced %v; want the 4 dirs again", c.dirs)
	}
}

// NoSync skips every sync.
func TestNoSyncSkipsSyncs(t *testing.T) {
	ctx := context.Background()
	b := openSyncBucket(t, Options{NoSync: true})
	c := countSyncs(t, b)
	content := []byte("scratch")
	if _, _, err := b.Ingest(ctx, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, core.DigestOf([]byte("y")), 1, bytes.NewReader([]byte("y"))); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if c.files != 0 || len(c.dirs) != 0 {
		t.Fatalf("NoSync: %d file syncs, dirs %v; want none", c.files, c.dirs)
	}
}

// Memory (and S3) stores have nothing to sync.
func TestSyncMemIsNoop(t *testing.T) {
	b, err := Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}
