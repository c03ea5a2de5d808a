package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/troveml/trove/internal/core"
)

// DefaultLimit is the default size bound of the blob cache: 10 GiB.
const DefaultLimit = 10 << 30

const (
	// evictSlack is the fraction of the limit that eviction after a Put frees
	// beyond the limit, so that the next few Puts do not each walk the tree.
	evictSlack = 10 // 1/10: down to 90% of the limit
	// rewalkEvery is how many Puts may pass before the running total is
	// re-measured, to account for what other processes added or removed.
	rewalkEvery = 1000
	// staleTemp is the age after which Cleanup deletes a temp file: no Put
	// takes that long between writes, so its writer is gone.
	staleTemp = time.Hour
	// copyBufSize is the buffer Put copies through.
	copyBufSize = 256 << 10
)

// Blobs is a bounded, content-addressed cache of blobs on the local disk,
// evicting the least recently used. Blob d lives at <dir>/sha256/<first two
// hex digits>/<hex>; files are written in <dir>/tmp and renamed into place,
// so a reader never sees a partial blob. Several processes may share one
// directory: each keeps its own running total of the size and re-measures it
// by walking the tree when it may be over the limit and every 1000 Puts, and
// files that vanish under it (evicted by another process) are not errors.
// All methods are safe for concurrent use.
type Blobs struct {
	dir     string
	blobDir string
	tmpDir  string
	limit   int64

	mu        sync.Mutex
	total     int64 // estimated bytes of blobs
	measured  bool  // total comes from a walk (plus this process's Puts since)
	sinceWalk int   // Puts since the last walk

	evictMu sync.Mutex // one walk-and-evict at a time in this process
}

// OpenBlobs opens the blob cache in dir, creating it, bounded to limit bytes.
// A limit of 0 caches nothing (every Put streams through); a negative limit
// is core.ErrInvalid. The tree is first measured at the first Put, so
// opening costs no walk.
func OpenBlobs(dir string, limit int64) (*Blobs, error) {
	if limit < 0 {
		return nil, core.Errorf(core.ErrInvalid, "blob cache limit %d is negative", limit)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "blob cache %q: %w", dir, err)
	}
	b := &Blobs{
		dir:     abs,
		blobDir: filepath.Join(abs, "sha256"),
		tmpDir:  filepath.Join(abs, "tmp"),
		limit:   limit,
	}
	for _, d := range []string{b.blobDir, b.tmpDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob cache: %w", err)
		}
	}
	tighten(abs)
	return b, nil
}

// path returns where blob d lives.
func (b *Blobs) path(d core.Digest) string {
	h := d.Hex()
	return filepath.Join(b.blobDir, h[:2], h)
}

// Has reports whether blob d is in the cache. It does not verify the content
// nor count as a use.
func (b *Blobs) Has(d core.Digest) bool {
	if d.IsZero() {
		return false
	}
	fi, err := os.Stat(b.path(d))
	return err == nil && fi.Mode().IsRegular()
}

// Open returns a reader of blob d and its size, and marks d as recently
// used. The reader checks the content as it goes: at the end, if the content
// does not hash to d, Read returns a core.ErrCorrupt error instead of io.EOF
// and the bad file is removed from the cache. A caller that stops reading
// early gets no verdict. A blob not in the cache is core.ErrNotFound. The
// reader survives the blob being evicted meanwhile (on Unix).
func (b *Blobs) Open(ctx context.Context, d core.Digest) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if d.IsZero() {
		return nil, 0, core.Errorf(core.ErrInvalid, "blob cache: open of the zero digest")
	}
	p := b.path(d)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, core.Errorf(core.ErrNotFound, "blob %s is not in the cache", d)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("blob cache: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("blob cache: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, core.Errorf(core.ErrNotFound, "blob %s is not in the cache", d)
	}
	// A failed bump (the file was just evicted, or the disk is read-only)
	// only makes the blob look older than it is.
	now := time.Now()
	_ = os.Chtimes(p, now, now)
	return &verifyingReader{f: f, fi: fi, path: p, want: d, h: core.NewHash()}, fi.Size(), nil
}

// verifyingReader hashes a cached blob as it is read and checks the digest
// at EOF.
type verifyingReader struct {
	f    *os.File
	fi   fs.FileInfo
	path string
	want core.Digest
	h    hash.Hash
	err  error // sticky: io.EOF or the corruption error
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.f.Read(p)
	r.h.Write(p[:n])
	if err != io.EOF {
		return n, err
	}
	if got := core.DigestFromHash(r.h); got != r.want {
		r.err = core.Errorf(core.ErrCorrupt, "cached blob %s is corrupt (its content hashes to %s); it is removed from the cache", r.want, got)
		r.removeBad()
		return n, r.err
	}
	r.err = io.EOF
	return n, io.EOF
}

// removeBad deletes the corrupt file, unless another process has meanwhile
// put a fresh copy at its path.
func (r *verifyingReader) removeBad() {
	if cur, err := os.Lstat(r.path); err == nil && os.SameFile(cur, r.fi) {
		_ = os.Remove(r.path)
	}
}

func (r *verifyingReader) Close() error { return r.f.Close() }

// Put stores the content read from r as blob d. It always reads r to EOF and
// checks that the content hashes to d: a mismatch is core.ErrCorrupt and
// stores nothing. Content is written to a temp file and renamed into place,
// so a concurrent reader never sees a partial blob (one torn by a crash is
// caught and removed by Open's check). A blob that
// is already cached is verified but not rewritten, and counts as a use. A
// blob larger than the limit is streamed through — read and verified, not
// stored — and Put returns nil, so a caller may tee a download through Put.
// After storing, Put evicts least recently used blobs (never the one just
// stored) down to 90% of the limit if the cache exceeds the limit; eviction
// trouble is not reported by Put, whose blob is stored (Cleanup reports it).
func (b *Blobs) Put(ctx context.Context, d core.Digest, r io.Reader) error {
	if d.IsZero() {
		return core.Errorf(core.ErrInvalid, "blob cache: put of the zero digest")
	}
	final := b.path(d)
	if fi, err := os.Stat(final); err == nil && fi.Mode().IsRegular() {
		if err := copyVerified(ctx, d, r, io.Discard); err != nil {
			return err
		}
		now := time.Now()
		_ = os.Chtimes(final, now, now)
		return nil
	}
	if b.limit == 0 {
		return copyVerified(ctx, d, r, io.Discard)
	}

	tmp, err := b.createTemp()
	if err != nil {
		return err
	}
	w := &cappedWriter{f: tmp, max: b.limit}
	err = copyVerified(ctx, d, r, w)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("blob cache: %w", cerr)
	}
	if err == nil && !w.over {
		err = os.MkdirAll(filepath.Dir(final), 0o700)
		if err == nil {
			// No fsync: after a crash a torn blob is caught by Open's check
			// and removed, which is cheaper than syncing every cached file.
			err = os.Rename(tmp.Name(), final)
		}
		if err != nil {
			err = fmt.Errorf("blob cache: %w", err)
		}
	}
	if err != nil || w.over {
		os.Remove(tmp.Name())
		return err
	}
	b.added(ctx, w.n, final)
	return nil
}

// cappedWriter writes to f until more than max bytes have come, then drops
// everything: the blob is too big to cache but must still be read through.
type cappedWriter struct {
	f    *os.File
	max  int64
	n    int64
	over bool
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.over {
		return len(p), nil
	}
	if w.n += int64(len(p)); w.n > w.max {
		w.over = true
		return len(p), nil
	}
	if _, err := w.f.Write(p); err != nil {
		return 0, fmt.Errorf("blob cache: %w", err)
	}
	return len(p), nil
}

// createTemp creates a temp file in the tmp directory, recreating the
// directory if someone removed it.
func (b *Blobs) createTemp() (*os.File, error) {
	f, err := os.CreateTemp(b.tmpDir, "put-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(b.tmpDir, 0o700); err == nil {
			f, err = os.CreateTemp(b.tmpDir, "put-*")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("blob cache: %w", err)
	}
	return f, nil
}

// copyVerified copies r to w until EOF and returns core.ErrCorrupt if what
// it read does not hash to d. It checks ctx between reads.
func copyVerified(ctx context.Context, d core.Digest, r io.Reader, w io.Writer) error {
	h := core.NewHash()
	buf := make([]byte, copyBufSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("blob cache: reading the content of %s: %w", d, rerr)
		}
	}
	if got := core.DigestFromHash(h); got != d {
		return core.Errorf(core.ErrCorrupt, "blob cache: content given for %s hashes to %s", d, got)
	}
	return nil
}

// added accounts for a stored blob of n bytes and, when the cache may be
// over its limit or the running total is due a re-measure, walks the tree
// and evicts.
func (b *Blobs) added(ctx context.Context, n int64, keep string) {
	b.mu.Lock()
	b.total += n
	b.sinceWalk++
	due := !b.measured || b.total > b.limit || b.sinceWalk >= rewalkEvery
	b.mu.Unlock()
	if due {
		_, _ = b.evict(ctx, b.limit, b.limit-b.limit/evictSlack, keep)
	}
}

// blobFile is one cached blob found by a walk.
type blobFile struct {
	path  string
	size  int64
	mtime time.Time
}

// walk lists the cached blobs. Files that vanish while it runs are skipped;
// names that are not blobs are ignored.
func (b *Blobs) walk(ctx context.Context) ([]blobFile, int64, error) {
	shards, err := os.ReadDir(b.blobDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("blob cache: %w", err)
	}
	var files []blobFile
	var total int64
	for _, shard := range shards {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue
		}
		dir := filepath.Join(b.blobDir, shard.Name())
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("blob cache: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			if _, err := core.ParseDigest(core.DigestPrefix + name); err != nil || name[:2] != shard.Name() {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, 0, fmt.Errorf("blob cache: %w", err)
			}
			if !fi.Mode().IsRegular() {
				continue
			}
			files = append(files, blobFile{filepath.Join(dir, name), fi.Size(), fi.ModTime()})
			total += fi.Size()
		}
	}
	return files, total, nil
}

// evict walks the tree and, if the blobs exceed trigger bytes, removes the
// least recently used (never keep) until they fit in target bytes. It
// returns the bytes it removed, and records what remains as the running
// total.
func (b *Blobs) evict(ctx context.Context, trigger, target int64, keep string) (int64, error) {
	b.evictMu.Lock()
	defer b.evictMu.Unlock()
	files, total, err := b.walk(ctx)
	if err != nil {
		return 0, err
	}
	var freed int64
	var errs []error
	if total > trigger {
		slices.SortFunc(files, func(x, y blobFile) int {
			return cmp.Or(x.mtime.Compare(y.mtime), cmp.Compare(x.path, y.path))
		})
		for _, f := range files {
			if total <= target {
				break
			}
			if err := ctx.Err(); err != nil {
				errs = append(errs, err)
				break
			}
			if f.path == keep {
				continue
			}
			switch err := os.Remove(f.path); {
			case err == nil:
				freed += f.size
				total -= f.size
			case errors.Is(err, fs.ErrNotExist):
				total -= f.size // another process evicted it first
			default:
				errs = append(errs, fmt.Errorf("blob cache: %w", err))
			}
		}
	}
	b.mu.Lock()
	b.total, b.measured, b.sinceWalk = total, true, 0
	b.mu.Unlock()
	return freed, errors.Join(errs...)
}

// Cleanup evicts least recently used blobs until the cache holds at most
// target bytes, and removes temp files older than an hour (left by crashed
// writers). It returns the bytes freed, temp files included. Cleanup(ctx, 0)
// empties the cache. Blobs other processes remove meanwhile are skipped;
// other removal failures are returned, joined, after doing what it could.
func (b *Blobs) Cleanup(ctx context.Context, target int64) (freed int64, err error) {
	if target < 0 {
		return 0, core.Errorf(core.ErrInvalid, "blob cache cleanup: target size %d is negative", target)
	}
	freed, tmpErr := b.removeStaleTemps(ctx)
	n, err := b.evict(ctx, target, target, "")
	return freed + n, errors.Join(tmpErr, err)
}

// removeStaleTemps deletes temp files older than staleTemp.
func (b *Blobs) removeStaleTemps(ctx context.Context) (int64, error) {
	ents, err := os.ReadDir(b.tmpDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("blob cache: %w", err)
	}
	cutoff := time.Now().Add(-staleTemp)
	var freed int64
	var errs []error
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return freed, err
		}
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(cutoff) {
			continue
		}
		switch err := os.Remove(filepath.Join(b.tmpDir, e.Name())); {
		case err == nil:
			freed += fi.Size()
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("blob cache: %w", err))
		}
	}
	return freed, errors.Join(errs...)
}

// Usage walks the cache and returns the bytes and number of blobs it holds
// (temp files not included).
func (b *Blobs) Usage(ctx context.Context) (bytes int64, files int, err error) {
	list, total, err := b.walk(ctx)
	if err != nil {
		return 0, 0, err
	}
	b.mu.Lock()
	b.total, b.measured, b.sinceWalk = total, true, 0
	b.mu.Unlock()
	return total, len(list), nil
}
