package trove

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// DefaultRoot returns where Download puts a version when no root is given:
// artifacts/<name>:vN under the working directory.
func (v *Version) DefaultRoot() string {
	sep := ":"
	if runtime.GOOS == "windows" {
		sep = "-" // ':' is not allowed in Windows file names
	}
	return filepath.Join("artifacts", v.Name+sep+v.Label())
}

// Download fetches the version's files into root (default DefaultRoot) and
// returns the directory's absolute path. Files already present with the
// right content are not fetched again; every fetched byte is verified
// against its digest. Each file is written to a temporary file next to it
// (.trove-<hex>.tmp) and renamed into place; those an interrupted download
// left behind are removed. References are fetched from where they are, as they
// were logged (S3 and GCS objects at their recorded version), verified as
// far as their scheme allows; one that changed and cannot be pinned is an
// error naming the entry. Other files under root are left alone. Writes
// stay inside root: a symbolic link in the way is replaced, never followed.
func (v *Version) Download(ctx context.Context, root ...string) (string, error) {
	dir, err := v.root(root)
	if err != nil {
		return "", err
	}
	m, err := v.c.api.Manifest(ctx, v.ref())
	if err != nil {
		return "", err
	}
	return dir, v.c.download(ctx, dir, m.Entries())
}

// Download fetches this one file into root (default the version's
// DefaultRoot), at its path inside the artifact, and returns the file's
// absolute path. A reference is fetched from where it is, as
// Version.Download does.
func (e *Entry) Download(ctx context.Context, root ...string) (string, error) {
	dir, err := e.v.root(root)
	if err != nil {
		return "", err
	}
	if err := e.v.c.download(ctx, dir, []core.Entry{e.e}); err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(e.Path)), nil
}

func (v *Version) root(root []string) (string, error) {
	if len(root) > 1 {
		return "", core.Errorf(core.ErrInvalid, "download takes at most one root directory, got %d", len(root))
	}
	dir := v.DefaultRoot()
	if len(root) == 1 && root[0] != "" {
		dir = root[0]
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", core.Errorf(core.ErrInvalid, "download directory %q: %w", dir, err)
	}
	return abs, nil
}

// download writes entries under dir, in parallel, skipping files that are
// already there with the right digest.
func (c *Client) download(ctx context.Context, dir string, entries []core.Entry) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return core.Errorf(core.ErrInvalid, "download directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "download directory: %w", err)
	}
	defer root.Close()
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	paths := make([]string, len(entries))
	for i, e := range entries {
		paths[i] = e.Path
	}
	if n := cleanTemps(root, paths); n > 0 {
		c.log.Debug("removed temporary files of an interrupted download", "dir", dir, "count", n)
	}
	sc := c.statCache(ctx)
	if sc != nil {
		if err := sc.Preload(ctx, dir); err != nil {
			c.log.Debug("stat cache preload", "err", err)
		}
	}
	p := c.begin("downloading", total)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, e := range entries {
		g.Go(func() error { return c.fetch(gctx, root, dir, e, p) })
	}
	err = g.Wait()
	p.End()
	if sc != nil {
		if ferr := sc.Flush(ctx); ferr != nil {
			c.log.Warn("stat cache not saved", "err", ferr)
		}
	}
	return err
}

// fetch makes one entry present under root with the right content.
func (c *Client) fetch(ctx context.Context, root *os.Root, dir string, e core.Entry, p Progress) error {
	name := filepath.FromSlash(e.Path)
	abs := filepath.Join(dir, name)
	ok := false
	if e.Ref == "" || isFileRef(e) {
		// Stored files, and file:// references, whose digest is the
		// SHA-256 of the contents: a present file with that digest is
		// the referenced one. Other references carry a digest of the
		// object's identity (ETag, version id…), which no local file
		// can be checked against, so they are fetched again each time.
		var err error
		if ok, err = c.present(ctx, root, abs, name, e); err != nil {
			return err
		}
	}
	if ok {
		p.Advance(e.Size)
		return nil
	}
	if d := path.Dir(e.Path); d != "." {
		if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
			return core.Errorf(core.ErrConflict, "download %q: %w", e.Path, err)
		}
	}
	f, tmp, err := createTemp(root, filepath.Dir(name))
	if err != nil {
		return core.Errorf(core.ErrConflict, "download %q: %w", e.Path, err)
	}
	if e.Ref != "" {
		err = c.copyRef(ctx, f, e, p)
	} else {
		err = c.copyBlob(ctx, f, e, p)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
		if e.Ref != "" && strings.Contains(err.Error(), fmt.Sprintf("entry %q", e.Path)) {
			return err // the reference's error names the entry already
		}
		return fmt.Errorf("download %q: %w", e.Path, err)
	}
	return nil
}

// copyBlob writes the blob of e to w, verifying digest and size.
func (c *Client) copyBlob(ctx context.Context, w io.Writer, e core.Entry, p Progress) error {
	rc, err := c.openBlob(ctx, e.Digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	n, err := io.CopyBuffer(w, &progressReader{ctx: ctx, r: rc, p: p}, *buf)
	if err != nil {
		return err
	}
	if n != e.Size {
		return core.Errorf(core.ErrCorrupt, "blob %s has %d bytes, the manifest says %d", e.Digest, n, e.Size)
	}
	return nil
}

// isFileRef reports whether e is a file:// reference whose digest is the
// SHA-256 of the contents (checksumming was on).
func isFileRef(e core.Entry) bool {
	return strings.HasPrefix(strings.ToLower(e.Ref), "file:") && e.Digest != refs.URIDigest(e.Ref)
}

// copyRef writes the object of reference entry e to w, as it was logged:
// the scheme verifies what it can (contents, ETag, version id) and fails,
// naming the entry, when the object changed and cannot be pinned.
func (c *Client) copyRef(ctx context.Context, w io.Writer, e core.Entry, p Progress) error {
	rc, err := c.references().Open(ctx, e)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	_, err = io.CopyBuffer(w, &progressReader{ctx: ctx, r: rc, p: p}, *buf)
	return err
}

// present reports whether the file at name already has e's content. A
// directory in the way is an error; a wrong file or a link will be replaced.
func (c *Client) present(ctx context.Context, root *os.Root, abs, name string, e core.Entry) (bool, error) {
	fi, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, core.Errorf(core.ErrConflict, "download %q: %w", e.Path, err)
	}
	if fi.IsDir() {
		return false, core.Errorf(core.ErrConflict, "download %q: a directory is in the way at %s", e.Path, abs)
	}
	if !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return false, nil
	}
	sc := c.stat
	if sc != nil {
		if d, ok := sc.Lookup(abs, fi); ok {
			return d == e.Digest, nil
		}
	}
	start := time.Now()
	f, err := root.Open(name)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	h := core.NewHash()
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	if _, err := io.CopyBuffer(h, &progressReader{ctx: ctx, r: f, p: nopProgress{}}, *buf); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil
	}
	d := core.DigestFromHash(h)
	if sc != nil {
		sc.Record(abs, fi, d, start)
	}
	return d == e.Digest, nil
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
