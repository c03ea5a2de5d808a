package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/blobtest"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
)

// s3Store is a store on a fresh bucket of gw, with what tests need to look
// behind its back.
type s3Store struct {
	*blob.Bucket
	gw     *s3test.Gateway
	bucket string
}

func openS3(t testing.TB, gw *s3test.Gateway) *s3Store {
	t.Helper()
	name := gw.NewBucket(t)
	s, err := blob.Open(t.Context(), gw.URL(name))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return &s3Store{Bucket: s, gw: gw, bucket: name}
}

// file is where versitygw keeps object key of the store's bucket.
func (s *s3Store) file(key string) string {
	return filepath.Join(s.gw.Dir, s.bucket, filepath.FromSlash(key))
}

func s3Key(d core.Digest) string { return "sha256/" + d.Hex()[:2] + "/" + d.Hex() }

// uploads returns the multipart uploads in progress in the store's bucket.
func (s *s3Store) uploads(t testing.TB) []string {
	t.Helper()
	out, err := s.gw.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

func TestS3Store(t *testing.T) {
	gw := s3test.Server(t)
	var stores sync.Map // blob.Store → *s3Store
	blobtest.Run(t,
		func(t *testing.T) blob.Store {
			s := openS3(t, gw)
			stores.Store(blob.Store(s.Bucket), s)
			return s.Bucket
		},
		func(t *testing.T, st blob.Store, d core.Digest) {
			v, _ := stores.Load(st)
			p := v.(*s3Store).file(s3Key(d))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, flip(b), 0o644); err != nil {
				t.Fatal(err)
			}
		})
}

// TestS3Multipart stores content large enough for multipart uploads (S3's
// transfer manager switches at 16 MiB) by Put and by Ingest.
func TestS3Multipart(t *testing.T) {
	s := openS3(t, s3test.Server(t))
	ctx := t.Context()
	const size = 40 << 20
	for _, tc := range []struct {
		name string
		seed int64
		put  func(r io.Reader, d core.Digest) error
	}{
		{"Put", 1, func(r io.Reader, d core.Digest) error { return s.Put(ctx, d, size, r) }},
		{"Put unknown size", 2, func(r io.Reader, d core.Digest) error { return s.Put(ctx, d, -1, r) }},
		{"Ingest", 3, func(r io.Reader, d core.Digest) error {
			got, n, err := s.Ingest(ctx, r)
			if err == nil && (got != d || n != size) {
				err = errors.New("Ingest returned " + got.String())
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := blobtest.DigestOfReader(t, blobtest.NewReader(tc.seed, size))
			if err := tc.put(blobtest.NewReader(tc.seed, size), d); err != nil {
				t.Fatal(err)
			}
			head, err := s.gw.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s3Key(d))})
			if err != nil {
				t.Fatal(err)
			}
			// A multipart upload's ETag is "<md5 of part md5s>-<parts>".
			if etag := aws.ToString(head.ETag); !strings.Contains(etag, "-") {
				t.Errorf("ETag %s is not a multipart upload's", etag)
			}
			if n, err := s.Stat(ctx, d); err != nil || n != size {
				t.Errorf("Stat = %d, %v; want %d", n, err, size)
			}
			rc, err := s.Get(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
				t.Errorf("Get: %d bytes, %v", n, err)
			}
		})
	}
	if ups := s.uploads(t); len(ups) != 0 {
		t.Errorf("multipart uploads left: %q", ups)
	}
}

// TestS3AbandonedMultipart checks that a multipart Put that fails —
// content not matching its digest, or cancelled — publishes nothing and
// leaves no multipart upload behind (the transfer manager's own abort is
// sent with the cancelled context, so the store sends one itself).
func TestS3AbandonedMultipart(t *testing.T) {
	s := openS3(t, s3test.Server(t))
	const size = 40 << 20
	d := blobtest.DigestOfReader(t, blobtest.NewReader(5, size))
	wrong := core.DigestOf([]byte("something else"))

	err := s.Put(t.Context(), wrong, size, blobtest.NewReader(5, size))
	if !errors.Is(err, core.ErrCorrupt) {
		t.Errorf("Put with the wrong digest = %v; want core.ErrCorrupt", err)
	}
	err = s.Put(t.Context(), d, size-1, blobtest.NewReader(5, size))
	if !errors.Is(err, core.ErrCorrupt) {
		t.Errorf("Put with the wrong size = %v; want core.ErrCorrupt", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := &cancelAfter{r: blobtest.NewReader(5, size), after: 30 << 20, cancel: cancel}
	if err := s.Put(ctx, d, size, r); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Put = %v; want context.Canceled", err)
	}
	for _, dd := range []core.Digest{d, wrong} {
		if _, err := s.Stat(t.Context(), dd); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("Stat after failed Puts = %v; want core.ErrNotFound", err)
		}
	}
	if ups := s.uploads(t); len(ups) != 0 {
		t.Errorf("multipart uploads left behind: %q", ups)
	}
	if n, err := s.CleanTemp(t.Context(), 0); err != nil || n != 0 {
		t.Errorf("CleanTemp(0) = %d, %v; want 0, nil", n, err)
	}
}

// cancelAfter calls cancel once after bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	after  int64
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

// TestS3CleanTemp checks that CleanTemp aborts multipart uploads that a dead
// process left, and only old ones.
func TestS3CleanTemp(t *testing.T) {
	s := openS3(t, s3test.Server(t))
	ctx := t.Context()
	key := s3Key(core.DigestOf([]byte("never completed")))
	_, err := s.gw.Client().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.CleanTemp(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("CleanTemp(1h) of a fresh upload = %d, %v; want 0, nil", n, err)
	}
	if n, err := s.CleanTemp(ctx, 0); err != nil || n != 1 {
		t.Fatalf("CleanTemp(0) = %d, %v; want 1, nil", n, err)
	}
	if ups := s.uploads(t); len(ups) != 0 {
		t.Errorf("uploads after CleanTemp: %q", ups)
	}
}

// TestS3Prefix checks that ?prefix= keeps a store's keys under it, so that
// stores with different prefixes share a bucket without seeing each other.
func TestS3Prefix(t *testing.T) {
	gw := s3test.Server(t)
	ctx := t.Context()
	name := gw.NewBucket(t)
	open := func(prefix string) *blob.Bucket {
		u, _ := url.Parse(gw.URL(name))
		q := u.Query()
		q.Set("prefix", prefix)
		u.RawQuery = q.Encode()
		s, err := blob.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open("team/a"), open("team/b/")
	content := []byte("prefixed")
	d, _, err := a.Ingest(ctx, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(gw.Dir, name, "team", "a", filepath.FromSlash(s3Key(d)))); err != nil {
		t.Errorf("object not under the prefix: %v", err)
	}
	if got := blobtest.ListAll(t, b); len(got) != 0 {
		t.Errorf("store b lists a's blobs: %v", got)
	}
	if _, err := b.Stat(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("store b Stat of a's blob = %v; want core.ErrNotFound", err)
	}
	// Presigned URLs carry the prefix too.
	u, err := a.PresignGet(ctx, d, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := httpGet(t, u); !bytes.Equal(got, content) {
		t.Errorf("presigned GET under a prefix = %q; want %q", got, content)
	}
}

// TestS3EnvCredentials opens a URL that carries neither credentials nor
// endpoint: both come from the standard AWS environment variables, and the
// endpoint implies path-style addressing.
func TestS3EnvCredentials(t *testing.T) {
	gw := s3test.Server(t)
	name := gw.NewBucket(t)
	for _, kv := range gw.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	s, err := blob.Open(t.Context(), "s3://"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	content := []byte("credentials from the environment")
	d, _, err := s.Ingest(t.Context(), bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if got := blobtest.ReadAll(t, s, d); !bytes.Equal(got, content) {
		t.Errorf("read back %q", got)
	}
	if _, err := os.Stat(filepath.Join(gw.Dir, name, filepath.FromSlash(s3Key(d)))); err != nil {
		t.Errorf("object not in the bucket's directory: %v", err)
	}
}

func TestPing(t *testing.T) {
	ctx := t.Context()
	gw := s3test.Server(t)
	s := openS3(t, gw)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping of an S3 bucket: %v", err)
	}
	missing, err := blob.Open(ctx, gw.URL("no-such-bucket"))
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	if err := missing.Ping(ctx); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("Ping of a missing bucket = %v; want core.ErrUnavailable", err)
	}

	f, dir := openFile(t)
	if err := f.Ping(ctx); err != nil {
		t.Errorf("Ping of a directory: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := f.Ping(ctx); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("Ping of a removed directory = %v; want core.ErrUnavailable", err)
	}
}

// TestOpenS3 opens URLs with every kind of parameter; Open does not contact
// the store, so no server is needed.
func TestOpenS3(t *testing.T) {
	for _, u := range []string{
		"s3://bucket",
		"s3://bucket/",
		"s3://bucket?region=eu-west-1",
		"s3://KEY:SECRET@bucket?endpoint=http://127.0.0.1:9&prefix=a/b/",
		"s3://bucket?endpoint=https://s3.example.com&use_path_style=false&disable_https=false",
		"s3://bucket?s3ForcePathStyle=true&hostname_immutable=true&accelerate=false",
		"s3://bucket?ssetype=aws:kms&kmskeyid=arn:aws:kms:eu-west-1:1:key/k",
		"s3://bucket?ssetype=AES256&dualstack=false&fips=false&anonymous=true",
		"s3://bucket?request_checksum_calculation=when_required&response_checksum_validation=when_supported",
		"s3://bucket?rate_limiter_capacity=100",
	} {
		s, err := blob.Open(t.Context(), u)
		if err != nil {
			t.Errorf("Open(%q): %v", u, err)
			continue
		}
		if !s.CanPresign() {
			t.Errorf("Open(%q): CanPresign() = false", u)
		}
		s.Close()
	}
}

// TestOpenRedacts checks that errors about URLs never show a secret.
func TestOpenRedacts(t *testing.T) {
	for _, u := range []string{
		"s3://KEY:TOPSECRET@bucket?colour=blue",
		"s3://KEY:TOPSECRET@bucket/path",
		"s3://KEY:TOPSECRET@bucket?endpoint=nonsense",
		"s3://KEY:TOP%zzSECRET@bucket",
		"gs://KEY:TOPSECRET@bucket",
		"file://KEY:TOPSECRET@/dir",
	} {
		_, err := blob.Open(t.Context(), u)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("Open(%q) = %q: shows the secret", u, err)
		}
	}
}

func TestPresign(t *testing.T) {
	gw := s3test.Server(t)
	s := openS3(t, gw)
	ctx := t.Context()
	if !s.CanPresign() {
		t.Fatal("CanPresign() = false on S3")
	}
	content := blobtest.Content(21, 3<<20+7)
	d := core.DigestOf(content)
	size := int64(len(content))

	u, hdr, err := s.PresignPut(ctx, d, size, time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get("X-Amz-Checksum-Sha256"); got == "" {
		t.Errorf("PresignPut headers %v lack x-amz-checksum-sha256", hdr)
	}

	// A body of the right size but the wrong content is refused by the
	// object store, and nothing appears under the key.
	bad := bytes.Clone(content)
	bad[len(bad)/2] ^= 1
	if code, body := httpPut(t, u, hdr, bad); code != http.StatusBadRequest {
		t.Errorf("PUT of a wrong body: %d %s; want 400", code, body)
	}
	// Without the checksum header the signature does not match.
	if code, body := httpPut(t, u, nil, content); code != http.StatusForbidden && code != 0 {
		t.Errorf("PUT without the checksum header: %d %s; want 403", code, body)
	} else {
		t.Logf("PUT without the checksum header: %d %.60s", code, body)
	}
	// A body of another size does not match the signed Content-Length.
	if code, body := httpPut(t, u, hdr, content[:size-1]); code/100 == 2 {
		t.Errorf("PUT of a short body: %d %s; want an error", code, body)
	} else {
		t.Logf("PUT of a short body: %d %.60s", code, body)
	}
	if _, err := s.Stat(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("Stat after refused PUTs = %v; want core.ErrNotFound", err)
	}
	if ups := s.uploads(t); len(ups) != 0 {
		t.Errorf("uploads left: %q", ups)
	}

	if code, body := httpPut(t, u, hdr, content); code != http.StatusOK {
		t.Fatalf("PUT of the right body: %d %s", code, body)
	}
	if got := blobtest.ReadAll(t, s, d); !bytes.Equal(got, content) {
		t.Fatal("Get after the presigned PUT returned other content")
	}

	gu, err := s.PresignGet(ctx, d, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := httpGet(t, gu); !bytes.Equal(got, content) {
		t.Errorf("presigned GET returned %d bytes that differ", len(got))
	}

	// The empty blob: no Content-Length is signed, the checksum still is.
	empty := core.DigestOf(nil)
	u, hdr, err = s.PresignPut(ctx, empty, 0, time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := httpPut(t, u, hdr, []byte("x")); code/100 == 2 {
		t.Errorf("PUT of one byte for the empty blob: %d %s; want an error", code, body)
	} else {
		t.Logf("PUT of one byte for the empty blob: %d %.60s", code, body)
	}
	if code, body := httpPut(t, u, hdr, nil); code != http.StatusOK {
		t.Errorf("PUT of the empty blob: %d %s", code, body)
	}
	if got := blobtest.ReadAll(t, s, empty); len(got) != 0 {
		t.Errorf("empty blob reads %q", got)
	}
}

// TestPresignProof: a proof given to PresignPut must travel with the PUT,
// which S3 keeps as the object's metadata; UploadProof reads it back, also
// after a PUT with another proof replaced the object.
func TestPresignProof(t *testing.T) {
	s := openS3(t, s3test.Server(t))
	ctx := t.Context()
	content := []byte("content proved through a presigned URL")
	d := core.DigestOf(content)
	size := int64(len(content))
	if _, err := s.UploadProof(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("UploadProof of a missing blob = %v; want core.ErrNotFound", err)
	}
	u, hdr, err := s.PresignPut(ctx, d, size, time.Minute, "proof-of-alice_1")
	if err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get("X-Amz-Meta-Trove-Proof"); got != "proof-of-alice_1" {
		t.Fatalf("PresignPut headers %v: want x-amz-meta-trove-proof", hdr)
	}
	// Without the proof header, or with another proof, the signature does
	// not match and nothing is stored.
	for name, h := range map[string]http.Header{
		"no proof":      {"X-Amz-Checksum-Sha256": hdr["X-Amz-Checksum-Sha256"]},
		"another proof": {"X-Amz-Checksum-Sha256": hdr["X-Amz-Checksum-Sha256"], "X-Amz-Meta-Trove-Proof": {"forged"}},
	} {
		if code, body := httpPut(t, u, h, content); code/100 == 2 {
			t.Errorf("PUT with %s: %d %s; want a refusal", name, code, body)
		}
	}
	if _, err := s.Stat(ctx, d); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("Stat after refused PUTs = %v; want core.ErrNotFound", err)
	}
	if code, body := httpPut(t, u, hdr, content); code != http.StatusOK {
		t.Fatalf("PUT with the proof: %d %s", code, body)
	}
	if got, err := s.UploadProof(ctx, d); err != nil || got != "proof-of-alice_1" {
		t.Fatalf("UploadProof = %q, %v; want the PUT's proof", got, err)
	}
	// A second presigned PUT of the stored blob replaces it, proof and all.
	u2, hdr2, err := s.PresignPut(ctx, d, size, time.Minute, "proof-of-bob")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := httpPut(t, u2, hdr2, content); code != http.StatusOK {
		t.Fatalf("second PUT: %d %s", code, body)
	}
	if got, err := s.UploadProof(ctx, d); err != nil || got != "proof-of-bob" {
		t.Errorf("UploadProof after the second PUT = %q, %v", got, err)
	}
	if got := blobtest.ReadAll(t, s, d); !bytes.Equal(got, content) {
		t.Errorf("the blob reads %q after the second PUT", got)
	}
	// A blob stored through the store itself carries no proof.
	other := []byte("stored by the server")
	if err := s.Put(ctx, core.DigestOf(other), int64(len(other)), bytes.NewReader(other)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UploadProof(ctx, core.DigestOf(other)); err != nil || got != "" {
		t.Errorf("UploadProof of a blob put by the store = %q, %v; want none", got, err)
	}
}

func TestPresignErrors(t *testing.T) {
	ctx := t.Context()
	d := core.DigestOf([]byte("x"))
	f, _ := openFile(t)
	if f.CanPresign() {
		t.Error("CanPresign() = true on a file store")
	}
	if _, err := f.UploadProof(ctx, d); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("UploadProof on a file store = %v; want core.ErrUnavailable", err)
	}
	if _, err := f.PresignGet(ctx, d, time.Minute); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("PresignGet on a file store = %v; want core.ErrUnavailable", err)
	}
	if _, _, err := f.PresignPut(ctx, d, 1, time.Minute, ""); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("PresignPut on a file store = %v; want core.ErrUnavailable", err)
	}

	s := openS3(t, s3test.Server(t))
	for name, err := range map[string]error{
		"zero digest": func() error { _, _, err := s.PresignPut(ctx, core.Digest{}, 1, time.Minute, ""); return err }(),
		"size -1":     func() error { _, _, err := s.PresignPut(ctx, d, -1, time.Minute, ""); return err }(),
		"ttl 0":       func() error { _, _, err := s.PresignPut(ctx, d, 1, 0, ""); return err }(),
		"bad proof":   func() error { _, _, err := s.PresignPut(ctx, d, 1, time.Minute, "a b"); return err }(),
		"long proof":  func() error { _, _, err := s.PresignPut(ctx, d, 1, time.Minute, strings.Repeat("p", 129)); return err }(),
		"proof zero":  func() error { _, err := s.UploadProof(ctx, core.Digest{}); return err }(),
		"ttl 8 days":  func() error { _, err := s.PresignGet(ctx, d, 8*24*time.Hour); return err }(),
		"get zero":    func() error { _, err := s.PresignGet(ctx, core.Digest{}, time.Minute); return err }(),
	} {
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s: %v; want core.ErrInvalid", name, err)
		}
	}
}

// httpPut PUTs body to u and returns the status and body of the answer, or
// 0 and the error when the server closed the connection before reading the
// whole body (as it may when it refuses the request on its headers).
func httpPut(t *testing.T, u string, hdr http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func httpGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d, %v: %s", resp.StatusCode, err, b)
	}
	return b
}
