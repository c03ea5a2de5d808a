package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

func openBlobs(t testing.TB, dir string, limit int64) *Blobs {
	t.Helper()
	b, err := OpenBlobs(dir, limit)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blobOf returns content of n bytes that differs by seed, and its digest.
func blobOf(seed, n int) ([]byte, core.Digest) {
	p := bytes.Repeat([]byte(fmt.Sprintf("%d-", seed)), n)[:n]
	return p, core.DigestOf(p)
}

func put(t testing.TB, b *Blobs, p []byte) core.Digest {
	t.Helper()
	d := core.DigestOf(p)
	if err := b.Put(context.Background(), d, bytes.NewReader(p)); err != nil {
		t.Fatal(err)
	}
	return d
}

// readBlob opens d and reads it to the end.
func readBlob(b *Blobs, d core.Digest) ([]byte, error) {
	rc, size, err := b.Open(context.Background(), d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	p, err := io.ReadAll(rc)
	if err == nil && int64(len(p)) != size {
		err = fmt.Errorf("read %d bytes, Open said %d", len(p), size)
	}
	return p, err
}

// age sets d's last-use time.
func age(t testing.TB, b *Blobs, d core.Digest, ago time.Duration) {
	t.Helper()
	when := time.Now().Add(-ago)
	if err := os.Chtimes(b.path(d), when, when); err != nil {
		t.Fatal(err)
	}
}

func TestBlobsPutOpen(t *testing.T) {
	dir := t.TempDir()
	b := openBlobs(t, dir, DefaultLimit)
	for _, n := range []int{0, 1, 1000, copyBufSize + 7} {
		p, d := blobOf(n, n)
		if b.Has(d) {
			t.Fatalf("Has(%d bytes) before Put", n)
		}
		put(t, b, p)
		if !b.Has(d) {
			t.Fatalf("Has(%d bytes) after Put = false", n)
		}
		got, err := readBlob(b, d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, p) {
			t.Fatalf("read back %d bytes differ", n)
		}
		if _, err := os.Stat(filepath.Join(dir, "sha256", d.Hex()[:2], d.Hex())); err != nil {
			t.Fatalf("blob not at its documented path: %v", err)
		}
		// Putting it again is fine and changes nothing.
		put(t, b, p)
	}
	if left := dirNames(t, filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

func TestBlobsOpenMiss(t *testing.T) {
	b := openBlobs(t, t.TempDir(), DefaultLimit)
	_, d := blobOf(1, 10)
	if _, _, err := b.Open(context.Background(), d); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("Open of a missing blob = %v, want ErrNotFound", err)
	}
	if _, _, err := b.Open(context.Background(), core.Digest{}); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("Open of the zero digest = %v, want ErrInvalid", err)
	}
}

func TestBlobsPutWrongDigest(t *testing.T) {
	tests := []struct {
		name  string
		limit int64
		size  int
	}{
		{"cached size", DefaultLimit, 5000},
		{"larger than the limit", 100, 5000},
		{"limit zero", 0, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			b := openBlobs(t, dir, tt.limit)
			p, _ := blobOf(1, tt.size)
			_, claimed := blobOf(2, tt.size)
			err := b.Put(context.Background(), claimed, bytes.NewReader(p))
			if !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("Put with a wrong digest = %v, want ErrCorrupt", err)
			}
			if b.Has(claimed) || b.Has(core.DigestOf(p)) {
				t.Fatal("something was cached")
			}
			if n, files, err := b.Usage(context.Background()); err != nil || n != 0 || files != 0 {
				t.Fatalf("Usage = %d, %d, %v; want empty", n, files, err)
			}
			if left := dirNames(t, filepath.Join(dir, "tmp")); len(left) != 0 {
				t.Fatalf("temp files left behind: %v", left)
			}
		})
	}
}

func TestBlobsPutExistingVerifiesInput(t *testing.T) {
	b := openBlobs(t, t.TempDir(), DefaultLimit)
	p, d := blobOf(1, 100)
	put(t, b, p)
	bad, _ := blobOf(2, 100)
	if err := b.Put(context.Background(), d, bytes.NewReader(bad)); !errors.Is(err, core.ErrCorrupt) {
		t.Fatalf("Put of wrong content for a cached digest = %v, want ErrCorrupt", err)
	}
	if got, err := readBlob(b, d); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("cached blob damaged by a rejected Put: %v", err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestBlobsTooLargeStreamsThrough(t *testing.T) {
	dir := t.TempDir()
	b := openBlobs(t, dir, 1000)
	small, _ := blobOf(1, 400)
	dSmall := put(t, b, small)

	big, dBig := blobOf(2, 3*copyBufSize)
	r := &countingReader{r: bytes.NewReader(big)}
	if err := b.Put(context.Background(), dBig, r); err != nil {
		t.Fatalf("Put of a blob larger than the limit = %v, want nil", err)
	}
	if r.n != int64(len(big)) {
		t.Fatalf("Put read %d of %d bytes; it must read the content through", r.n, len(big))
	}
	if b.Has(dBig) {
		t.Fatal("blob larger than the limit was cached")
	}
	if !b.Has(dSmall) {
		t.Fatal("a blob too large to cache evicted another")
	}
	if left := dirNames(t, filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

func TestBlobsCorruptDetectedAndRemoved(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(p string) error
	}{
		{"flipped byte", func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte{'X'}, 10)
			return err
		}},
		{"truncated", func(p string) error { return os.Truncate(p, 5) }},
		{"extended", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("tail")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := openBlobs(t, t.TempDir(), DefaultLimit)
			p, d := blobOf(1, 100)
			put(t, b, p)
			if err := tt.corrupt(b.path(d)); err != nil {
				t.Fatal(err)
			}
			_, err := readBlob(b, d)
			if !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("reading a corrupt blob = %v, want ErrCorrupt", err)
			}
			if b.Has(d) {
				t.Fatal("corrupt blob still cached")
			}
		})
	}
}

func TestBlobsEvictionHonoursOpen(t *testing.T) {
	dir := t.TempDir()
	b := openBlobs(t, dir, 1000)
	var ds []core.Digest
	for i := range 3 {
		p, _ := blobOf(i, 300)
		ds = append(ds, put(t, b, p))
	}
	a, bb, c := ds[0], ds[1], ds[2]
	age(t, b, a, 3*time.Hour)
	age(t, b, bb, 2*time.Hour)
	age(t, b, c, time.Hour)
	// a is the oldest put, but the most recently used.
	if _, err := readBlob(b, a); err != nil {
		t.Fatal(err)
	}
	p, _ := blobOf(3, 300)
	d := put(t, b, p) // 1200 > 1000: evict down to 900
	for _, tc := range []struct {
		name string
		d    core.Digest
		want bool
	}{{"a (opened)", a, true}, {"b (least recently used)", bb, false}, {"c", c, true}, {"d (new)", d, true}} {
		if got := b.Has(tc.d); got != tc.want {
			t.Errorf("Has(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	if n, files, err := b.Usage(context.Background()); err != nil || n != 900 || files != 3 {
		t.Errorf("Usage = %d, %d, %v; want 900, 3", n, files, err)
	}
}

func TestBlobsEvictionWithinLimit(t *testing.T) {
	b := openBlobs(t, t.TempDir(), 10_000)
	for i := range 100 {
		p, _ := blobOf(i, 700)
		put(t, b, p)
		n, _, err := b.Usage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n > 10_000 {
			t.Fatalf("after Put %d the cache holds %d bytes, over the limit", i, n)
		}
	}
}

// TestBlobsSharedDirectory has two Blobs on one directory, as two processes
// would: one's running total goes stale when the other evicts.
func TestBlobsSharedDirectory(t *testing.T) {
	dir := t.TempDir()
	b1 := openBlobs(t, dir, 2000)
	b2 := openBlobs(t, dir, 2000)
	var ds []core.Digest
	for i := range 5 {
		p, _ := blobOf(i, 300)
		ds = append(ds, put(t, b1, p))
	}
	// A reader opened before an eviction keeps working (Unix semantics).
	rc, _, err := b1.Open(context.Background(), ds[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if freed, err := b2.Cleanup(context.Background(), 0); err != nil || freed != 1500 {
		t.Fatalf("Cleanup(0) from the other instance = %d, %v; want 1500", freed, err)
	}
	if _, err := io.ReadAll(rc); err != nil {
		t.Fatalf("reading an evicted blob through an open reader: %v", err)
	}
	// b1 still counts 1500 bytes that are gone; its Puts must work and the
	// tree must stay within the limit.
	for i := 10; i < 20; i++ {
		p, _ := blobOf(i, 300)
		put(t, b1, p)
	}
	if n, _, err := b1.Usage(context.Background()); err != nil || n > 2000 {
		t.Fatalf("Usage = %d, %v; want at most 2000", n, err)
	}
	if _, err := b1.Cleanup(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}

func TestBlobsCleanup(t *testing.T) {
	dir := t.TempDir()
	b := openBlobs(t, dir, DefaultLimit)
	var ds []core.Digest
	for i := range 4 {
		p, _ := blobOf(i, 100)
		ds = append(ds, put(t, b, p))
		age(t, b, ds[i], time.Duration(4-i)*time.Hour) // ds[0] oldest
	}
	stale := filepath.Join(dir, "tmp", "put-stale")
	fresh := filepath.Join(dir, "tmp", "put-fresh")
	os.WriteFile(stale, make([]byte, 50), 0o600)
	os.WriteFile(fresh, make([]byte, 50), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)

	freed, err := b.Cleanup(context.Background(), 250)
	if err != nil {
		t.Fatal(err)
	}
	if freed != 250 { // two blobs and the stale temp file
		t.Errorf("Cleanup(250) freed %d, want 250", freed)
	}
	if b.Has(ds[0]) || b.Has(ds[1]) || !b.Has(ds[2]) || !b.Has(ds[3]) {
		t.Error("Cleanup(250) did not evict exactly the two least recently used")
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Error("stale temp file survived Cleanup")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temp file (a Put in progress) was removed")
	}

	if freed, err := b.Cleanup(context.Background(), 0); err != nil || freed != 200 {
		t.Errorf("Cleanup(0) = %d, %v; want 200", freed, err)
	}
	if n, files, err := b.Usage(context.Background()); err != nil || n != 0 || files != 0 {
		t.Errorf("Usage after Cleanup(0) = %d, %d, %v; want 0, 0", n, files, err)
	}
	if _, err := b.Cleanup(context.Background(), -1); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("Cleanup(-1) = %v, want ErrInvalid", err)
	}
}

func TestBlobsUsageIgnoresForeignFiles(t *testing.T) {
	dir := t.TempDir()
	b := openBlobs(t, dir, DefaultLimit)
	p, _ := blobOf(1, 100)
	put(t, b, p)
	os.WriteFile(filepath.Join(dir, "sha256", "README"), []byte("hello"), 0o644)
	os.MkdirAll(filepath.Join(dir, "sha256", "zz"), 0o755)
	os.WriteFile(filepath.Join(dir, "sha256", "zz", "notes.txt"), []byte("hello"), 0o644)
	if n, files, err := b.Usage(context.Background()); err != nil || n != 100 || files != 1 {
		t.Fatalf("Usage = %d, %d, %v; want 100, 1", n, files, err)
	}
	if _, err := b.Cleanup(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sha256", "zz", "notes.txt")); err != nil {
		t.Fatal("Cleanup removed a file that is not a blob")
	}
}

func TestBlobsPutCancelled(t *testing.T) {
	dir := t.TempDir()
	b := openBlobs(t, dir, DefaultLimit)
	ctx, cancel := context.WithCancel(context.Background())
	p, d := blobOf(1, 4*copyBufSize)
	r := readerFunc(func(buf []byte) (int, error) {
		cancel() // cancelled mid-stream
		return copy(buf, p[:1024]), nil
	})
	if err := b.Put(ctx, d, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put after cancel = %v, want context.Canceled", err)
	}
	if b.Has(d) {
		t.Fatal("cancelled Put cached the blob")
	}
	if left := dirNames(t, filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestBlobsConcurrent(t *testing.T) {
	b := openBlobs(t, t.TempDir(), 20_000)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 4 {
		wg.Go(func() {
			for i := range 60 {
				p, d := blobOf(i%30, 1000) // goroutines put the same blobs
				if err := b.Put(context.Background(), d, bytes.NewReader(p)); err != nil {
					errs <- err
					return
				}
				got, err := readBlob(b, d)
				switch {
				case errors.Is(err, core.ErrNotFound): // evicted meanwhile
				case err != nil:
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
					return
				case !bytes.Equal(got, p):
					errs <- fmt.Errorf("goroutine %d: wrong content", g)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _, err := b.Usage(context.Background()); err != nil || n > 20_000 {
		t.Fatalf("Usage = %d, %v; want at most the limit", n, err)
	}
}

func TestOpenBlobsNegativeLimit(t *testing.T) {
	if _, err := OpenBlobs(t.TempDir(), -1); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("OpenBlobs(-1) = %v, want ErrInvalid", err)
	}
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestBlobsPutKeepsNewBlob(t *testing.T) {
	b := openBlobs(t, t.TempDir(), 1000)
	old, _ := blobOf(1, 600)
	dOld := put(t, b, old)
	age(t, b, dOld, time.Hour)
	// 950 bytes fit the limit but not the 90% that eviction aims for: the
	// new blob must survive its own Put's eviction.
	p, _ := blobOf(2, 950)
	d := put(t, b, p)
	if !b.Has(d) {
		t.Fatal("Put evicted the blob it just stored")
	}
	if b.Has(dOld) {
		t.Fatal("older blob not evicted although the cache was over its limit")
	}
}
