package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"

	"github.com/troveml/trove/internal/core"
)

// Bucket is a Store over a gocloud.dev bucket.
//
// Writes are atomic (a blob appears whole or not at all: gocloud writers
// publish only on a successful Close — fileblob renames a temporary file, S3
// completes an upload) but not synced: a blob survives a crash of the process
// that wrote it, not a power loss or kernel crash. Trove trades that for
// speed, since an fsync per blob would dominate the cost of logging many small
// files; a blob lost that way is caught as missing or corrupt when read.
type Bucket struct {
	bucket *gcblob.Bucket
	// root is the directory of a bucket opened with a file:// URL, "" for
	// other drivers. Knowing it lets Ingest rename instead of copy, and List
	// walk the tree once instead of once per page.
	root string
}

var _ Store = (*Bucket)(nil)

// opener opens the bucket a URL of one scheme names.
type opener func(ctx context.Context, u *url.URL) (*Bucket, error)

// openers lists the drivers Open knows, by URL scheme. It is the one place a
// new driver (s3) is added.
var openers = map[string]opener{
	"file": openFile,
	"mem":  openMem,
}

// Open opens the blob store a URL names: "file:///abs/dir" (a directory,
// created if missing) or "mem://" (in memory, for tests). An unknown scheme
// or a malformed URL is core.ErrInvalid.
func Open(ctx context.Context, rawURL string) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: %v", rawURL, err)
	}
	open, ok := openers[u.Scheme]
	if !ok {
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: unsupported scheme %q (supported: %s)",
			rawURL, u.Scheme, strings.Join(slices.Sorted(maps.Keys(openers)), ", "))
	}
	return open(ctx, u)
}

// openFile opens file:///abs/dir.
func openFile(_ context.Context, u *url.URL) (*Bucket, error) {
	switch {
	case u.Opaque != "" || !filepath.IsAbs(u.Path):
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: want file:///absolute/directory", u.Redacted())
	case u.Host != "" && u.Host != "localhost":
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: host %q is not local; want file:///absolute/directory", u.Redacted(), u.Host)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: file URLs take no user, query or fragment", u.Redacted())
	}
	dir := filepath.Clean(u.Path)
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir: true,
		// Temporary files next to their final name: os.TempDir is often
		// another file system (tmpfs), where the final rename would fail.
		NoTempDir: true,
		// Blobs have no metadata worth keeping; sidecar files would double
		// the file count, and Ingest's rename would leave them behind.
		Metadata: fileblob.MetadataDontWrite,
	})
	if err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "open blob directory %s: %w", dir, err)
	}
	return &Bucket{bucket: b, root: dir}, nil
}

// openMem opens mem://.
func openMem(_ context.Context, u *url.URL) (*Bucket, error) {
	if u.Opaque != "" || u.Host != "" || u.Path != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: want exactly mem://", u.Redacted())
	}
	return NewBucket(memblob.OpenBucket(&memblob.Options{NoMD5: true})), nil
}

// NewBucket wraps a gocloud bucket, which the returned Bucket owns: Close
// closes it. Ingest on it copies its temporary object to the final key, so
// prefer Open for local directories, where Ingest renames instead.
func NewBucket(b *gcblob.Bucket) *Bucket { return &Bucket{bucket: b} }

// Close closes the underlying bucket.
func (b *Bucket) Close() error { return b.bucket.Close() }

// writerOptions fixes the content type so that gocloud does not buffer the
// first 512 bytes of every blob to sniff one.
var writerOptions = &gcblob.WriterOptions{ContentType: "application/octet-stream"}

// Put implements Store. A zero digest or a size below -1 is core.ErrInvalid.
func (b *Bucket) Put(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	if d.IsZero() {
		return core.Errorf(core.ErrInvalid, "blob: put: no digest")
	}
	if size < -1 {
		return core.Errorf(core.ErrInvalid, "blob: put %s: invalid size %d", d, size)
	}
	if b.root != "" {
		return b.putFile(ctx, d, size, r)
	}
	key := keyOf(d)
	exists, err := b.bucket.Exists(ctx, key)
	if err != nil {
		return storeErr("put", d, err)
	}
	if exists {
		return nil
	}
	// Cancelling wctx before Close is how a gocloud write is abandoned:
	// nothing gets published.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.bucket.NewWriter(wctx, key, writerOptions)
	if err != nil {
		return storeErr("put", d, err)
	}
	abort := func(err error) error {
		cancel()
		_ = w.Close()
		return err
	}
	src := r
	if size >= 0 {
		// One byte more than declared is enough to know the size is wrong,
		// without reading an oversized body to its end.
		src = io.LimitReader(r, size+1)
	}
	h := core.NewHash()
	n, rerr, werr := copyHashed(ctx, w, src, h)
	switch {
	case rerr != nil:
		return abort(core.Errorf(kindOr(rerr, core.ErrUnavailable), "blob: put %s: reading content: %w", d, rerr))
	case werr != nil:
		return abort(storeErr("put", d, werr))
	case size >= 0 && n > size:
		return abort(core.Errorf(core.ErrCorrupt, "blob: put %s: content is longer than the declared %d bytes", d, size))
	}
	got := core.DigestFromHash(h)
	if size >= 0 && n != size {
		return abort(core.Errorf(core.ErrCorrupt, "blob: put %s: got %d bytes (digest %s), declared %d", d, n, got, size))
	}
	if got != d {
		return abort(core.Errorf(core.ErrCorrupt, "blob: put: content digest is %s, expected %s", got, d))
	}
	if err := w.Close(); err != nil {
		return storeErr("put", d, err)
	}
	return nil
}

// Ingest implements Store. It writes to a temporary key while hashing, then
// moves the temporary object to its digest's key: by os.Rename for a bucket
// from a file:// URL (the data is written once), by Copy and Delete
// otherwise. The temporary object is removed on every path.
func (b *Bucket) Ingest(ctx context.Context, r io.Reader) (core.Digest, int64, error) {
	if b.root != "" {
		return b.ingestFile(ctx, r)
	}
	tmp, err := tempKey()
	if err != nil {
		return core.Digest{}, 0, err
	}
	d, n, err := b.writeTemp(ctx, tmp, r)
	if err != nil {
		return core.Digest{}, 0, err
	}
	if err := b.publish(ctx, tmp, d); err != nil {
		return core.Digest{}, 0, err
	}
	return d, n, nil
}

// writeTemp writes r to the temporary key tmp and returns its digest and
// size. On error nothing is left at tmp.
func (b *Bucket) writeTemp(ctx context.Context, tmp string, r io.Reader) (core.Digest, int64, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.bucket.NewWriter(wctx, tmp, writerOptions)
	if err != nil {
		return core.Digest{}, 0, core.Errorf(core.ErrUnavailable, "blob: ingest: %w", err)
	}
	h := core.NewHash()
	n, rerr, werr := copyHashed(ctx, w, r, h)
	if rerr != nil || werr != nil {
		cancel()
		_ = w.Close()
		// The abandoned writer published nothing; delete anyway in case a
		// driver did, so that no error path leaks a temporary object.
		b.dropTemp(ctx, tmp)
		if rerr != nil {
			return core.Digest{}, 0, core.Errorf(kindOr(rerr, core.ErrUnavailable), "blob: ingest: reading content: %w", rerr)
		}
		return core.Digest{}, 0, core.Errorf(core.ErrUnavailable, "blob: ingest: %w", werr)
	}
	if err := w.Close(); err != nil {
		b.dropTemp(ctx, tmp)
		return core.Digest{}, 0, core.Errorf(core.ErrUnavailable, "blob: ingest: %w", err)
	}
	return core.DigestFromHash(h), n, nil
}

// publish makes the temporary object tmp visible as blob d and removes tmp,
// whatever happens. Concurrent publishers of the same content all succeed:
// the content is the same, so whichever lands last changes nothing.
func (b *Bucket) publish(ctx context.Context, tmp string, d core.Digest) error {
	defer b.dropTemp(ctx, tmp)
	key := keyOf(d)
	exists, err := b.bucket.Exists(ctx, key)
	if err != nil {
		return storeErr("ingest", d, err)
	}
	if !exists {
		if err := b.bucket.Copy(ctx, key, tmp, nil); err != nil {
			return storeErr("ingest", d, err)
		}
	}
	return nil
}

// path returns the file of key in a bucket opened with a file:// URL.
func (b *Bucket) path(key string) string {
	return filepath.Join(b.root, filepath.FromSlash(key))
}

// dropTemp deletes a temporary key. It runs on error paths, often because
// ctx was cancelled, so it does not obey ctx. A failure only leaves garbage
// for CleanTemp, so it is not reported.
func (b *Bucket) dropTemp(ctx context.Context, tmp string) {
	_ = b.bucket.Delete(context.WithoutCancel(ctx), tmp)
}

// tempKey returns a fresh key under tmp/, unique across processes.
func tempKey() (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", core.Errorf(core.ErrUnavailable, "blob: temporary name: %w", err)
	}
	return tempPrefix + hex.EncodeToString(r[:]), nil
}

// Get implements Store. A zero digest is core.ErrInvalid.
func (b *Bucket) Get(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	if d.IsZero() {
		return nil, core.Errorf(core.ErrInvalid, "blob: get: no digest")
	}
	if b.root != "" {
		f, err := os.Open(b.path(keyOf(d)))
		if err != nil {
			return nil, fileErr("get", d, err)
		}
		return &verifier{r: f, h: core.NewHash(), want: d}, nil
	}
	r, err := b.bucket.NewReader(ctx, keyOf(d), nil)
	if err != nil {
		return nil, storeErr("get", d, err)
	}
	return &verifier{r: r, h: core.NewHash(), want: d}, nil
}

// Stat implements Store. A zero digest is core.ErrInvalid.
func (b *Bucket) Stat(ctx context.Context, d core.Digest) (int64, error) {
	if d.IsZero() {
		return 0, core.Errorf(core.ErrInvalid, "blob: stat: no digest")
	}
	if b.root != "" {
		fi, err := os.Stat(b.path(keyOf(d)))
		if err != nil {
			return 0, fileErr("stat", d, err)
		}
		return fi.Size(), nil
	}
	a, err := b.bucket.Attributes(ctx, keyOf(d))
	if err != nil {
		return 0, storeErr("stat", d, err)
	}
	return a.Size, nil
}

// Delete implements Store. A zero digest is core.ErrInvalid.
func (b *Bucket) Delete(ctx context.Context, d core.Digest) error {
	if d.IsZero() {
		return core.Errorf(core.ErrInvalid, "blob: delete: no digest")
	}
	err := b.bucket.Delete(ctx, keyOf(d))
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return storeErr("delete", d, err)
	}
	return nil
}

// List implements Store.
func (b *Bucket) List(ctx context.Context, fn func(d core.Digest, size int64) error) error {
	if b.root != "" {
		return b.listFiles(ctx, fn)
	}
	it := b.bucket.List(&gcblob.ListOptions{Prefix: blobPrefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return core.Errorf(core.ErrUnavailable, "blob: list: %w", err)
		}
		d, ok := parseKey(obj.Key)
		if !ok {
			continue
		}
		if err := fn(d, obj.Size); err != nil {
			return err
		}
	}
}

// listFiles lists a file:// bucket by walking its directory once. fileblob's
// List walks the whole tree again for every page of 1000 keys, which is
// quadratic in the number of blobs.
func (b *Bucket) listFiles(ctx context.Context, fn func(d core.Digest, size int64) error) error {
	var fnErr error
	err := b.walk(ctx, blobPrefix, func(key string, info fs.FileInfo) error {
		d, ok := parseKey(key)
		if !ok {
			return nil
		}
		if err := fn(d, info.Size()); err != nil {
			fnErr = err
			return fs.SkipAll
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return core.Errorf(core.ErrUnavailable, "blob: list: %w", err)
	}
	return nil
}

// walk calls fn with the key and file info of every regular file under the
// key prefix (a directory prefix such as "sha256/") of a file:// bucket. Files
// that vanish during the walk, and a missing prefix directory, are skipped:
// other processes delete blobs and temporary files concurrently.
func (b *Bucket) walk(ctx context.Context, prefix string, fn func(key string, info fs.FileInfo) error) error {
	dir := b.path(prefix)
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !de.Type().IsRegular() {
			return nil
		}
		info, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), info)
	})
	if errors.Is(err, fs.SkipAll) {
		return nil
	}
	return err
}

// CleanTemp deletes temporary objects last modified at least olderThan ago
// and returns how many it deleted: objects under tmp/ left by Ingests that
// died before finishing and, for a file:// bucket, the "*.tmp" files fileblob
// writes next to a blob and a killed process leaves behind. An upload still
// in progress has a recent modification time, so choose olderThan well above
// the longest pause in an upload (an hour is plenty); 0 removes everything,
// which is only safe when no writer is running.
func (b *Bucket) CleanTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	if b.root != "" {
		return b.cleanTempFiles(ctx, cutoff)
	}
	n := 0
	it := b.bucket.List(&gcblob.ListOptions{Prefix: tempPrefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, core.Errorf(core.ErrUnavailable, "blob: clean temporary objects: %w", err)
		}
		if obj.IsDir || obj.ModTime.After(cutoff) {
			continue
		}
		err = b.bucket.Delete(ctx, obj.Key)
		switch {
		case err == nil:
			n++
		case gcerrors.Code(err) != gcerrors.NotFound: // NotFound: its Ingest finished meanwhile
			return n, core.Errorf(core.ErrUnavailable, "blob: clean temporary objects: %w", err)
		}
	}
}

// cleanTempFiles is CleanTemp for a file:// bucket.
func (b *Bucket) cleanTempFiles(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	remove := func(key string, info fs.FileInfo) error {
		if info.ModTime().After(cutoff) {
			return nil
		}
		err := os.Remove(b.path(key))
		switch {
		case err == nil:
			n++
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		return nil
	}
	if err := b.walk(ctx, tempPrefix, remove); err != nil {
		return n, core.Errorf(core.ErrUnavailable, "blob: clean temporary files: %w", err)
	}
	err := b.walk(ctx, blobPrefix, func(key string, info fs.FileInfo) error {
		if !strings.HasSuffix(key, ".tmp") {
			return nil
		}
		return remove(key, info)
	})
	if err != nil {
		return n, core.Errorf(core.ErrUnavailable, "blob: clean temporary files: %w", err)
	}
	return n, nil
}

// storeErr gives an error from the bucket its kind: not found, or
// unavailable for everything else (I/O errors, cancellation — the cause stays
// wrapped, so errors.Is(err, context.Canceled) works).
func storeErr(op string, d core.Digest, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return core.Errorf(core.ErrNotFound, "blob %s not found", d)
	}
	return core.Errorf(core.ErrUnavailable, "blob: %s %s: %w", op, d, err)
}

// kindOr returns the kind of err if it has one (a caller's reader may fail
// with, say, core.ErrTooLarge), else def.
func kindOr(err, def error) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return def
}
