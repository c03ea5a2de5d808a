package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"

	"github.com/troveml/trove/internal/core"
)

// Bucket is a Store over a gocloud.dev bucket. On S3 it is also a Presigner
// (see CanPresign).
//
// Writes are atomic — a blob appears whole or not at all: the file store
// renames a complete temporary file, S3 publishes an object only when its
// PutObject or CompleteMultipartUpload succeeds.
//
// Durability of the file store. Every acknowledged commit survives a power
// loss or kernel crash, not only a crash of the process: each blob's
// temporary file is fsynced before it is renamed into place (by the
// goroutine that wrote it, so blobs written in parallel sync in parallel),
// and the directories that received new entries — a blob's fan-out
// directory, and the parent of a directory created on the way — are
// remembered and fsynced, once each, by Sync, which the service calls once
// per commit, just before the metadata commit that references the blobs (a
// barrier per commit, not per blob). Sync covers the blobs this Bucket
// wrote; a blob another process wrote and has not yet committed itself is
// made durable by that process's own Sync. Options.NoSync turns all of this
// off for scratch stores, where speed matters more than surviving a power
// loss (TROVE_NO_SYNC=1, trove server --no-sync): blobs then survive a crash
// of the process, not a power loss, and one lost that way is caught as
// missing or corrupt when read. S3 and memory stores have nothing to sync.
type Bucket struct {
	// noSync, syncFile and syncDir: see Options.NoSync and Sync. The hooks
	// are fsync(2) on a file and on the directory at a path; tests replace
	// them to count the calls.
	noSync   bool
	syncFile func(f *os.File) error
	syncDir  func(path string) error
	// syncMu serializes Syncs, so that a Sync returns only once every
	// directory dirtied before it started is synced, also by a concurrent
	// Sync that took it from dirty first.
	syncMu sync.Mutex
	// dirtyMu guards dirty, the directories with entries not yet synced.
	dirtyMu sync.Mutex
	dirty   map[string]struct{}
	bucket  *gcblob.Bucket
	// root is the directory of a bucket opened with a file:// URL, "" for
	// other drivers. Knowing it lets Ingest rename instead of copy, and List
	// walk the tree once instead of once per page.
	root string
	// key, when not nil, encrypts the blobs of a file:// bucket (crypt.go).
	key *cipherKey
	// remote is set for a bucket of a registered driver (s3://): what it
	// adds to gocloud.
	remote Remote
	// spoolDir is where Ingest on a bucket other than file:// spools
	// content; "" is os.TempDir().
	spoolDir string
}

var _ Store = (*Bucket)(nil)

// Options are the settings of a store that do not belong in its URL.
type Options struct {
	// EncryptionKey, when not nil, is the 32-byte key with which a file://
	// store keeps its blobs encrypted (AES-256-GCM, see crypt.go; LoadKey
	// reads one from a file). The same key must be given every time the
	// store is opened: blobs written under another key, or none, fail to
	// read with core.ErrCorrupt. Other stores refuse a key.
	EncryptionKey []byte
	// SpoolDir is the directory where Ingest on a store other than file://
	// keeps content while hashing it, so it needs room for the largest blob
	// being ingested; "" means os.TempDir().
	SpoolDir string
	// NoSync, for scratch stores, skips the fsyncs that make a file://
	// store's blobs durable before a commit references them (see Bucket):
	// faster, but a power loss may lose blobs of acknowledged commits.
	NoSync bool
}

// Opener opens the bucket a URL of one scheme names. It is given a URL of
// its scheme and Options whose key, if any, is KeySize bytes; it does not
// contact the store.
type Opener func(ctx context.Context, u *url.URL, o Options) (*Bucket, error)

// Driver is a blob store registered by import (Register): a program that
// never opens s3:// stores does not link the AWS SDK.
type Driver struct {
	// Open opens a store of the driver's scheme.
	Open Opener
	// Describe, when set, turns an error of the driver's SDK into its kind
	// and a one-line message for people (no request ids, no multi-line
	// SDK dumps); ok is false for an error it does not recognise.
	Describe func(err error) (kind error, msg string, ok bool)
}

var (
	driversMu sync.RWMutex
	// drivers are the registered drivers, by URL scheme; file:// and mem://
	// are built in.
	drivers = map[string]Driver{}
)

// builtin lists the stores Open always knows, by URL scheme.
var builtin = map[string]Opener{
	"file": openFile,
	"mem":  openMem,
}

// optional names, by scheme, the package whose import registers a store.
var optional = map[string]string{
	"s3": "github.com/troveml/trove/scheme/s3",
}

// Register makes the stores of a URL scheme available to Open. It is meant
// for the init function of the driver's package, and panics when the scheme
// is built in or registered twice, or d.Open is nil.
func Register(scheme string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	_, dup := drivers[scheme]
	switch {
	case d.Open == nil:
		panic("blob: Register of scheme " + scheme + " without Open")
	case dup || builtin[scheme] != nil:
		panic("blob: scheme " + scheme + " registered twice")
	}
	drivers[scheme] = d
}

// opener returns the Opener of scheme, nil if there is none.
func opener(scheme string) Opener {
	if o := builtin[scheme]; o != nil {
		return o
	}
	driversMu.RLock()
	defer driversMu.RUnlock()
	return drivers[scheme].Open
}

// schemes returns the schemes Open knows, sorted.
func schemes() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	s := slices.Collect(maps.Keys(builtin))
	for k := range drivers {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// Open opens the blob store a URL names, with default Options:
// "file:///abs/dir" (a directory, created if missing), "mem://" (in memory,
// for tests), or one of a registered driver, such as "s3://bucket?…" (import
// github.com/troveml/trove/scheme/s3, whose documentation lists the
// parameters and where credentials come from). An unknown scheme, one whose
// driver is not registered, or a malformed URL is core.ErrInvalid. Open
// does not contact the store; Ping does.
func Open(ctx context.Context, rawURL string) (*Bucket, error) {
	return OpenWith(ctx, rawURL, Options{})
}

// OpenWith is Open with Options. A key that is not 32 bytes, or a key for a
// store other than file://, is core.ErrInvalid.
func OpenWith(ctx context.Context, rawURL string, o Options) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, which may hold a secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, core.Errorf(core.ErrInvalid, "blob store URL: %v", err)
	}
	open := opener(u.Scheme)
	if open == nil {
		if pkg, ok := optional[u.Scheme]; ok {
			return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: %s:// stores need: import _ %q", u.Redacted(), u.Scheme, pkg)
		}
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: unsupported scheme %q (supported: %s)",
			u.Redacted(), u.Scheme, strings.Join(schemes(), ", "))
	}
	if o.EncryptionKey != nil && len(o.EncryptionKey) != KeySize {
		return nil, core.Errorf(core.ErrInvalid, "blob: encryption key has %d bytes; want %d", len(o.EncryptionKey), KeySize)
	}
	b, err := open(ctx, u, o)
	if err != nil {
		return nil, err
	}
	b.spoolDir = o.SpoolDir
	return b, nil
}

// openFile opens file:///abs/dir.
func openFile(_ context.Context, u *url.URL, o Options) (*Bucket, error) {
	switch {
	case u.Opaque != "" || !filepath.IsAbs(u.Path):
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: want file:///absolute/directory", u.Redacted())
	case u.Host != "" && u.Host != "localhost":
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: host %q is not local; want file:///absolute/directory", u.Redacted(), u.Host)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: file URLs take no user, query or fragment", u.Redacted())
	}
	var key *cipherKey
	if o.EncryptionKey != nil {
		var err error
		if key, err = newCipherKey(o.EncryptionKey); err != nil {
			return nil, err
		}
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
		// Blobs are the store's alone, as their 0600 files are.
		DirFileMode: 0o700,
	})
	if err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "open blob directory %s: %w", dir, err)
	}
	fb := &Bucket{bucket: b, root: dir, key: key, noSync: o.NoSync, syncFile: (*os.File).Sync, syncDir: syncDirPath}
	// The store's directory may have just been created: its entry in its
	// parent is synced with the first commit's blobs.
	fb.markDirty(dir, filepath.Dir(dir))
	return fb, nil
}

// openMem opens mem://.
func openMem(_ context.Context, u *url.URL, o Options) (*Bucket, error) {
	if u.Opaque != "" || u.Host != "" || u.Path != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: want exactly mem://", u.Redacted())
	}
	if o.EncryptionKey != nil {
		return nil, core.Errorf(core.ErrInvalid, "blob store URL %q: encryption keys are for file:// stores", u.Redacted())
	}
	return NewBucket(memblob.OpenBucket(&memblob.Options{NoMD5: true})), nil
}

// NewBucket wraps a gocloud bucket, which the returned Bucket owns: Close
// closes it. Prefer Open, which knows the fast paths of local directories and
// what S3 needs beyond gocloud (cleaning multipart uploads, presigning).
func NewBucket(b *gcblob.Bucket) *Bucket { return &Bucket{bucket: b} }

// NewRemoteBucket is NewBucket for a driver's Opener: r adds what the store
// needs beyond gocloud (see Remote).
func NewRemoteBucket(b *gcblob.Bucket, r Remote) *Bucket { return &Bucket{bucket: b, remote: r} }

// Close closes the underlying bucket.
func (b *Bucket) Close() error { return b.bucket.Close() }

// writerOptions fixes the content type so that gocloud does not buffer the
// first 512 bytes of every blob to sniff one.
var writerOptions = &gcblob.WriterOptions{ContentType: "application/octet-stream"}

// writerOptions returns the options of a write of size bytes (-1: unknown).
func (b *Bucket) writerOptions(size int64) *gcblob.WriterOptions {
	if b.remote != nil {
		return b.remote.WriterOptions(size)
	}
	return writerOptions
}

// newWriter starts a write of key. Cancelling the returned context before
// Close is how a gocloud write is abandoned: nothing gets published.
// size is the content's size, -1 if unknown.
func (b *Bucket) newWriter(ctx context.Context, key string, size int64) (*gcblob.Writer, context.CancelFunc, error) {
	wctx, cancel := context.WithCancel(ctx)
	w, err := b.bucket.NewWriter(wctx, key, b.writerOptions(size))
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return w, cancel, nil
}

// abandon abandons the write w of key and returns err: nothing appears under
// key, and no multipart upload stays behind.
func (b *Bucket) abandon(ctx context.Context, w *gcblob.Writer, cancel context.CancelFunc, key string, err error) error {
	cancel()
	b.abortUpload(ctx, key, w.Close())
	return err
}

// Put implements Store. A zero digest or a size below -1 is core.ErrInvalid.
//
// On a bucket other than file:// the content streams to the final key as it
// is read and hashed; the write is published (S3: PutObject or
// CompleteMultipartUpload is sent), replacing any stored object, only by
// Close, after the digest and size checked out, and abandoned otherwise, so
// that the stored object stays as it was.
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
	w, cancel, err := b.newWriter(ctx, key, size)
	if err != nil {
		return storeErr("put", d, err)
	}
	defer cancel()
	src := r
	if size >= 0 {
		// One byte more than declared is enough to know the size is wrong,
		// without reading an oversized body to its end.
		src = io.LimitReader(r, size+1)
	}
	h := core.NewHash()
	n, rerr, werr := copyHashed(ctx, w, src, h)
	abandon := func(err error) error { return b.abandon(ctx, w, cancel, key, err) }
	switch {
	case rerr != nil:
		return abandon(core.Errorf(kindOr(rerr, core.ErrUnavailable), "blob: put %s: reading content: %w", d, rerr))
	case werr != nil:
		return abandon(storeErr("put", d, werr))
	case size >= 0 && n > size:
		return abandon(core.Errorf(core.ErrCorrupt, "blob: put %s: content is longer than the declared %d bytes", d, size))
	}
	got := core.DigestFromHash(h)
	if size >= 0 && n != size {
		return abandon(core.Errorf(core.ErrCorrupt, "blob: put %s: got %d bytes (digest %s), declared %d", d, n, got, size))
	}
	if got != d {
		return abandon(core.Errorf(core.ErrCorrupt, "blob: put: content digest is %s, expected %s", got, d))
	}
	if err := w.Close(); err != nil {
		b.abortUpload(ctx, key, err)
		return storeErr("put", d, err)
	}
	return nil
}

// Ingest implements Store. On a file:// bucket it writes a temporary file
// while hashing and renames it to its digest's name: the data is written
// once. On other buckets it spools the content while hashing — in memory up
// to 1 MiB, beyond that to an unlinked file in Options.SpoolDir — then
// uploads the spool to the digest's key, replacing any stored copy.
//
// Spooling rather than writing a temporary object and copying it: the bytes
// cross the network once (a copy rewrites them all), nothing unverified is
// ever stored under a digest key, no temporary object is left in the bucket
// (only, by a process killed mid-upload, a multipart upload, which CleanTemp
// aborts), and there is no size limit (S3's CopyObject stops at 5 GiB). The
// price is local disk for the largest blob being ingested. The spool is not
// hashed again on upload: it never left this process.
func (b *Bucket) Ingest(ctx context.Context, r io.Reader) (core.Digest, int64, error) {
	if b.root != "" {
		return b.ingestFile(ctx, r)
	}
	if err := ctx.Err(); err != nil {
		return core.Digest{}, 0, core.Errorf(core.ErrUnavailable, "blob: ingest: %w", err)
	}
	h := core.NewHash()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	m, err := io.ReadFull(r, buf)
	h.Write(buf[:m])
	switch err {
	case io.EOF, io.ErrUnexpectedEOF:
		d := core.DigestFromHash(h)
		if err := b.upload(ctx, d, bytes.NewReader(buf[:m])); err != nil {
			return core.Digest{}, 0, err
		}
		return d, int64(m), nil
	case nil:
	default:
		return core.Digest{}, 0, core.Errorf(kindOr(err, core.ErrUnavailable), "blob: ingest: reading content: %w", err)
	}
	f, err := b.spoolFile()
	if err != nil {
		return core.Digest{}, 0, err
	}
	defer f.Close()
	var n int64
	var rerr error
	_, werr := f.Write(buf[:m])
	if werr == nil {
		n, rerr, werr = copyHashed(ctx, f, r, h)
	}
	switch {
	case rerr != nil:
		return core.Digest{}, 0, core.Errorf(kindOr(rerr, core.ErrUnavailable), "blob: ingest: reading content: %w", rerr)
	case werr != nil:
		return core.Digest{}, 0, diskErr("blob: ingest: spooling", werr)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return core.Digest{}, 0, core.Errorf(core.ErrUnavailable, "blob: ingest: spooling: %w", err)
	}
	d := core.DigestFromHash(h)
	if err := b.upload(ctx, d, f); err != nil {
		return core.Digest{}, 0, err
	}
	return d, int64(m) + n, nil
}

// spoolFile creates Ingest's spool file. It unlinks the file at once, so
// that nothing is left behind however the process ends.
func (b *Bucket) spoolFile() (*os.File, error) {
	f, err := os.CreateTemp(b.spoolDir, "trove-ingest-*")
	if err != nil {
		return nil, diskErr("blob: ingest: spool file", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, core.Errorf(core.ErrUnavailable, "blob: ingest: spool file: %w", err)
	}
	return f, nil
}

// upload stores r, whose content is known to hash to d, under d's key,
// replacing a stored copy (which may be damaged). Concurrent uploads of the
// same content all succeed: whichever lands last stores the same bytes.
func (b *Bucket) upload(ctx context.Context, d core.Digest, r io.Reader) error {
	key := keyOf(d)
	// gocloud hands r to the driver whole: S3's transfer manager sees a
	// seekable body, of known size.
	if err := b.bucket.Upload(ctx, key, r, b.writerOptions(-1)); err != nil {
		b.abortUpload(ctx, key, err)
		return storeErr("ingest", d, err)
	}
	return nil
}

// path returns the file of key in a bucket opened with a file:// URL.
func (b *Bucket) path(key string) string {
	return filepath.Join(b.root, filepath.FromSlash(key))
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
		if b.key != nil {
			return &verifier{r: newDecReader(f, b.key), h: core.NewHash(), want: d}, nil
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
		if b.key != nil {
			n, ok := plainSize(fi.Size())
			if !ok {
				return 0, core.Errorf(core.ErrCorrupt, "blob %s is corrupt: %d bytes is no size of an encrypted blob", d, fi.Size())
			}
			return n, nil
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
func (b *Bucket) List(ctx context.Context, fn func(d core.Digest, size int64, modTime time.Time) error) error {
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
			return remoteErr("blob: list", err)
		}
		d, ok := parseKey(obj.Key)
		if !ok {
			continue
		}
		if err := fn(d, obj.Size, obj.ModTime); err != nil {
			return err
		}
	}
}

// listFiles lists a file:// bucket by walking its directory once. fileblob's
// List walks the whole tree again for every page of 1000 keys, which is
// quadratic in the number of blobs.
func (b *Bucket) listFiles(ctx context.Context, fn func(d core.Digest, size int64, modTime time.Time) error) error {
	var fnErr error
	err := b.walk(ctx, blobPrefix, func(key string, info fs.FileInfo) error {
		d, ok := parseKey(key)
		if !ok {
			return nil
		}
		size := info.Size()
		if b.key != nil {
			// A size no encryption yields is listed as 0; reading that
			// blob fails with core.ErrCorrupt.
			size, _ = plainSize(size)
		}
		if err := fn(d, size, info.ModTime()); err != nil {
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
// and returns how many it deleted: temporary files of writes that died
// before finishing (a file:// bucket's tmp/ directory, and the "*.tmp" files
// fileblob writes next to a blob), objects under tmp/ (left by earlier
// versions of Ingest) and, on S3, multipart uploads. An upload still in
// progress has a recent modification time, so choose olderThan well above
// the longest pause in an upload (an hour is plenty) — and, on S3, above the
// longest upload, since a multipart upload is dated by its start; 0 removes
// everything, which is only safe when no writer is running.
func (b *Bucket) CleanTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	if b.root != "" {
		return b.cleanTempFiles(ctx, cutoff)
	}
	n := 0
	if b.remote != nil {
		var err error
		if n, err = b.remote.CleanUploads(ctx, []string{blobPrefix, tempPrefix}, cutoff); err != nil {
			return n, remoteErr("blob: clean multipart uploads", err)
		}
	}
	it := b.bucket.List(&gcblob.ListOptions{Prefix: tempPrefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, remoteErr("blob: clean temporary objects", err)
		}
		if obj.IsDir || obj.ModTime.After(cutoff) {
			continue
		}
		err = b.bucket.Delete(ctx, obj.Key)
		switch {
		case err == nil:
			n++
		case gcerrors.Code(err) != gcerrors.NotFound: // NotFound: its Ingest finished meanwhile
			return n, remoteErr("blob: clean temporary objects", err)
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

// Ping checks that the store is reachable and the bucket or directory
// exists, for readiness checks: core.ErrUnavailable if not.
func (b *Bucket) Ping(ctx context.Context) error {
	if b.root != "" {
		fi, err := os.Stat(b.root)
		if err == nil && !fi.IsDir() {
			err = errors.New("not a directory")
		}
		if err != nil {
			return core.Errorf(core.ErrUnavailable, "blob: ping %s: %w", b.root, err)
		}
		return nil
	}
	ok, err := b.bucket.IsAccessible(ctx)
	switch {
	case err != nil:
		return remoteErr("blob: ping", err)
	case !ok:
		return core.Errorf(core.ErrUnavailable, "blob: ping: the bucket does not exist")
	}
	return nil
}

// storeErr gives an error from the bucket its kind: not found, what a
// registered driver's Describe says, or unavailable for everything else (I/O
// errors, cancellation — the cause stays wrapped, so errors.Is(err,
// context.Canceled) works).
func storeErr(op string, d core.Digest, err error) error {
	what := "blob: " + op + " " + d.String()
	if e := described(what, err); e != nil {
		return e // a missing bucket is not a missing blob
	}
	if gcerrors.Code(err) == gcerrors.NotFound {
		return core.Errorf(core.ErrNotFound, "blob %s not found", d)
	}
	return core.Errorf(core.ErrUnavailable, "%s: %w", what, err)
}

// remoteErr is the error of what failing with err: in one line with its
// kind when a registered driver recognises err, else core.ErrUnavailable
// with err's text. The cause stays wrapped either way.
func remoteErr(what string, err error) error {
	if e := described(what, err); e != nil {
		return e
	}
	return core.Errorf(core.ErrUnavailable, "%s: %w", what, err)
}

// described is the error of what failing with err as the registered
// driver that recognises err describes it, nil when none does (or err is a
// cancellation).
func described(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	driversMu.RLock()
	defer driversMu.RUnlock()
	for _, d := range drivers {
		if d.Describe == nil {
			continue
		}
		if kind, msg, ok := d.Describe(err); ok {
			return &core.Error{Kind: kind, Msg: what + ": " + msg, Err: err}
		}
	}
	return nil
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
