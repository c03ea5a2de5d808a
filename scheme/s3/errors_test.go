package s3_test

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// oneLine fails t unless err is of kind, one line, mentions every string of
// contains, and shows nothing of the SDK's dumps (request ids, the
// operation prefix, status dumps).
func oneLine(t *testing.T, what string, err, kind error, contains ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error; want %v", what, kind)
		return
	}
	msg := err.Error()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %q is %v; want %v", what, msg, core.KindOf(err), kind)
	}
	for _, bad := range []string{"\n", "RequestID", "HostID", "operation error", "https response error", "api error", "StatusCode"} {
		if strings.Contains(msg, bad) {
			t.Errorf("%s: error %q shows %q", what, msg, bad)
		}
	}
	for _, c := range contains {
		if !strings.Contains(msg, c) {
			t.Errorf("%s: error %q does not mention %q", what, msg, c)
		}
	}
	t.Logf("%s: %s", what, msg)
}

// withSecret returns the store URL u with another secret key.
func withSecret(t *testing.T, u, secret string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pu.User = url.UserPassword(pu.User.Username(), secret)
	return pu.String()
}

// TestStoreErrors: the blob store's failures on S3 are one line that says
// why — a bucket that does not exist, a wrong secret key, an unknown access
// key, an endpoint nobody listens on — of kind unavailable: the bucket and
// its credentials are the server's, so its callers see the object store
// unavailable (503), not themselves unauthenticated.
func TestStoreErrors(t *testing.T) {
	gw := s3test.Server(t)
	ctx := t.Context()
	bucket := gw.NewBucket(t)
	d := core.DigestOf([]byte("x"))
	for _, tc := range []struct {
		name, url string
		kind      error
		contains  []string
	}{
		{"no such bucket", gw.URL("no-such-bucket-here"), core.ErrUnavailable, []string{"no such bucket"}},
		{"wrong secret", withSecret(t, gw.URL(bucket), "wrong-secret"), core.ErrUnavailable, []string{"secret key"}},
		{"unknown access key", strings.Replace(gw.URL(bucket), gw.AccessKey, "NOSUCHKEY", 1), core.ErrUnavailable, []string{"access key"}},
		{"unreachable", strings.Replace(gw.URL(bucket), url.QueryEscape(gw.Endpoint), url.QueryEscape("http://127.0.0.1:1"), 1), core.ErrUnavailable, []string{"cannot reach http://127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := blob.Open(ctx, tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.Put(ctx, d, 1, bytes.NewReader([]byte("x")))
			oneLine(t, "put", err, tc.kind, tc.contains...)
			_, err = s.Get(ctx, d)
			oneLine(t, "get", err, tc.kind, tc.contains...)
			err = s.List(ctx, func(core.Digest, int64, time.Time) error { return nil })
			oneLine(t, "list", err, tc.kind, tc.contains...)
			_, err = s.CleanTemp(ctx, 0)
			oneLine(t, "clean", err, tc.kind, tc.contains...)
		})
	}
}

// TestReferenceErrors: s3:// references fail in one line with their kind:
// a bucket that does not exist, a wrong secret key, an object that does not
// exist.
func TestReferenceErrors(t *testing.T) {
	gw := s3test.Server(t)
	bucket := gw.NewBucket(t)
	put(t, gw, bucket, "model.h5", "weights")
	r := s3Env(t, gw)
	ok, err := r.Resolve(t.Context(), "s3://"+bucket+"/model.h5", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, uri string
		kind      error
		contains  []string
	}{
		{"no such bucket", "s3://no-such-bucket-here/model.h5", core.ErrNotFound, []string{"s3://no-such-bucket-here/", "no such bucket"}},
		{"no such object", "s3://" + bucket + "/absent.h5", core.ErrNotFound, []string{"absent.h5"}},
	} {
		_, err := r.Resolve(t.Context(), tc.uri, refs.Options{})
		oneLine(t, tc.name, err, tc.kind, tc.contains...)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
	bad := refs.Default()
	_, err = bad.Resolve(t.Context(), "s3://"+bucket+"/model.h5", refs.Options{})
	oneLine(t, "wrong secret: resolve", err, core.ErrUnauthenticated, "secret key")
	_, err = bad.Open(t.Context(), ok[0])
	oneLine(t, "wrong secret: open", err, core.ErrUnauthenticated, "secret key")
}
