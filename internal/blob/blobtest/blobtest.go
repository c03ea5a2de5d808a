// Package blobtest is the conformance suite every blob.Store driver runs.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
)

// tempCleaner is the optional ability to remove abandoned temporary objects,
// which the cancellation test uses to check nothing was left behind.
type tempCleaner interface {
	CleanTemp(ctx context.Context, olderThan time.Duration) (int, error)
}

// Run runs the conformance suite. newStore returns an empty store, a fresh one
// for every call; the suite does not close it, so register any cleanup with
// t.Cleanup. corrupt, when not nil, must alter the stored bytes of blob d in s
// behind the store's back (keeping it readable); when nil, the corruption test
// is skipped.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store, corrupt func(t *testing.T, s blob.Store, d core.Digest)) {
	t.Run("RoundTrip", func(t *testing.T) { t.Parallel(); testRoundTrip(t, newStore) })
	t.Run("RoundTripLarge", func(t *testing.T) { t.Parallel(); testRoundTripLarge(t, newStore) })
	t.Run("PutAgain", func(t *testing.T) { t.Parallel(); testPutAgain(t, newStore) })
	t.Run("PutWrongDigest", func(t *testing.T) { t.Parallel(); testPutWrongDigest(t, newStore) })
	t.Run("PutWrongSize", func(t *testing.T) { t.Parallel(); testPutWrongSize(t, newStore) })
	t.Run("PutReaderError", func(t *testing.T) { t.Parallel(); testPutReaderError(t, newStore) })
	t.Run("Missing", func(t *testing.T) { t.Parallel(); testMissing(t, newStore) })
	t.Run("Corruption", func(t *testing.T) {
		if corrupt == nil {
			t.Skip("no corrupt function for this driver")
		}
		t.Parallel()
		testCorruption(t, newStore, corrupt)
	})
	t.Run("Repair", func(t *testing.T) {
		if corrupt == nil {
			t.Skip("no corrupt function for this driver")
		}
		t.Parallel()
		testRepair(t, newStore, corrupt)
	})
	t.Run("Quarantine", func(t *testing.T) { t.Parallel(); testQuarantine(t, newStore, corrupt) })
	t.Run("Ingest", func(t *testing.T) { t.Parallel(); testIngest(t, newStore) })
	t.Run("Concurrent", func(t *testing.T) { t.Parallel(); testConcurrent(t, newStore) })
	t.Run("ConcurrentDistinct", func(t *testing.T) { t.Parallel(); testConcurrentDistinct(t, newStore) })
	t.Run("Cancel", func(t *testing.T) { t.Parallel(); testCancel(t, newStore) })
	t.Run("List", func(t *testing.T) { t.Parallel(); testList(t, newStore) })
	t.Run("Delete", func(t *testing.T) { t.Parallel(); testDelete(t, newStore) })
}

func testRoundTrip(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	for _, tc := range []struct {
		name    string
		content []byte
		size    int64 // -1: pass the size as unknown
	}{
		{"empty", nil, 0},
		{"empty unknown size", nil, -1},
		{"one byte", []byte{0}, 1},
		{"small", []byte("hello, trove\n"), 13},
		{"small unknown size", []byte("another small blob"), -1},
		{"1 MiB + 1", Content(7, 1<<20+1), 1<<20 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := core.DigestOf(tc.content)
			if err := s.Put(ctx, d, tc.size, bytes.NewReader(tc.content)); err != nil {
				t.Fatalf("Put: %v", err)
			}
			if n, err := s.Stat(ctx, d); err != nil || n != int64(len(tc.content)) {
				t.Fatalf("Stat = %d, %v; want %d, nil", n, err, len(tc.content))
			}
			if got := ReadAll(t, s, d); !bytes.Equal(got, tc.content) {
				t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(tc.content))
			}
		})
	}
}

// testRoundTripLarge streams 64 MiB in and out without holding it in memory.
func testRoundTripLarge(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	const size = 64 << 20
	d := DigestOfReader(t, NewReader(1, size))
	if err := s.Put(ctx, d, size, NewReader(1, size)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n, err := s.Stat(ctx, d); err != nil || n != size {
		t.Fatalf("Stat = %d, %v; want %d, nil", n, err, size)
	}
	rc, err := s.Get(ctx, d)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	// Compare against a fresh generator chunk by chunk rather than trusting
	// the store's own verification.
	n, err := io.Copy(&compareWriter{want: NewReader(1, size)}, rc)
	if err != nil || n != size {
		t.Fatalf("reading back: %d bytes, %v; want %d, nil", n, err, size)
	}
}

// compareWriter fails a write whose bytes differ from the next bytes of want.
type compareWriter struct {
	want io.Reader
	buf  []byte
	off  int64
}

func (c *compareWriter) Write(p []byte) (int, error) {
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	w := c.buf[:len(p)]
	if _, err := io.ReadFull(c.want, w); err != nil {
		return 0, fmt.Errorf("more bytes than expected at offset %d: %w", c.off, err)
	}
	if !bytes.Equal(p, w) {
		return 0, fmt.Errorf("content differs in the %d bytes at offset %d", len(p), c.off)
	}
	c.off += int64(len(p))
	return len(p), nil
}

// testPutAgain: storing a stored blob again succeeds, and a wrong body,
// or one that fails, leaves the stored copy as it was.
func testPutAgain(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	content := []byte("stored twice")
	d := core.DigestOf(content)
	if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatalf("first Put: %v", err)
	}
	if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatalf("second Put: %v", err)
	}
	// Put reads the body even when the blob is stored, so a wrong one is
	// refused — and changes nothing.
	if err := s.Put(ctx, d, int64(len(content)), strings.NewReader("stored thrice")); !errors.Is(err, core.ErrCorrupt) {
		t.Fatalf("Put of other bytes over a stored blob = %v; want core.ErrCorrupt", err)
	}
	if err := s.Put(ctx, d, int64(len(content)), errReader{io.ErrUnexpectedEOF}); err == nil {
		t.Fatal("Put from a failing reader over a stored blob succeeded")
	}
	if d2, n, err := s.Ingest(ctx, bytes.NewReader(content)); err != nil || d2 != d || n != int64(len(content)) {
		t.Fatalf("Ingest of stored content = %s, %d, %v; want %s, %d, nil", d2, n, err, d, len(content))
	}
	if got := ListAll(t, s); len(got) != 1 || got[d] != int64(len(content)) {
		t.Fatalf("List = %v; want only %s", got, d)
	}
	if got := ReadAll(t, s, d); !bytes.Equal(got, content) {
		t.Fatalf("Get = %q; want %q", got, content)
	}
	checkNoTemp(t, s)
}

// testRepair: a verified Put or Ingest replaces a damaged copy; a wrong
// body leaves even a damaged copy alone.
func testRepair(t *testing.T, newStore func(t *testing.T) blob.Store, corrupt func(t *testing.T, s blob.Store, d core.Digest)) {
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"small", []byte("damaged, then repaired")},
		{"3 MiB", Content(17, 3<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			d, size := core.DigestOf(tc.content), int64(len(tc.content))
			if err := s.Put(ctx, d, size, bytes.NewReader(tc.content)); err != nil {
				t.Fatalf("Put: %v", err)
			}
			damaged := func() bool {
				rc, err := s.Get(ctx, d)
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				defer rc.Close()
				_, err = io.Copy(io.Discard, rc)
				return errors.Is(err, core.ErrCorrupt)
			}
			corrupt(t, s, d)
			if !damaged() {
				t.Fatal("the corrupt function did not damage the blob")
			}
			// Wrong bytes, and a body that fails, store nothing.
			wrong := bytes.Repeat([]byte{'x'}, len(tc.content))
			if err := s.Put(ctx, d, size, bytes.NewReader(wrong)); !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("Put of wrong bytes over a damaged copy = %v; want core.ErrCorrupt", err)
			}
			cut := io.MultiReader(bytes.NewReader(tc.content[:len(tc.content)/2]), errReader{io.ErrUnexpectedEOF})
			if err := s.Put(ctx, d, size, cut); err == nil {
				t.Fatal("Put of a failing body over a damaged copy succeeded")
			}
			if !damaged() {
				t.Fatal("a refused Put changed the stored copy")
			}
			checkNoTemp(t, s)
			// The right bytes repair it, by Put and by Ingest.
			if err := s.Put(ctx, d, size, bytes.NewReader(tc.content)); err != nil {
				t.Fatalf("Put of the right bytes over a damaged copy: %v", err)
			}
			if got := ReadAll(t, s, d); !bytes.Equal(got, tc.content) {
				t.Fatal("after the Put, the blob reads back different content")
			}
			corrupt(t, s, d)
			if got, n, err := s.Ingest(ctx, bytes.NewReader(tc.content)); err != nil || got != d || n != size {
				t.Fatalf("Ingest of the right bytes over a damaged copy = %s, %d, %v", got, n, err)
			}
			if got := ReadAll(t, s, d); !bytes.Equal(got, tc.content) {
				t.Fatal("after the Ingest, the blob reads back different content")
			}
			if n, err := s.Stat(ctx, d); err != nil || n != size {
				t.Fatalf("Stat = %d, %v; want %d", n, err, size)
			}
			checkNoTemp(t, s)
		})
	}
}

// quarantiner is the optional ability to move a damaged blob aside.
type quarantiner interface {
	Quarantine(ctx context.Context, d core.Digest) (string, error)
}

// testQuarantine: a quarantined blob is missing — never served, never
// listed — until it is stored again.
func testQuarantine(t *testing.T, newStore func(t *testing.T) blob.Store, corrupt func(t *testing.T, s blob.Store, d core.Digest)) {
	ctx := t.Context()
	s := newStore(t)
	qs, ok := s.(quarantiner)
	if !ok {
		t.Skip("the store cannot quarantine blobs")
	}
	content, other := []byte("to be quarantined"), []byte("a bystander")
	d := core.DigestOf(content)
	for _, c := range [][]byte{content, other} {
		if err := s.Put(ctx, core.DigestOf(c), int64(len(c)), bytes.NewReader(c)); err != nil {
			t.Fatal(err)
		}
	}
	if corrupt != nil {
		corrupt(t, s, d)
	}
	key, err := qs.Quarantine(ctx, d)
	if err != nil || !strings.HasPrefix(key, "quarantine/"+d.Hex()+"/") {
		t.Fatalf("Quarantine = %q, %v; want a key under quarantine/%s/", key, err, d.Hex())
	}
	if _, err := s.Stat(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Stat of a quarantined blob = %v; want core.ErrNotFound", err)
	}
	if rc, err := s.Get(ctx, d); !errors.Is(err, core.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("Get of a quarantined blob = %v; want core.ErrNotFound", err)
	}
	if got := ListAll(t, s); len(got) != 1 || got[core.DigestOf(other)] != int64(len(other)) {
		t.Errorf("List after quarantine = %v; want only the bystander", got)
	}
	if _, err := qs.Quarantine(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Quarantine of a missing blob = %v; want core.ErrNotFound", err)
	}
	checkNoTemp(t, s)
	if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatalf("Put after quarantine: %v", err)
	}
	if got := ReadAll(t, s, d); !bytes.Equal(got, content) {
		t.Errorf("Get after the Put = %q; want %q", got, content)
	}
}

func testPutWrongDigest(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	for _, tc := range []struct {
		name    string
		content []byte
		size    int64
	}{
		{"small", []byte("actual content"), 14},
		{"unknown size", []byte("actual content"), -1},
		{"empty", nil, 0},
		{"3 MiB", Content(3, 3<<20), 3 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claimed := core.DigestOf([]byte("claimed content"))
			actual := core.DigestOf(tc.content)
			err := s.Put(ctx, claimed, tc.size, bytes.NewReader(tc.content))
			if !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("Put = %v; want core.ErrCorrupt", err)
			}
			if msg := err.Error(); !strings.Contains(msg, claimed.String()) || !strings.Contains(msg, actual.String()) {
				t.Errorf("error %q does not name both the expected %s and the actual %s", msg, claimed, actual)
			}
			if _, err := s.Stat(ctx, claimed); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("Stat after a rejected Put = %v; want core.ErrNotFound", err)
			}
			if _, err := s.Stat(ctx, actual); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("Stat of the actual digest = %v; want core.ErrNotFound", err)
			}
		})
	}
	if got := ListAll(t, s); len(got) != 0 {
		t.Fatalf("List after rejected Puts = %v; want nothing", got)
	}
}

func testPutWrongSize(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	content := []byte("twenty bytes of data")
	d := core.DigestOf(content)
	for _, size := range []int64{0, 19, 21, 1 << 30} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			err := s.Put(ctx, d, size, bytes.NewReader(content))
			if !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("Put with size %d of %d bytes = %v; want core.ErrCorrupt", size, len(content), err)
			}
			if _, err := s.Stat(ctx, d); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("Stat after a rejected Put = %v; want core.ErrNotFound", err)
			}
		})
	}
	// The correct size still works afterwards.
	if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatalf("Put with the right size: %v", err)
	}
}

func testPutReaderError(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	content := Content(5, 2<<20)
	d := core.DigestOf(content)
	boom := core.Errorf(core.ErrTooLarge, "body too large")
	// The reader's kind must be the kind of the returned error, not just
	// somewhere in its chain: that is what callers map to a status.
	hasKind := func(err, kind error) bool {
		var ce *core.Error
		return errors.As(err, &ce) && ce.Kind == kind
	}
	r := io.MultiReader(bytes.NewReader(content[:1<<20]), errReader{boom})
	if err := s.Put(ctx, d, int64(len(content)), r); !hasKind(err, core.ErrTooLarge) || !errors.Is(err, boom) {
		t.Fatalf("Put from a failing reader = %v; want the reader's error, of kind core.ErrTooLarge", err)
	}
	r = io.MultiReader(bytes.NewReader(content[:1<<20]), errReader{boom})
	if _, _, err := s.Ingest(ctx, r); !hasKind(err, core.ErrTooLarge) || !errors.Is(err, boom) {
		t.Fatalf("Ingest from a failing reader = %v; want the reader's error, of kind core.ErrTooLarge", err)
	}
	if _, err := s.Stat(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("Stat after failed writes = %v; want core.ErrNotFound", err)
	}
	checkNoTemp(t, s)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func testMissing(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	d := core.DigestOf([]byte("never stored"))
	if rc, err := s.Get(ctx, d); !errors.Is(err, core.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("Get of a missing blob = %v; want core.ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Stat of a missing blob = %v; want core.ErrNotFound", err)
	}
	if err := s.Delete(ctx, d); err != nil {
		t.Errorf("Delete of a missing blob = %v; want nil", err)
	}
}

func testCorruption(t *testing.T, newStore func(t *testing.T) blob.Store, corrupt func(t *testing.T, s blob.Store, d core.Digest)) {
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"small", []byte("soon to be corrupted")},
		{"2 MiB", Content(9, 2<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			d := core.DigestOf(tc.content)
			if err := s.Put(ctx, d, int64(len(tc.content)), bytes.NewReader(tc.content)); err != nil {
				t.Fatalf("Put: %v", err)
			}
			corrupt(t, s, d)

			rc, err := s.Get(ctx, d)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if _, err := io.ReadAll(rc); !errors.Is(err, core.ErrCorrupt) {
				t.Errorf("io.ReadAll of a corrupted blob = %v; want core.ErrCorrupt", err)
			}
			rc.Close()

			// io.Copy goes through WriteTo when the reader has one.
			rc, err = s.Get(ctx, d)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if _, err := io.Copy(io.Discard, rc); !errors.Is(err, core.ErrCorrupt) {
				t.Errorf("io.Copy of a corrupted blob = %v; want core.ErrCorrupt", err)
			}
			rc.Close()

			// Small reads: the first error must be ErrCorrupt, never an
			// early io.EOF, and it must stick.
			rc, err = s.Get(ctx, d)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			defer rc.Close()
			buf := make([]byte, 7)
			for {
				_, err := rc.Read(buf)
				if err == nil {
					continue
				}
				if !errors.Is(err, core.ErrCorrupt) {
					t.Fatalf("Read of a corrupted blob = %v; want core.ErrCorrupt", err)
				}
				break
			}
			if _, err := rc.Read(buf); !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("Read after the corruption was reported = %v; want core.ErrCorrupt again", err)
			}
		})
	}
}

func testIngest(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"empty", nil},
		{"small", []byte("ingested")},
		{"3 MiB + 5", Content(11, 3<<20+5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := core.DigestOf(tc.content)
			for i := range 2 { // the second time the blob exists already
				d, n, err := s.Ingest(ctx, bytes.NewReader(tc.content))
				if err != nil {
					t.Fatalf("Ingest #%d: %v", i+1, err)
				}
				if d != want || n != int64(len(tc.content)) {
					t.Fatalf("Ingest #%d = %s, %d; want %s, %d", i+1, d, n, want, len(tc.content))
				}
				if got := ReadAll(t, s, d); !bytes.Equal(got, tc.content) {
					t.Fatalf("Get after Ingest #%d returned different content", i+1)
				}
			}
		})
	}
	if got := ListAll(t, s); len(got) != 3 {
		t.Errorf("List after ingesting 3 blobs twice = %v; want 3 blobs", got)
	}
	checkNoTemp(t, s)
}

func testConcurrent(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	content := Content(13, 1<<20+17)
	d := core.DigestOf(content)
	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := make(chan struct{})
	for i := range workers {
		wg.Go(func() {
			<-start
			if i%2 == 0 {
				if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
					errs <- fmt.Errorf("Put #%d: %w", i, err)
				}
				return
			}
			got, n, err := s.Ingest(ctx, bytes.NewReader(content))
			switch {
			case err != nil:
				errs <- fmt.Errorf("Ingest #%d: %w", i, err)
			case got != d || n != int64(len(content)):
				errs <- fmt.Errorf("Ingest #%d = %s, %d; want %s, %d", i, got, n, d, len(content))
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := ListAll(t, s); len(got) != 1 || got[d] != int64(len(content)) {
		t.Errorf("List = %v; want only %s", got, d)
	}
	if got := ReadAll(t, s, d); !bytes.Equal(got, content) {
		t.Errorf("Get returned different content")
	}
	checkNoTemp(t, s)
}

// testConcurrentDistinct catches writers that share temporary names: each
// goroutine stores different contents, which must land under their own
// digests.
func testConcurrentDistinct(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	const workers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := range each {
				c := Content(int64(300+w*each+i), int64(20_000+w))
				want := core.DigestOf(c)
				if i%4 == 3 {
					if err := s.Put(ctx, want, int64(len(c)), bytes.NewReader(c)); err != nil {
						errs <- fmt.Errorf("Put %d.%d: %w", w, i, err)
						return
					}
					continue
				}
				if d, _, err := s.Ingest(ctx, bytes.NewReader(c)); err != nil || d != want {
					errs <- fmt.Errorf("Ingest %d.%d = %s, %v; want %s", w, i, d, err, want)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		for i := range each {
			c := Content(int64(300+w*each+i), int64(20_000+w))
			if got := ReadAll(t, s, core.DigestOf(c)); !bytes.Equal(got, c) {
				t.Errorf("blob %d.%d reads back different content", w, i)
			}
		}
	}
	if got := ListAll(t, s); len(got) != workers*each {
		t.Errorf("List: %d blobs; want %d", len(got), workers*each)
	}
	checkNoTemp(t, s)
}

func testCancel(t *testing.T, newStore func(t *testing.T) blob.Store) {
	s := newStore(t)
	const size = 8 << 20
	d := DigestOfReader(t, NewReader(2, size))
	for _, tc := range []struct {
		name  string
		write func(ctx context.Context, r io.Reader) error
	}{
		{"Put", func(ctx context.Context, r io.Reader) error { return s.Put(ctx, d, size, r) }},
		{"Put unknown size", func(ctx context.Context, r io.Reader) error { return s.Put(ctx, d, -1, r) }},
		{"Ingest", func(ctx context.Context, r io.Reader) error { _, _, err := s.Ingest(ctx, r); return err }},
	} {
		for _, after := range []int64{0, 3 << 20} {
			t.Run(fmt.Sprintf("%s after %d bytes", tc.name, after), func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if after == 0 {
					cancel()
				}
				// The reader keeps delivering the right content after the
				// cancellation: only the context says stop.
				r := &cancelReader{r: NewReader(2, size), after: after, cancel: cancel}
				if err := tc.write(ctx, r); !errors.Is(err, context.Canceled) {
					t.Fatalf("write with a cancelled context = %v; want context.Canceled", err)
				}
				// Stopping promptly: not reading on to the end of the content.
				if r.n >= size {
					t.Errorf("the write read all %d bytes although its context was cancelled after %d", r.n, after)
				}
				if _, err := s.Stat(t.Context(), d); !errors.Is(err, core.ErrNotFound) {
					t.Fatalf("Stat after a cancelled write = %v; want core.ErrNotFound", err)
				}
			})
		}
	}
	if got := ListAll(t, s); len(got) != 0 {
		t.Fatalf("List after cancelled writes = %v; want nothing", got)
	}
	checkNoTemp(t, s)
}

// cancelReader calls cancel once after bytes have been read.
type cancelReader struct {
	r      io.Reader
	n      int64
	after  int64
	cancel func()
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

// checkNoTemp asserts, for stores that can clean temporary objects, that
// there was nothing to clean: every error path removed its own.
func checkNoTemp(t *testing.T, s blob.Store) {
	t.Helper()
	tc, ok := s.(tempCleaner)
	if !ok {
		return
	}
	n, err := tc.CleanTemp(t.Context(), 0)
	if err != nil {
		t.Fatalf("CleanTemp: %v", err)
	}
	if n != 0 {
		t.Fatalf("CleanTemp(0) removed %d temporary objects; want 0: a write left garbage behind", n)
	}
}

func testList(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	start := time.Now()
	want := map[core.Digest]int64{}
	for i := range 40 {
		content := Content(int64(100+i), int64(i*37))
		d := core.DigestOf(content)
		want[d] = int64(len(content))
		if i%2 == 0 {
			if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
				t.Fatalf("Put #%d: %v", i, err)
			}
		} else if _, _, err := s.Ingest(ctx, bytes.NewReader(content)); err != nil {
			t.Fatalf("Ingest #%d: %v", i, err)
		}
	}
	got := ListAll(t, s)
	if len(got) != len(want) {
		t.Errorf("List returned %d blobs; want %d", len(got), len(want))
	}
	// Modification times are what garbage collection's grace period goes
	// by: each must be that of the write, within clock skew and the
	// store's resolution (S3 keeps whole seconds).
	err := s.List(ctx, func(d core.Digest, _ int64, mod time.Time) error {
		if mod.Before(start.Add(-2*time.Second)) || mod.After(time.Now().Add(2*time.Second)) {
			return fmt.Errorf("%s: modification time %v, not around the write (started %v)", d, mod, start)
		}
		return nil
	})
	if err != nil {
		t.Errorf("List: %v", err)
	}
	for d, size := range want {
		if gs, ok := got[d]; !ok || gs != size {
			t.Errorf("List: %s has size %d (listed: %v); want %d", d, gs, ok, size)
		}
	}

	stop := errors.New("stop")
	calls := 0
	err = s.List(ctx, func(core.Digest, int64, time.Time) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("List with fn failing = %v after %d calls; want fn's error after 1 call", err, calls)
	}
}

func testDelete(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := t.Context()
	s := newStore(t)
	keep, drop := []byte("keep me"), []byte("delete me")
	dk, dd := core.DigestOf(keep), core.DigestOf(drop)
	for _, c := range [][]byte{keep, drop} {
		if err := s.Put(ctx, core.DigestOf(c), int64(len(c)), bytes.NewReader(c)); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	if err := s.Delete(ctx, dd); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx, dd); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Stat after Delete = %v; want core.ErrNotFound", err)
	}
	if rc, err := s.Get(ctx, dd); !errors.Is(err, core.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("Get after Delete = %v; want core.ErrNotFound", err)
	}
	if err := s.Delete(ctx, dd); err != nil {
		t.Errorf("second Delete = %v; want nil", err)
	}
	if got := ListAll(t, s); len(got) != 1 || got[dk] != int64(len(keep)) {
		t.Errorf("List after Delete = %v; want only %s", got, dk)
	}
	// A deleted blob can be stored again, and is not skipped as present.
	if err := s.Put(ctx, dd, int64(len(drop)), bytes.NewReader(drop)); err != nil {
		t.Fatalf("Put after Delete: %v", err)
	}
	if got := ReadAll(t, s, dd); !bytes.Equal(got, drop) {
		t.Errorf("Get after re-Put = %q; want %q", got, drop)
	}
}

// ReadAll returns the content of blob d, failing the test on any error.
func ReadAll(t testing.TB, s blob.Store, d core.Digest) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), d)
	if err != nil {
		t.Fatalf("Get %s: %v", d, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", d, err)
	}
	return b
}

// ListAll returns every blob List reports, failing the test on an error or
// on a blob reported twice.
func ListAll(t testing.TB, s blob.Store) map[core.Digest]int64 {
	t.Helper()
	got := map[core.Digest]int64{}
	err := s.List(t.Context(), func(d core.Digest, size int64, _ time.Time) error {
		if _, dup := got[d]; dup {
			return fmt.Errorf("%s listed twice", d)
		}
		got[d] = size
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return got
}

// DigestOfReader hashes r to its end.
func DigestOfReader(t testing.TB, r io.Reader) core.Digest {
	t.Helper()
	h := core.NewHash()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatalf("hashing: %v", err)
	}
	return core.DigestFromHash(h)
}

// pattern is the material generated content is cut from. Its length is prime
// so that content is not periodic on any power-of-two boundary.
var pattern = func() []byte {
	p := make([]byte, 65521)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range p {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		p[i] = byte(x >> 56)
	}
	return p
}()

// NewReader returns a reader of size deterministic pseudo-random bytes; the
// same seed gives the same bytes, different seeds different ones. It costs no
// memory however large size is.
func NewReader(seed, size int64) io.Reader {
	return &genReader{off: seed * 7919, left: size}
}

type genReader struct {
	off  int64
	left int64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := 0
	for n < len(p) {
		i := int(g.off % int64(len(pattern)))
		m := copy(p[n:], pattern[i:])
		n += m
		g.off += int64(m)
	}
	g.left -= int64(n)
	return n, nil
}

// Content returns size bytes of generated content (see NewReader).
func Content(seed, size int64) []byte {
	b, err := io.ReadAll(NewReader(seed, size))
	if err != nil {
		panic(err)
	}
	return b
}
