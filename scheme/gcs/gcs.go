// Package gcs adds Google Cloud Storage to Trove. Import it for its side
// effect:
//
//	import _ "github.com/troveml/trove/scheme/gcs"
//
// It registers gs://bucket/key references (trove's Artifact.AddReference):
// an object, or every object under a prefix, pinned by its generation and
// checked against its MD5 or CRC32C on download. Credentials are Google's
// Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's
// application-default login, the metadata server), read-only;
// STORAGE_EMULATOR_HOST points at an emulator or a GCS-compatible endpoint.
//
// The trove command imports this package; a Go program that uses the SDK
// imports it only if it logs or downloads gs:// references. Without it, such
// a reference fails with an error that names this import.
package gcs

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// gcsListAttrs are the object fields a prefix listing asks for; GCS then
// sends nothing else, which keeps a 10,000-object listing small.
var gcsListAttrs = []string{"Name", "Size", "Etag", "MD5", "CRC32C", "Generation"}

// gcsPageSize is the most objects GCS lists in one page; asked for
// explicitly, so GCS-compatible servers page the same way.
const gcsPageSize = 1000

// gcsBucketName is GCS's bucket naming rule, loosely: lower-case letters,
// digits, dots, dashes and underscores, starting and ending with a letter or
// digit, 3 to 222 characters.
var gcsBucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)

// gcsScheme resolves and opens gs:// references. It is safe for concurrent
// use, as the storage client is.
type gcsScheme struct {
	c        *storage.Client
	pageSize int  // objects per listing page; tests make it small
	asStored bool // read gzip-encoded objects as stored (XML reads only)
}

var _ refs.Scheme = (*gcsScheme)(nil)

// newScheme returns the gs:// scheme reading through c.
func newScheme(c *storage.Client) refs.Scheme {
	return &gcsScheme{c: c, pageSize: gcsPageSize, asStored: true}
}

// fromEnv returns the gs:// scheme configured from the Google
// environment: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
// gcloud's application-default file, the metadata server), with read-only
// scope. STORAGE_EMULATOR_HOST points it at an emulator or a GCS-compatible
// endpoint without credentials, as the Google libraries do.
func fromEnv(ctx context.Context) (refs.Scheme, error) {
	// On GCS, XML reads (the library's default), because only they can
	// fetch an object as stored: JSON reads refuse ReadCompressed. An
	// emulator gets JSON reads, which every emulator serves whatever host
	// it calls public (fake-gcs-server answers XML reads on that host
	// only); there a gzip-encoded object may come back decompressed and
	// then fails its size check rather than passing unchecked.
	emulator := os.Getenv("STORAGE_EMULATOR_HOST") != ""
	opts := []option.ClientOption{storage.WithXMLReads()}
	if emulator {
		opts = []option.ClientOption{storage.WithJSONReads()}
	} else {
		opts = append(opts, option.WithScopes(storage.ScopeReadOnly))
	}
	c, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, core.Errorf(core.ErrUnauthenticated, "gs:// references: no usable Google credentials (set GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`; STORAGE_EMULATOR_HOST for an emulator): %w", err)
	}
	s := &gcsScheme{c: c, pageSize: gcsPageSize, asStored: !emulator}
	return s, nil
}

// gcsParse splits gs://bucket/key into bucket and key ("" for the whole
// bucket).
func gcsParse(u *url.URL) (bucket, key string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", core.Errorf(core.ErrInvalid, "reference %.200q: %s", u.String(), why)
	}
	switch {
	case u.Opaque != "":
		return bad("want gs://bucket/key")
	case u.Host == "":
		return bad("no bucket (want gs://bucket/key)")
	case u.User != nil || u.Port() != "":
		return bad("a bucket name holds no user or port")
	case !gcsBucketName.MatchString(u.Host):
		return bad(fmt.Sprintf("%q is not a GCS bucket name", u.Host))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return bad("gs:// references take no query or fragment (escape ? and # in object names as %3F and %23)")
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

// gcsURI is the URI of one object, escaped so that it parses back to the
// same bucket and key.
func gcsURI(bucket, key string) string {
	return (&url.URL{Scheme: "gs", Host: bucket, Path: "/" + key}).String()
}

// List implements refs.Scheme. A key that names an object gives that object;
// otherwise the key is a folder: every object under key+"/" (the whole
// bucket for gs://bucket), in pages, stopping as soon as the limit is
// passed. Folder placeholder objects (names ending in "/") are skipped.
func (s *gcsScheme) List(ctx context.Context, u *url.URL, opts refs.Options) ([]refs.Object, error) {
	bucket, key, err := gcsParse(u)
	if err != nil {
		return nil, err
	}
	b := s.c.Bucket(bucket)
	if key != "" && !strings.HasSuffix(key, "/") {
		a, err := b.Object(key).Attrs(ctx)
		switch {
		case err == nil:
			o := gcsObject(bucket, a)
			o.Rel = ""
			return []refs.Object{o}, nil
		case !errors.Is(err, storage.ErrObjectNotExist):
			return nil, gcsError(err, "reference %s", u)
		}
	}
	prefix := key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	q := &storage.Query{Prefix: prefix}
	if err := q.SetAttrSelection(gcsListAttrs); err != nil {
		return nil, core.Errorf(core.ErrInvalid, "reference %s: %v", u, err)
	}
	max := opts.Limit()
	var objs []refs.Object
	it := b.Objects(ctx, q)
	it.PageInfo().MaxSize = s.pageSize
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, gcsError(err, "reference %s: listing gs://%s/%s", u, bucket, prefix)
		}
		if strings.HasSuffix(a.Name, "/") {
			continue
		}
		if len(objs) == max {
			return nil, core.Errorf(core.ErrTooLarge, "reference %s names more than the limit of %d objects", u, max)
		}
		o := gcsObject(bucket, a)
		o.Rel = strings.TrimPrefix(a.Name, prefix)
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		if key == "" {
			return nil, core.Errorf(core.ErrNotFound, "reference %s: bucket %s has no objects", u, bucket)
		}
		return nil, core.Errorf(core.ErrNotFound, "reference %s: no object %s and no objects under %s", u, key, prefix)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Rel < objs[j].Rel })
	return objs, nil
}

// gcsObject describes one object version of bucket; the caller sets Rel.
// The bucket is passed in because a listing with a field selection does
// not send it.
func gcsObject(bucket string, a *storage.ObjectAttrs) refs.Object {
	extra := map[string]string{
		"generation": strconv.FormatInt(a.Generation, 10),
	}
	if a.Etag != "" {
		extra["etag"] = a.Etag
	}
	md5sum := ""
	if len(a.MD5) > 0 {
		md5sum = base64.StdEncoding.EncodeToString(a.MD5)
		extra["md5"] = md5sum
	}
	if a.CRC32C != 0 {
		// GCS sends CRC32C as the base64 of its big-endian bytes; keep that
		// form. Composite objects have no MD5, so CRC32C is all there is.
		// (The client cannot tell a zero CRC32C from a missing one; a store
		// that sends none gets its sizes checked only.)
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], a.CRC32C)
		extra["crc32c"] = base64.StdEncoding.EncodeToString(b[:])
	}
	id := a.Etag
	if id == "" {
		id = md5sum
	}
	size := strconv.FormatInt(a.Size, 10)
	return refs.Object{
		URI:    gcsURI(bucket, a.Name),
		Size:   a.Size,
		Digest: refs.IdentityDigest("gs", bucket, a.Name, id, size, extra["generation"]),
		Extra:  extra,
	}
}

// Open implements refs.Scheme. An entry logged with checksums is read at its
// recorded generation, so a versioned bucket gives it back as it was even
// after an overwrite; a gone generation is an ErrCorrupt error naming the
// entry. The stored bytes are read as stored (no decompressive
// transcoding), since that is what the size and hashes describe, and they
// are checked against both at EOF. An entry logged without checksums reads
// the live object, checked only against the recorded size. No more than
// the recorded size and one byte is ever read.
func (s *gcsScheme) Open(ctx context.Context, e core.Entry) (io.ReadCloser, error) {
	u, err := url.Parse(e.Ref)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: reference %.200q: %v", e.Path, e.Ref, err)
	}
	bucket, key, err := gcsParse(u)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: %w", e.Path, err)
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: reference %s names no object", e.Path, e.Ref)
	}
	o := s.c.Bucket(bucket).Object(key).ReadCompressed(s.asStored)
	var gen int64
	if g, ok := e.Extra["generation"]; ok {
		gen, err = strconv.ParseInt(g, 10, 64)
		if err != nil || gen <= 0 {
			return nil, core.Errorf(core.ErrInvalid, "entry %q: bad generation %q", e.Path, g)
		}
		o = o.Generation(gen)
	}
	r, err := o.NewReader(ctx)
	if err != nil {
		if gen != 0 && errors.Is(err, storage.ErrObjectNotExist) {
			return nil, s.gone(ctx, e, bucket, key, gen)
		}
		return nil, gcsError(err, "entry %q: %s", e.Path, e.Ref)
	}
	if size := r.Attrs.Size; size != e.Size {
		r.Close()
		if gen == 0 {
			return nil, core.Errorf(core.ErrCorrupt, "entry %q: %s has %d bytes, %d were logged", e.Path, e.Ref, size, e.Size)
		}
		return nil, core.Errorf(core.ErrCorrupt, "entry %q: %s generation %d has %d bytes, %d were logged", e.Path, e.Ref, gen, size, e.Size)
	}
	// Logged without checksums (no Extra): only the size is checked.
	v := &gcsVerifier{r: r, path: e.Path, uri: e.Ref, size: e.Size}
	switch {
	case e.Extra["md5"] != "":
		v.h, v.want, v.algo = md5.New(), e.Extra["md5"], "MD5"
	case e.Extra["crc32c"] != "":
		v.h, v.want, v.algo = crc32.New(crc32.MakeTable(crc32.Castagnoli)), e.Extra["crc32c"], "CRC32C"
	}
	return v, nil
}

// gone explains why generation gen of an entry's object cannot be read.
func (s *gcsScheme) gone(ctx context.Context, e core.Entry, bucket, key string, gen int64) error {
	a, err := s.c.Bucket(bucket).Object(key).Attrs(ctx)
	switch {
	case err == nil:
		return core.Errorf(core.ErrCorrupt, "entry %q: %s changed since it was logged (generation %d is gone, now %d; enable object versioning on bucket %s to keep old generations)", e.Path, e.Ref, gen, a.Generation, bucket)
	case errors.Is(err, storage.ErrObjectNotExist):
		return core.Errorf(core.ErrCorrupt, "entry %q: %s was deleted since it was logged (generation %d is gone)", e.Path, e.Ref, gen)
	default:
		return gcsError(err, "entry %q: %s", e.Path, e.Ref)
	}
}

// gcsVerifier passes an object's bytes through, checking their count and
// hash at EOF.
type gcsVerifier struct {
	r    *storage.Reader
	path string
	uri  string
	size int64
	h    hash.Hash // nil: size only
	want string    // base64, as GCS gives it
	algo string
	n    int64
	err  error // sticky verdict once EOF was seen
}

func (v *gcsVerifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	// Never more than size+1 bytes: the one more tells a longer object.
	if left := v.size - v.n + 1; int64(len(p)) > left {
		p = p[:max(left, 1)]
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	if v.h != nil {
		v.h.Write(p[:n])
	}
	if v.n > v.size {
		v.err = core.Errorf(core.ErrCorrupt, "entry %q: %s has more than the %d bytes logged", v.path, v.uri, v.size)
		return 0, v.err
	}
	if errors.Is(err, io.EOF) {
		v.err = v.verify()
		return n, v.err
	}
	if err != nil {
		return n, gcsError(err, "entry %q: reading %s", v.path, v.uri)
	}
	return n, nil
}

func (v *gcsVerifier) verify() error {
	if v.n != v.size {
		return core.Errorf(core.ErrCorrupt, "entry %q: %s has %d bytes, %d were logged", v.path, v.uri, v.n, v.size)
	}
	if v.h != nil {
		if got := base64.StdEncoding.EncodeToString(v.h.Sum(nil)); got != v.want {
			return core.Errorf(core.ErrCorrupt, "entry %q: %s has %s %s, %s was logged", v.path, v.uri, v.algo, got, v.want)
		}
	}
	return io.EOF
}

func (v *gcsVerifier) Close() error { return v.r.Close() }

// gcsError gives a storage error its kind, prefixed by the formatted
// context; cancellation keeps no kind but stays wrapped, so
// errors.Is(err, context.Canceled) works.
func gcsError(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	var ge *googleapi.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", msg, err)
	case errors.Is(err, storage.ErrBucketNotExist):
		return core.Errorf(core.ErrNotFound, "%s: bucket does not exist: %w", msg, err)
	case errors.Is(err, storage.ErrObjectNotExist):
		return core.Errorf(core.ErrNotFound, "%s: object does not exist: %w", msg, err)
	case errors.As(err, &ge) && ge.Code == http.StatusUnauthorized:
		return core.Errorf(core.ErrUnauthenticated, "%s: GCS refused the credentials (see GOOGLE_APPLICATION_CREDENTIALS): %w", msg, err)
	case errors.As(err, &ge) && ge.Code == http.StatusForbidden:
		return core.Errorf(core.ErrPermission, "%s: GCS denied access: %w", msg, err)
	case errors.As(err, &ge) && ge.Code == http.StatusNotFound:
		return core.Errorf(core.ErrNotFound, "%s: %w", msg, err)
	case errors.As(err, &ge) && ge.Code == http.StatusBadRequest:
		return core.Errorf(core.ErrInvalid, "%s: %w", msg, err)
	}
	return core.Errorf(core.ErrUnavailable, "%s: %w", msg, err)
}

func init() { refs.Register("gs", fromEnv) }
