package refs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
)

// fileScheme resolves file:// references: a regular file, or every regular
// file under a directory, checksummed by the SHA-256 of its contents.
type fileScheme struct{}

// NewFile returns the file:// scheme. URIs are file:///abs/path or
// file://localhost/abs/path. It is safe for concurrent use.
func NewFile() Scheme { return fileScheme{} }

// filePath returns the absolute, cleaned local path of a file:// URI.
func filePath(u *url.URL) (string, error) {
	bad := func(why string) error {
		return core.Errorf(core.ErrInvalid, "reference %.200q: %s; want file:///absolute/path", u.Redacted(), why)
	}
	switch {
	case !strings.EqualFold(u.Scheme, "file"):
		return "", bad("not a file:// URI")
	case u.Opaque != "":
		return "", bad("a relative path")
	case u.User != nil || (u.Host != "" && !strings.EqualFold(u.Host, "localhost")):
		return "", bad("host " + u.Host + " is not this machine")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", bad("a query or fragment (escape '?' and '#' in file names as %3F and %23)")
	case !strings.HasPrefix(u.Path, "/"):
		return "", bad("a relative path")
	case strings.ContainsRune(u.Path, 0):
		return "", bad("a NUL byte in the path")
	}
	return filepath.Clean(filepath.FromSlash(u.Path)), nil
}

// fileURI returns the file:// URI of the absolute local path p.
func fileURI(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

func (fileScheme) List(ctx context.Context, u *url.URL, opts Options) ([]Object, error) {
	p, err := filePath(u)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fileErr(err, "reference %s", fileURI(p))
	}
	switch {
	case fi.Mode().IsRegular():
		objs := []Object{{URI: fileURI(p), Size: fi.Size()}}
		return objs, hashObjects(ctx, objs, opts)
	case !fi.IsDir():
		return nil, core.Errorf(core.ErrInvalid, "reference %s is neither a regular file nor a directory", fileURI(p))
	}
	root, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fileErr(err, "reference %s", fileURI(p))
	}
	w := walker{ctx: ctx, top: p, root: root, max: opts.max(), onStack: map[string]bool{}}
	if err := w.walk(p, "", root); err != nil {
		return nil, err
	}
	if len(w.objs) == 0 {
		return nil, core.Errorf(core.ErrNotFound, "reference %s: directory has no files", fileURI(p))
	}
	sortObjects(w.objs)
	return w.objs, hashObjects(ctx, w.objs, opts)
}

// walker lists the regular files under a directory, following symbolic
// links only while they stay inside it.
type walker struct {
	ctx     context.Context
	top     string          // the directory as named by the reference
	root    string          // top with its symbolic links resolved
	max     int             // more files than this is an error
	onStack map[string]bool // resolved directories being walked: a link back to one is a cycle
	objs    []Object
}

// walk adds the files of directory dir (named rel relative to top; real is
// its resolved path).
func (w *walker) walk(dir, rel, real string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.onStack[real] = true
	defer delete(w.onStack, real)
	des, err := os.ReadDir(dir)
	if err != nil {
		return fileErr(err, "reference %s: directory %s", fileURI(w.top), fileURI(dir))
	}
	for _, de := range des {
		name := filepath.Join(dir, de.Name())
		r := de.Name()
		if rel != "" {
			r = rel + "/" + r
		}
		mode := de.Type()
		realName := filepath.Join(real, de.Name())
		if mode&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(name)
			if err != nil {
				return fileErr(err, "reference %s: symbolic link %s", fileURI(w.top), r)
			}
			if !within(w.root, target) {
				return core.Errorf(core.ErrInvalid, "reference %s: symbolic link %s points to %s, outside the referenced directory", fileURI(w.top), r, target)
			}
			fi, err := os.Stat(target)
			if err != nil {
				return fileErr(err, "reference %s: symbolic link %s", fileURI(w.top), r)
			}
			mode, realName = fi.Mode().Type(), target
		}
		switch {
		case mode.IsDir():
			if w.onStack[realName] {
				return core.Errorf(core.ErrInvalid, "reference %s: symbolic link %s makes a cycle", fileURI(w.top), r)
			}
			if err := w.walk(name, r, realName); err != nil {
				return err
			}
		case mode.IsRegular():
			if len(w.objs) == w.max {
				return core.Errorf(core.ErrTooLarge, "reference %s holds more than the limit of %d files", fileURI(w.top), w.max)
			}
			// The size comes with the hash, read from the same open file.
			w.objs = append(w.objs, Object{Rel: r, URI: fileURI(name), Size: -1})
		}
		// Sockets, pipes and devices are no data to track.
	}
	return nil
}

// sortObjects sorts objs by Rel, as Scheme.List returns them.
func sortObjects(objs []Object) {
	sort.Slice(objs, func(i, j int) bool { return objs[i].Rel < objs[j].Rel })
}

// within reports whether path p is dir or under it.
func within(dir, p string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// hashObjects fills in the size and SHA-256 of every file, on all cores;
// with opts.NoChecksum only the size.
func hashObjects(ctx context.Context, objs []Object, opts Options) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range objs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			o := &objs[i]
			p, _ := url.Parse(o.URI)
			if opts.NoChecksum {
				fi, err := os.Stat(p.Path)
				if err != nil {
					return fileErr(err, "reference %s", o.URI)
				}
				o.Size, o.Digest = fi.Size(), URIDigest(o.URI)
				return nil
			}
			f, err := os.Open(p.Path)
			if err != nil {
				return fileErr(err, "reference %s", o.URI)
			}
			defer f.Close()
			h := core.NewHash()
			n, err := io.Copy(h, ctxReader{ctx, f})
			if err != nil {
				return fileErr(err, "reference %s", o.URI)
			}
			o.Size, o.Digest = n, core.DigestFromHash(h)
			return nil
		})
	}
	return g.Wait()
}

// ctxReader stops a long read when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (fileScheme) Open(ctx context.Context, e core.Entry) (io.ReadCloser, error) {
	u, err := url.Parse(e.Ref)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: reference %.200q: %v", e.Path, e.Ref, err)
	}
	p, err := filePath(u)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: %w", e.Path, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fileErr(err, "entry %q: reference %s", e.Path, e.Ref)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileErr(err, "entry %q: reference %s", e.Path, e.Ref)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, core.Errorf(core.ErrCorrupt, "entry %q: reference %s is no longer a regular file", e.Path, e.Ref)
	}
	if fi.Size() != e.Size {
		f.Close()
		return nil, changed(e, "its size is %d bytes, %d when it was logged", fi.Size(), e.Size)
	}
	if e.Digest == URIDigest(e.Ref) {
		// Logged without checksums: only the size is checked, as the file
		// may still grow while it is read.
		return &verifier{rc: f, e: e}, nil
	}
	return &verifier{rc: f, e: e, h: core.NewHash(), sum: e.Digest[:]}, nil
}

// fileErr gives an os error its kind.
func fileErr(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return core.Errorf(core.ErrNotFound, "%s does not exist", msg)
	case errors.Is(err, fs.ErrPermission):
		return core.Errorf(core.ErrPermission, "%s: %w", msg, err)
	}
	return core.Errorf(core.ErrUnavailable, "%s: %w", msg, err)
}

// changed is the error of a reference entry whose object is no longer what
// was logged.
func changed(e core.Entry, format string, args ...any) error {
	return core.Errorf(core.ErrCorrupt, "entry %q: reference %s changed since it was logged: "+format,
		append([]any{e.Path, e.Ref}, args...)...)
}

// verifier reads a referenced object and checks at its end that it is what
// was logged: e.Size bytes and, when h is set, contents hashing to sum.
// Every scheme's Open returns one, whether the entry was logged with
// checksums or not. It never reads more than e.Size+1 bytes of the object,
// however much the source would send: the one byte more tells a longer
// object, which fails the entry (core.ErrCorrupt naming it) without handing
// out any byte past e.Size.
type verifier struct {
	rc  io.ReadCloser
	e   core.Entry
	h   hash.Hash // nil: the size alone is checked
	sum []byte    // what h must sum to
	n   int64
	err error // sticky
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if left := v.e.Size - v.n + 1; int64(len(p)) > left {
		p = p[:max(left, 1)]
	}
	n, err := v.rc.Read(p)
	v.n += int64(n)
	if v.h != nil {
		v.h.Write(p[:n])
	}
	switch {
	case v.n > v.e.Size:
		v.err = changed(v.e, "it is longer than the %d bytes logged", v.e.Size)
		return 0, v.err
	case err == io.EOF && v.n < v.e.Size:
		v.err = changed(v.e, "it has %d bytes, %d when it was logged", v.n, v.e.Size)
		return n, v.err
	case err == io.EOF && v.h != nil && !bytes.Equal(v.h.Sum(nil), v.sum):
		v.err = changed(v.e, "its contents do not match their checksum")
		return n, v.err
	case err != nil && err != io.EOF:
		v.err = err
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }
