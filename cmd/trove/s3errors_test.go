package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/troveml/trove/internal/blob/s3test"
)

// TestReferenceS3Errors: S3 failures of references reach the user as the
// one line every failure is — a missing bucket, a wrong secret key —
// without the AWS SDK's request ids, operation dumps or log lines.
func TestReferenceS3Errors(t *testing.T) {
	e := newEnv(t)
	g := s3test.Server(t)
	bucket := g.NewBucket(t)
	key := "model.h5"
	if _, err := g.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte("weights"))}); err != nil {
		t.Fatal(err)
	}
	base := e.vars
	oneLine := func(want string, args ...string) {
		t.Helper()
		r := e.fails(want, args...)
		if lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n"); len(lines) != 1 {
			t.Errorf("trove %s: stderr has %d lines, want one:\n%s", strings.Join(args, " "), len(lines), r.stderr)
		}
		for _, bad := range []string{"RequestID", "operation error", "api error", "WARN", "DEBUG"} {
			if strings.Contains(r.stderr, bad) {
				t.Errorf("trove %s: stderr shows %q:\n%s", strings.Join(args, " "), bad, r.stderr)
			}
		}
	}
	e.vars = append(append([]string{}, base...), g.Env()...)
	oneLine("no such bucket", "artifact", "put", "-n", "m", "-t", "model", "--reference", "s3://no-such-bucket-here/model.h5")
	e.ok("artifact", "put", "-n", "m", "-t", "model", "--reference", "s3://"+bucket+"/model.h5")

	e.vars = append(append([]string{}, base...), g.Env()...)
	e.vars = append(e.vars, "AWS_SECRET_ACCESS_KEY=wrong-secret")
	oneLine("check AWS_SECRET_ACCESS_KEY", "artifact", "put", "-n", "m2", "-t", "model", "--reference", "s3://"+bucket+"/model.h5")
	oneLine("check AWS_SECRET_ACCESS_KEY", "artifact", "get", "m:v0", "--root", t.TempDir())
}
