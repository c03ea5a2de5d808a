package gcs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// gcsEnv is fake-gcs-server run in-process on loopback, reached through a
// counting proxy the way a user reaches an emulator: STORAGE_EMULATOR_HOST
// and fromEnv, with no Google credentials anywhere.
type gcsEnv struct {
	srv    *fakestorage.Server
	c      *storage.Client // writes the fixtures, through the emulator too
	scheme *gcsScheme
	r      *refs.Resolver
	lists  atomic.Int64 // object listing requests seen
}

func newGCSEnv(t *testing.T) *gcsEnv { return newGCSEnvHost(t, "") }

// newGCSEnvHost starts the emulator with the given public host ("" keeps
// fake-gcs-server's default, as a user running it by hand would: reads of
// the scheme from the environment must work then too).
func newGCSEnvHost(t *testing.T, publicHost string) *gcsEnv {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard,
		PublicHost: publicHost,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	env := &gcsEnv{srv: srv}
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/o") {
			env.lists.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	// No credentials: the emulator variable alone must do.
	t.Setenv("STORAGE_EMULATOR_HOST", front.URL)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "absent.json"))
	ctx := context.Background()
	s, err := fromEnv(ctx)
	if err != nil {
		t.Fatalf("fromEnv with STORAGE_EMULATOR_HOST: %v", err)
	}
	env.scheme = s.(*gcsScheme)
	env.r = refs.NewResolver(map[string]refs.Scheme{"gs": s})
	env.c, err = storage.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.c.Close() })
	return env
}

func (env *gcsEnv) bucket(t *testing.T, name string, versioned bool) {
	t.Helper()
	env.srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name, VersioningEnabled: versioned})
}

// put uploads through the JSON API, so the server computes MD5, CRC32C and
// a new generation as GCS does.
func (env *gcsEnv) put(t *testing.T, bucket, key, body string) *storage.ObjectAttrs {
	t.Helper()
	w := env.c.Bucket(bucket).Object(key).NewWriter(context.Background())
	if _, err := io.WriteString(w, body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("put gs://%s/%s: %v", bucket, key, err)
	}
	return w.Attrs()
}

func readAll(t *testing.T, r *refs.Resolver, e core.Entry) (string, error) {
	t.Helper()
	rc, err := r.Open(context.Background(), e)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func paths(es []core.Entry) string {
	var p []string
	for _, e := range es {
		p = append(p, e.Path)
	}
	return strings.Join(p, " ")
}

func TestGCSSingleObject(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "my-bucket", false)
	a := env.put(t, "my-bucket", "model.h5", "weights v1")
	env.put(t, "my-bucket", "checkpoints/model.h5", "checkpoint")

	es, err := env.r.Resolve(ctx, "gs://my-bucket/model.h5", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("got %d entries, want 1: %+v", len(es), es)
	}
	e := es[0]
	gen := strconv.FormatInt(a.Generation, 10)
	if e.Path != "model.h5" || e.Ref != "gs://my-bucket/model.h5" || e.Size != int64(len("weights v1")) {
		t.Errorf("entry = %+v", e)
	}
	if e.Extra["generation"] != gen || e.Extra["etag"] != a.Etag || e.Extra["md5"] == "" || e.Extra["crc32c"] == "" {
		t.Errorf("extra = %v; want generation %s, etag %s, md5 and crc32c", e.Extra, gen, a.Etag)
	}
	if want := refs.IdentityDigest("gs", "my-bucket", "model.h5", a.Etag, "10", gen); e.Digest != want {
		t.Errorf("digest = %s, want %s", e.Digest, want)
	}
	if err := e.Validate(); err != nil {
		t.Error(err)
	}
	if got, err := readAll(t, env.r, e); err != nil || got != "weights v1" {
		t.Errorf("open = %q, %v", got, err)
	}

	// Unchanged: the same digest, so the entry dedups.
	again, err := env.r.Resolve(ctx, "gs://my-bucket/model.h5", refs.Options{})
	if err != nil || again[0].Digest != e.Digest {
		t.Errorf("re-resolve = %v, %v; want digest %s", again, err, e.Digest)
	}

	for _, tc := range []struct{ uri, name, want string }{
		{"gs://my-bucket/checkpoints/model.h5", "", "model.h5"},
		{"gs://my-bucket/model.h5", "models/mymodel.h5", "models/mymodel.h5"},
		{"gs://my-bucket/model.h5", "/models/mymodel.h5/", "models/mymodel.h5"},
	} {
		es, err := env.r.Resolve(ctx, tc.uri, refs.Options{Name: tc.name})
		if err != nil || paths(es) != tc.want {
			t.Errorf("Resolve(%s, Name %q) = %q, %v; want %q", tc.uri, tc.name, paths(es), err, tc.want)
		}
	}
	// The checkpoint is another object: another digest.
	cp, _ := env.r.Resolve(ctx, "gs://my-bucket/checkpoints/model.h5", refs.Options{})
	if len(cp) == 1 && cp[0].Digest == e.Digest {
		t.Error("two different objects got the same digest")
	}

	// Overwritten: a new digest.
	env.put(t, "my-bucket", "model.h5", "weights v2")
	changed, err := env.r.Resolve(ctx, "gs://my-bucket/model.h5", refs.Options{})
	if err != nil || changed[0].Digest == e.Digest {
		t.Errorf("after overwrite: %v, %v; want a digest other than %s", changed, err, e.Digest)
	}
}

func TestGCSPrefix(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "my-bucket", false)
	for _, k := range []string{"images/cat.png", "images/dog.png", "images/sub/x.png", "imagesX/no.png", "model.h5"} {
		env.put(t, "my-bucket", k, "contents of "+k)
	}
	env.put(t, "my-bucket", "images/", "") // a console folder placeholder

	for _, tc := range []struct{ uri, name, want string }{
		{"gs://my-bucket/images", "", "cat.png dog.png sub/x.png"},
		{"gs://my-bucket/images/", "", "cat.png dog.png sub/x.png"},
		{"gs://my-bucket/images", "images", "images/cat.png images/dog.png images/sub/x.png"},
		{"gs://my-bucket/images", "data/img/", "data/img/cat.png data/img/dog.png data/img/sub/x.png"},
		{"gs://my-bucket/images/sub", "", "x.png"},
		{"gs://my-bucket", "", "images/cat.png images/dog.png images/sub/x.png imagesX/no.png model.h5"},
		{"gs://my-bucket/", "all", "all/images/cat.png all/images/dog.png all/images/sub/x.png all/imagesX/no.png all/model.h5"},
	} {
		es, err := env.r.Resolve(ctx, tc.uri, refs.Options{Name: tc.name})
		if err != nil || paths(es) != tc.want {
			t.Errorf("Resolve(%s, Name %q) = %q, %v; want %q", tc.uri, tc.name, paths(es), err, tc.want)
			continue
		}
		for _, e := range es {
			key := strings.TrimPrefix(e.Ref, "gs://my-bucket/")
			got, err := readAll(t, env.r, e)
			if err != nil || got != "contents of "+key {
				t.Errorf("open %s (%s) = %q, %v", e.Path, e.Ref, got, err)
			}
		}
	}
}

func TestGCSVersionedOverwrite(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "versioned", true)
	env.put(t, "versioned", "data.csv", "a,b\n1,2\n")
	es, err := env.r.Resolve(ctx, "gs://versioned/data.csv", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := es[0]
	env.put(t, "versioned", "data.csv", "a,b\n3,4\n5,6\n")

	got, err := readAll(t, env.r, old)
	if err != nil || got != "a,b\n1,2\n" {
		t.Errorf("open of the logged generation = %q, %v; want the old contents", got, err)
	}
	es, err = env.r.Resolve(ctx, "gs://versioned/data.csv", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Digest == old.Digest || es[0].Extra["generation"] == old.Extra["generation"] {
		t.Errorf("overwrite kept digest/generation: %+v vs %+v", es[0], old)
	}
	if got, err := readAll(t, env.r, es[0]); err != nil || got != "a,b\n3,4\n5,6\n" {
		t.Errorf("open of the new generation = %q, %v", got, err)
	}
}

func TestGCSUnversionedOverwrite(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "plain", false)
	env.put(t, "plain", "data.csv", "old")
	env.put(t, "plain", "gone.csv", "soon deleted")
	es, err := env.r.Resolve(ctx, "gs://plain", refs.Options{Name: "tables"})
	if err != nil {
		t.Fatal(err)
	}
	env.put(t, "plain", "data.csv", "new")
	if err := env.c.Bucket("plain").Object("gone.csv").Delete(ctx); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		entry core.Entry
		why   string
	}{
		{es[0], "changed since it was logged"},
		{es[1], "deleted since it was logged"},
	} {
		_, err := readAll(t, env.r, tc.entry)
		if !errors.Is(err, core.ErrCorrupt) || !strings.Contains(err.Error(), strconv.Quote(tc.entry.Path)) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("open %s = %v; want ErrCorrupt naming the entry, %q", tc.entry.Path, err, tc.why)
		}
	}
}

func TestGCSOpenVerifies(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "b-1", false)
	env.put(t, "b-1", "x.bin", "0123456789")
	es, err := env.r.Resolve(ctx, "gs://b-1/x.bin", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	clone := func(mod func(*core.Entry)) core.Entry {
		c := e
		c.Extra = map[string]string{}
		for k, v := range e.Extra {
			c.Extra[k] = v
		}
		mod(&c)
		return c
	}
	for name, tc := range map[string]core.Entry{
		"wrong md5":             clone(func(c *core.Entry) { c.Extra["md5"] = "1B2M2Y8AsgTpgAmY7PhCfg==" }),
		"wrong crc32c, no md5":  clone(func(c *core.Entry) { delete(c.Extra, "md5"); c.Extra["crc32c"] = "AAAAAA==" }),
		"wrong size, too small": clone(func(c *core.Entry) { c.Size = 4 }),
		"wrong size, too big":   clone(func(c *core.Entry) { c.Size = 40 }),
	} {
		got, err := readAll(t, env.r, tc)
		if !errors.Is(err, core.ErrCorrupt) || !strings.Contains(err.Error(), `"x.bin"`) {
			t.Errorf("%s: open = %q, %v; want ErrCorrupt naming the entry", name, got, err)
		}
	}
	// CRC32C alone (a composite object has no MD5) verifies too.
	ok := clone(func(c *core.Entry) { delete(c.Extra, "md5") })
	if got, err := readAll(t, env.r, ok); err != nil || got != "0123456789" {
		t.Errorf("crc32c only: open = %q, %v", got, err)
	}
	bad := clone(func(c *core.Entry) { c.Extra["generation"] = "soon" })
	if _, err := readAll(t, env.r, bad); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("bad generation: %v; want ErrInvalid", err)
	}
}

func TestGCSLimit(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "many", false)
	// Pages of 10 instead of GCS's 1,000: the same paging with a fixture
	// fake-gcs-server builds quickly (its inserts are slow by thousands).
	env.scheme.pageSize = 10
	const n = 25
	for i := range n {
		env.srv.CreateObject(fakestorage.Object{
			ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "many", Name: fmt.Sprintf("shards/%03d.bin", i)},
			Content:     []byte(strconv.Itoa(i)),
		})
	}

	env.lists.Store(0)
	es, err := env.r.Resolve(ctx, "gs://many/shards", refs.Options{MaxObjects: n})
	if err != nil || len(es) != n || es[0].Path != "000.bin" || es[n-1].Path != fmt.Sprintf("%03d.bin", n-1) {
		t.Fatalf("Resolve of %d objects at a limit of %d: %d entries, %v", n, n, len(es), err)
	}
	if got := env.lists.Load(); got != 3 {
		t.Errorf("listing %d objects took %d requests, want 3 pages of 10", n, got)
	}
	if got, err := readAll(t, env.r, es[17]); err != nil || got != "17" {
		t.Errorf("open %s = %q, %v", es[17].Path, got, err)
	}

	env.lists.Store(0)
	_, err = env.r.Resolve(ctx, "gs://many/shards", refs.Options{MaxObjects: 12})
	if !errors.Is(err, core.ErrTooLarge) || !strings.Contains(err.Error(), "limit of 12") {
		t.Errorf("over the limit: %v; want ErrTooLarge naming the limit of 12", err)
	}
	if got := env.lists.Load(); got != 2 {
		t.Errorf("over the limit after 2 pages, listing went on: %d requests", got)
	}

	_, err = env.r.Resolve(ctx, "gs://many", refs.Options{MaxObjects: n - 1})
	if !errors.Is(err, core.ErrTooLarge) {
		t.Errorf("whole bucket over the limit: %v; want ErrTooLarge", err)
	}
}

func TestGCSNotFound(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "some", false)
	env.bucket(t, "empty", false)
	env.put(t, "some", "images/cat.png", "meow")
	env.put(t, "some", "folder/", "") // a placeholder alone is no object

	for _, uri := range []string{
		"gs://some/nothing-here",
		"gs://some/images/cat", // a name prefix is not a folder
		"gs://some/folder",
		"gs://empty",
		"gs://no-such-bucket/x",
		"gs://no-such-bucket",
	} {
		_, err := env.r.Resolve(ctx, uri, refs.Options{})
		if !errors.Is(err, core.ErrNotFound) || !strings.Contains(err.Error(), uri) {
			t.Errorf("Resolve(%s) = %v; want ErrNotFound naming the URI", uri, err)
		}
	}
}

func TestGCSNoChecksum(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "plain", false)
	env.put(t, "plain", "dir/a.txt", "aaa")
	env.put(t, "plain", "dir/b.txt", "bbb")

	es, err := env.r.Resolve(ctx, "gs://plain/dir", refs.Options{NoChecksum: true})
	if err != nil || len(es) != 2 {
		t.Fatalf("Resolve = %v, %v", es, err)
	}
	for _, e := range es {
		if e.Digest != refs.URIDigest(e.Ref) || e.Extra != nil {
			t.Errorf("%s: digest %s extra %v; want refs.URIDigest(%s) and no extra", e.Path, e.Digest, e.Extra, e.Ref)
		}
	}
	// Nothing was pinned: an overwrite still dedups and reads the live object.
	env.put(t, "plain", "dir/a.txt", "AAA")
	again, err := env.r.Resolve(ctx, "gs://plain/dir", refs.Options{NoChecksum: true})
	if err != nil || again[0].Digest != es[0].Digest {
		t.Errorf("after overwrite: %v, %v; want the same URI digest", again, err)
	}
	if got, err := readAll(t, env.r, es[0]); err != nil || got != "AAA" {
		t.Errorf("open = %q, %v; want the live contents", got, err)
	}
	// The recorded size still holds.
	env.put(t, "plain", "dir/a.txt", "AAAA")
	if _, err := readAll(t, env.r, es[0]); !errors.Is(err, core.ErrCorrupt) || !strings.Contains(fmt.Sprint(err), `entry "a.txt"`) {
		t.Errorf("open of a grown object: %v, want corrupt naming the entry", err)
	}
}

func TestGCSBadURIs(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "ok-bucket", false)
	env.put(t, "ok-bucket", "k", "v")
	env.lists.Store(0)
	for _, uri := range []string{
		"gs:///key",
		"gs://",
		"gs:key",
		"gs://Upper/key",
		"gs://a/key",
		"gs://ok-bucket:443/k",
		"gs://user@ok-bucket/k",
		"gs://ok-bucket/k?generation=1",
		"gs://ok-bucket/k#frag",
	} {
		_, err := env.r.Resolve(ctx, uri, refs.Options{})
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Resolve(%q) = %v; want ErrInvalid", uri, err)
		}
	}
	if n := env.lists.Load(); n != 0 {
		t.Errorf("bad URIs caused %d listings", n)
	}
	for _, ref := range []string{"gs:///k", "gs://ok-bucket", "gs://ok-bucket/dir/"} {
		_, err := readAll(t, env.r, core.Entry{Path: "x", Ref: ref, Size: 1})
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Open(%q) = %v; want ErrInvalid", ref, err)
		}
	}
}

// TestGCSEscapedNames: object names with characters URLs reserve come back
// as URIs that address the same object.
func TestGCSEscapedNames(t *testing.T) {
	env := newGCSEnv(t)
	ctx := context.Background()
	env.bucket(t, "odd", false)
	env.put(t, "odd", "d/a b#1?.txt", "odd name")
	env.put(t, "odd", "d/100%.txt", "percent")
	es, err := env.r.Resolve(ctx, "gs://odd/d", refs.Options{})
	if err != nil || paths(es) != "100%.txt a b#1?.txt" {
		t.Fatalf("Resolve = %q, %v", paths(es), err)
	}
	for _, e := range es {
		one, err := env.r.Resolve(ctx, e.Ref, refs.Options{})
		if err != nil || len(one) != 1 || one[0].Digest != e.Digest {
			t.Errorf("Resolve(%s) = %v, %v; want the object itself", e.Ref, one, err)
		}
		if _, err := readAll(t, env.r, e); err != nil {
			t.Errorf("open %s: %v", e.Ref, err)
		}
	}
}

// TestGCSDefaultResolver: the resolver the SDK uses, with this package
// imported, builds the gs:// client
// lazily from the environment.
func TestGCSDefaultResolver(t *testing.T) {
	env := newGCSEnv(t)
	env.bucket(t, "lazy", false)
	env.put(t, "lazy", "x", "y")
	es, err := refs.Default().Resolve(context.Background(), "gs://lazy/x", refs.Options{})
	if err != nil || paths(es) != "x" {
		t.Fatalf("refs.Default().Resolve = %v, %v", es, err)
	}
	if got, err := readAll(t, refs.Default(), es[0]); err != nil || got != "y" {
		t.Errorf("open = %q, %v", got, err)
	}
}

// TestFromEnvNoCredentials: without an emulator, credentials that are
// named but missing are a clear error, not a client that fails later.
func TestFromEnvNoCredentials(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	missing := filepath.Join(t.TempDir(), "missing.json")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", missing)
	_, err := fromEnv(context.Background())
	if !errors.Is(err, core.ErrUnauthenticated) || !strings.Contains(err.Error(), "GOOGLE_APPLICATION_CREDENTIALS") {
		t.Errorf("fromEnv = %v; want ErrUnauthenticated naming GOOGLE_APPLICATION_CREDENTIALS", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the credentials file was created: %v", err)
	}
}

// TestGCSGzipStoredAsIs: an object stored gzip-encoded is fetched as stored
// (GCS would otherwise decompress it on the way), since its size and hashes
// describe the stored bytes.
func TestGCSGzipStoredAsIs(t *testing.T) {
	// XML reads, as on GCS itself (fromEnv reads an emulator with JSON):
	// the Go client sends them to the emulator's host as /bucket/object,
	// which fake-gcs-server serves only on its public host.
	env := newGCSEnvHost(t, "127.0.0.1")
	env.r = refs.NewResolver(map[string]refs.Scheme{"gs": newScheme(env.c)})
	ctx := context.Background()
	env.bucket(t, "zipped", false)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(strings.Repeat("log line\n", 100)))
	zw.Close()
	w := env.c.Bucket("zipped").Object("app.log").NewWriter(ctx)
	w.ContentEncoding = "gzip"
	w.ContentType = "text/plain"
	if _, err := w.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	es, err := env.r.Resolve(ctx, "gs://zipped/app.log", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Size != int64(buf.Len()) {
		t.Errorf("size %d, want the stored %d", es[0].Size, buf.Len())
	}
	got, err := readAll(t, env.r, es[0])
	if err != nil || got != buf.String() {
		t.Errorf("open = %d bytes, %v; want the %d stored gzip bytes", len(got), err, buf.Len())
	}
}
