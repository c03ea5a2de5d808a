package s3test_test

import (
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/troveml/trove/internal/blob/s3test"
)

// TestVersionedGateway checks that a bucket of NewVersionedBucket keeps the
// older versions of an overwritten object, and a plain bucket does not.
func TestVersionedGateway(t *testing.T) {
	gw := s3test.VersionedServer(t)
	if gw.VersionsDir == "" {
		t.Fatal("VersionsDir is empty")
	}
	c, ctx := gw.Client(), t.Context()
	for _, tc := range []struct {
		bucket string
		want   int
	}{{gw.NewVersionedBucket(t), 2}, {gw.NewBucket(t), 1}} {
		var ids []string
		for _, body := range []string{"v1", "v2"} {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &tc.bucket, Key: aws.String("k"), Body: strings.NewReader(body)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, aws.ToString(out.VersionId))
		}
		v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &tc.bucket})
		if err != nil {
			t.Fatal(err)
		}
		if on := v.Status == types.BucketVersioningStatusEnabled; on != (tc.want == 2) {
			t.Errorf("bucket %s: versioning status %q", tc.bucket, v.Status)
		}
		if tc.want == 1 {
			continue
		}
		if ids[0] == "" || ids[0] == ids[1] {
			t.Fatalf("version ids %q", ids)
		}
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &tc.bucket, Key: aws.String("k"), VersionId: &ids[0]})
		if err != nil {
			t.Fatalf("GetObject of the first version: %v", err)
		}
		b, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil || string(b) != "v1" {
			t.Errorf("first version = %q, %v; want v1", b, err)
		}
	}
}
