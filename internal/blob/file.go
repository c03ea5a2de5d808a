package blob

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
)

// The hot paths of a file:// bucket — Put, Ingest, Get and Stat — work on the
// files directly rather than through fileblob. The layout is the same
// (fileblob stores a key made of [a-z0-9/] at root/<key>, which the tests
// check by reading back through fileblob), but fileblob spends some forty
// system calls per blob on its own temporary file, sidecar lookups and
// retries, which made logging a tree of small files twice as slow as cp -r.
// Here a blob costs a create, its writes, a close and one rename.

// fileErr turns a file system error about blob d into an error with a kind.
func fileErr(op string, d core.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return core.Errorf(core.ErrNotFound, "blob %s not found", d)
	}
	return core.Errorf(core.ErrUnavailable, "blob: %s %s: %w", op, d, err)
}

// diskErr gives a failed write to the local disk its kind, ErrUnavailable,
// with the message "what: err". When the disk is full (ENOSPC, or EDQUOT: a
// quota) the message says only that, without the store's paths, so that a
// client can show it as it is: "what: no space left on device". The cause
// stays wrapped either way (errors.Is(err, syscall.ENOSPC) holds).
func diskErr(what string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &core.Error{Kind: core.ErrUnavailable, Msg: what + ": no space left on device", Err: err}
	}
	return core.Errorf(core.ErrUnavailable, "%s: %w", what, err)
}

// createTemp creates a temporary file under root/tmp, creating that
// directory when it is missing (CleanTemp may remove it).
func (b *Bucket) createTemp() (*os.File, error) {
	dir := b.path(tempPrefix)
	f, err := os.CreateTemp(dir, "*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			f, err = os.CreateTemp(dir, "*")
		}
	}
	if err != nil {
		return nil, diskErr("blob: temporary file", err)
	}
	return f, nil
}

// writeFileTemp writes r (at most limit bytes when limit >= 0) to a new
// temporary file, encrypted if the bucket has a key, and returns its path and
// the digest and size of the content. On error nothing is left behind.
func (b *Bucket) writeFileTemp(ctx context.Context, r io.Reader, limit int64) (string, core.Digest, int64, error) {
	f, err := b.createTemp()
	if err != nil {
		return "", core.Digest{}, 0, err
	}
	src := r
	if limit >= 0 {
		src = io.LimitReader(r, limit)
	}
	var dst io.Writer = f
	var enc *encWriter
	if b.key != nil {
		if enc, err = newEncWriter(f, b.key); err != nil {
			f.Close()
			os.Remove(f.Name())
			return "", core.Digest{}, 0, err
		}
		dst = enc
	}
	h := core.NewHash()
	n, rerr, werr := copyHashed(ctx, dst, src, h)
	if enc != nil && rerr == nil && werr == nil {
		werr = enc.Close()
	}
	if rerr == nil && werr == nil && !b.noSync {
		// Durable before it gets its name (see Bucket), here in the
		// goroutine that wrote it, so that parallel writes sync in
		// parallel.
		werr = b.fsyncFile(f)
	}
	cerr := f.Close()
	switch {
	case rerr != nil:
		err = core.Errorf(kindOr(rerr, core.ErrUnavailable), "blob: reading content: %w", rerr)
	case werr != nil:
		err = diskErr("blob: writing", werr)
	case cerr != nil:
		err = diskErr("blob: writing", cerr)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", core.Digest{}, 0, err
	}
	return f.Name(), core.DigestFromHash(h), n, nil
}

// publishPath renames the temporary file tmp to blob d's file, creating the
// shard directory on first use. The rename atomically replaces a stored
// copy, which repairs a damaged one and is harmless for a sound one
// (readers keep their open file), so there is no check first. tmp is gone
// afterwards, whatever happens.
func (b *Bucket) publishPath(tmp string, d core.Digest) error {
	dst := b.path(keyOf(d))
	dir := filepath.Dir(dst)
	err := os.Rename(tmp, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			err = os.Rename(tmp, dst)
			// The fan-out directory, and sha256/ itself, may be new:
			// their entries must be synced too.
			b.markDirty(filepath.Dir(dir), b.root)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return diskErr("blob: store "+d.String(), err)
	}
	b.markDirty(dir)
	return nil
}

// markDirty records directories that received entries not yet synced.
func (b *Bucket) markDirty(dirs ...string) {
	if b.noSync {
		return
	}
	b.dirtyMu.Lock()
	if b.dirty == nil {
		b.dirty = make(map[string]struct{})
	}
	for _, d := range dirs {
		b.dirty[d] = struct{}{}
	}
	b.dirtyMu.Unlock()
}

// Sync implements Syncer: it makes every blob this Bucket stored so far
// durable, by fsyncing once each the directories that received new entries
// since the last Sync (the blob files themselves were synced before their
// rename). The service calls it once per commit, before the metadata commit
// that references the blobs. It does nothing with Options.NoSync and on
// stores other than file://. On failure the directories stay to be synced
// by the next Sync.
func (b *Bucket) Sync(ctx context.Context) error {
	if b.root == "" || b.noSync {
		return nil
	}
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	b.dirtyMu.Lock()
	dirty := b.dirty
	b.dirty = nil
	b.dirtyMu.Unlock()
	if len(dirty) == 0 {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(syncParallelism)
	for dir := range dirty {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := b.fsyncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		for dir := range dirty {
			b.markDirty(dir)
		}
		return diskErr("blob: sync", err)
	}
	return nil
}

// syncParallelism bounds the directory fsyncs of one Sync in flight at once:
// a commit of many files touches up to 256 fan-out directories.
const syncParallelism = 16

// fsyncFile and fsyncDir call the sync hooks, fsync(2) when unset.
func (b *Bucket) fsyncFile(f *os.File) error {
	if b.syncFile != nil {
		return b.syncFile(f)
	}
	return f.Sync()
}

func (b *Bucket) fsyncDir(path string) error {
	if b.syncDir != nil {
		return b.syncDir(path)
	}
	return syncDirPath(path)
}

// syncDirPath fsyncs the directory at path.
func syncDirPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ingestFile is Ingest for a file:// bucket: one pass writes and hashes a
// temporary file, one rename publishes it.
func (b *Bucket) ingestFile(ctx context.Context, r io.Reader) (core.Digest, int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		// The caller knows the size and bounds r by it (plus one byte).
		if err := b.checkRoom("blob: ingest", lr.N-1); err != nil {
			return core.Digest{}, 0, err
		}
	}
	tmp, d, n, err := b.writeFileTemp(ctx, r, -1)
	if err != nil {
		return core.Digest{}, 0, err
	}
	if err := b.publishPath(tmp, d); err != nil {
		return core.Digest{}, 0, err
	}
	return d, n, nil
}

// putFile is Put for a file:// bucket: the content is written to a temporary
// file and renamed into place, over any stored copy, only when digest and
// size match.
func (b *Bucket) putFile(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	if err := b.checkRoom("blob: put "+d.String(), size); err != nil {
		return err
	}
	limit := int64(-1)
	if size >= 0 {
		// One byte more than declared is enough to know the size is wrong,
		// without reading an oversized body to its end.
		limit = size + 1
	}
	tmp, got, n, err := b.writeFileTemp(ctx, r, limit)
	if err != nil {
		return core.Errorf(core.KindOf(err), "blob: put %s: %w", d, err)
	}
	switch {
	case size >= 0 && n > size:
		err = core.Errorf(core.ErrCorrupt, "blob: put %s: content is longer than the declared %d bytes", d, size)
	case size >= 0 && n != size:
		err = core.Errorf(core.ErrCorrupt, "blob: put %s: got %d bytes (digest %s), declared %d", d, n, got, size)
	case got != d:
		err = core.Errorf(core.ErrCorrupt, "blob: put: content digest is %s, expected %s", got, d)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return b.publishPath(tmp, d)
}
