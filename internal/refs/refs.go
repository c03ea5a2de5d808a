// Package refs tracks data that stays where it is: an artifact entry can be
// a reference to an object behind a URI (http(s)://, s3://, gs://, file://)
// instead of a stored blob. Resolving a reference lists the objects it names
// — one object, or every object under a prefix or directory — with the
// checksum information each scheme offers; opening an entry fetches the
// object as it was when it was logged (pinned by version id or generation
// where the store keeps versions), verifying what can be verified.
//
// A reference entry's Digest is not the digest of a stored blob: it is the
// SHA-256 of the contents where they were read (file://), else of the
// scheme's identity of the object (ETag, size, version id…; see
// IdentityDigest), or of the URI alone when checksumming is off. It changes
// exactly when the referenced object changes, so unchanged references
// dedup like unchanged files.
//
// file:// and http(s):// are built in. s3:// and gs://, which need a cloud
// SDK, live in github.com/troveml/trove/scheme/s3 and scheme/gcs and are
// registered by importing them (Register, as database/sql drivers are), so
// that a program that does not use them does not link those SDKs.
package refs

import (
	"context"
	"crypto/sha256"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// DefaultMaxObjects bounds how many objects a prefix may expand to, as in
// the reference system; more is an error, never a silent truncation.
const DefaultMaxObjects = 10000

// Options control resolving a reference.
type Options struct {
	// Name names the entry of a single object, or is the folder the objects
	// under a prefix go in; "" means the object's base name, or the top.
	Name string
	// NoChecksum skips collecting checksums: each entry's digest is then
	// derived from its URI alone, and nothing is verified on download.
	NoChecksum bool
	// MaxObjects bounds a prefix's expansion; 0 means DefaultMaxObjects.
	MaxObjects int
	// AllowHTML takes an http(s) URL that answers with an HTML page although
	// it does not name an .html file (most likely a directory listing),
	// which is otherwise refused.
	AllowHTML bool
}

func (o Options) max() int {
	if o.MaxObjects <= 0 {
		return DefaultMaxObjects
	}
	return o.MaxObjects
}

// Object is one object a reference names.
type Object struct {
	// Rel is the object's path relative to the listed prefix or directory
	// ("a/b.png"); "" when the URI named this single object.
	Rel string
	// URI addresses this object alone (s3://bucket/key, file:///abs/path…).
	URI string
	// Size in bytes.
	Size int64
	// Digest: see the package comment.
	Digest core.Digest
	// Extra holds what Open needs to fetch this very version and to check
	// it: "etag", "version_id", "generation", "md5", "crc32c"…
	Extra map[string]string
}

// Scheme resolves and opens references of one URI scheme.
type Scheme interface {
	// List returns the objects u names: the object itself (one Object with
	// Rel "") when u names an object, else every object under u taken as
	// a prefix or directory, sorted by Rel. An empty prefix is a not-found
	// error; more than opts.max() objects is a core.ErrTooLarge error that
	// names the limit.
	List(ctx context.Context, u *url.URL, opts Options) ([]Object, error)
	// Open returns the contents of the object of entry e (e.Ref, e.Extra)
	// as it was logged. A reader that cannot deliver exactly that (the
	// object changed and cannot be pinned, or its bytes do not match what
	// was recorded) fails with core.ErrCorrupt naming e.Path — at open
	// time when the change is known then, else from Read at the end.
	Open(ctx context.Context, e core.Entry) (io.ReadCloser, error)
}

// Resolver maps URI schemes to their implementations.
type Resolver struct {
	schemes map[string]Scheme
}

// NewResolver returns a resolver for the given schemes ("http", "https",
// "s3", "gs", "file").
func NewResolver(schemes map[string]Scheme) *Resolver {
	return &Resolver{schemes: schemes}
}

func (r *Resolver) scheme(uri string) (Scheme, *url.URL, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, nil, core.Errorf(core.ErrInvalid, "reference %.200q: %v", uri, err)
	}
	name := strings.ToLower(u.Scheme)
	s, ok := r.schemes[name]
	if !ok {
		if err := unregistered(uri, name); err != nil {
			return nil, nil, err
		}
		return nil, nil, core.Errorf(core.ErrInvalid, "reference %.200q: unsupported scheme %q (want http, https, s3, gs or file)", uri, u.Scheme)
	}
	return s, u, nil
}

// Resolve lists the objects uri names and returns them as manifest entries
// named as the reference system names them:
//
//	s3://b/model.h5                       → model.h5
//	s3://b/checkpoints/model.h5           → model.h5
//	s3://b/model.h5, Name models/m.h5     → models/m.h5
//	s3://b/images (a prefix)              → cat.png, dog.png
//	s3://b/images, Name images            → images/cat.png, images/dog.png
func (r *Resolver) Resolve(ctx context.Context, uri string, opts Options) ([]core.Entry, error) {
	s, u, err := r.scheme(uri)
	if err != nil {
		return nil, err
	}
	objs, err := s.List(ctx, u, opts)
	if err != nil {
		return nil, err
	}
	if len(objs) > opts.max() {
		return nil, core.Errorf(core.ErrTooLarge, "reference %s names %d objects, more than the limit of %d", uri, len(objs), opts.max())
	}
	name := strings.Trim(opts.Name, "/")
	entries := make([]core.Entry, 0, len(objs))
	for _, o := range objs {
		var p string
		switch {
		case o.Rel == "" && name != "":
			p = name
		case o.Rel == "":
			p = path.Base(strings.TrimRight(u.Path, "/"))
			if p == "." || p == "/" || p == "" {
				p = u.Host
			}
		case name != "":
			p = name + "/" + o.Rel
		default:
			p = o.Rel
		}
		if err := core.ValidatePath(p); err != nil {
			return nil, core.Errorf(core.ErrInvalid, "reference %s: object %s: %v", uri, o.URI, err)
		}
		d := o.Digest
		if opts.NoChecksum {
			d = URIDigest(o.URI)
		}
		e := core.Entry{Path: p, Digest: d, Size: o.Size, Ref: o.URI, Extra: o.Extra}
		if opts.NoChecksum {
			e.Extra = nil
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return entries, nil
}

// Open opens the object of reference entry e as it was logged.
func (r *Resolver) Open(ctx context.Context, e core.Entry) (io.ReadCloser, error) {
	if e.Ref == "" {
		return nil, core.Errorf(core.ErrInvalid, "entry %q is not a reference", e.Path)
	}
	s, _, err := r.scheme(e.Ref)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, e)
}

// URIDigest is the digest of a reference entry logged without checksums.
func URIDigest(uri string) core.Digest {
	return IdentityDigest("uri", uri)
}

// IdentityDigest derives a reference entry's digest from the fields that
// identify one version of an object (scheme name first, e.g. "s3", bucket
// key, etag, size, version id). Fields are length-prefixed, so no two
// different lists give the same bytes.
func IdentityDigest(fields ...string) core.Digest {
	h := sha256.New()
	for _, f := range fields {
		var n [8]byte
		l := uint64(len(f))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(f))
	}
	var d core.Digest
	copy(d[:], h.Sum(nil))
	return d
}
