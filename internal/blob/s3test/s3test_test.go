package s3test_test

import (
	"bytes"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
)

func TestGateway(t *testing.T) {
	var endpoint string
	t.Run("use", func(t *testing.T) {
		gw := s3test.Server(t)
		endpoint = gw.Endpoint
		a, b := gw.NewBucket(t), gw.NewBucket(t)
		if a == b {
			t.Fatalf("NewBucket returned %q twice", a)
		}
		out, err := gw.Client().ListBuckets(t.Context(), &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, bk := range out.Buckets {
			names = append(names, aws.ToString(bk.Name))
		}
		if !slices.Contains(names, a) || !slices.Contains(names, b) {
			t.Errorf("ListBuckets = %q; want %q and %q", names, a, b)
		}

		// The URL carries all blob.Open needs.
		s, err := blob.Open(t.Context(), gw.URL(a))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		content := []byte("through the gateway")
		d := core.DigestOf(content)
		if err := s.Put(t.Context(), d, int64(len(content)), bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if _, err := gw.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(a), Key: aws.String("sha256/" + d.Hex()[:2] + "/" + d.Hex())}); err != nil {
			t.Errorf("HeadObject of the blob: %v", err)
		}

		env := strings.Join(gw.Env(), "\n")
		for _, want := range []string{"AWS_ACCESS_KEY_ID=" + gw.AccessKey, "AWS_SECRET_ACCESS_KEY=" + gw.SecretKey, "AWS_REGION=" + s3test.Region, "AWS_ENDPOINT_URL_S3=" + gw.Endpoint} {
			if !strings.Contains(env, want) {
				t.Errorf("Env() = %q lacks %q", gw.Env(), want)
			}
		}
		u, err := url.Parse(s3test.Start(t))
		if err != nil || u.Scheme != "s3" || u.Query().Get("endpoint") == "" {
			t.Errorf("Start returned %v, %v", u, err)
		}
	})
	// The gateway is gone with the test that started it.
	if c, err := net.Dial("tcp", strings.TrimPrefix(endpoint, "http://")); err == nil {
		c.Close()
		t.Errorf("gateway at %s still answers after its test ended", endpoint)
	}
}

// TestBinaryMissing checks the message that tells how to install versitygw.
func TestBinaryMissing(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	t.Setenv("GOPATH", empty)
	t.Setenv("HOME", empty)
	_, err := s3test.Binary()
	if err == nil || !strings.Contains(err.Error(), "go install github.com/versity/versitygw/cmd/versitygw@latest") {
		t.Errorf("Binary() with no versitygw anywhere = %v; want an error saying how to install it", err)
	}
}
