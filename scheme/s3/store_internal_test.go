package s3

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
)

// TestS3WriterOptions checks that a Put of known size tells the transfer
// manager the size (it sizes parts from it and has S3 check the total).
func TestS3WriterOptions(t *testing.T) {
	if o := s3WriterOptions(-1); o.BeforeWrite != nil || o.BufferSize != s3PartSize || o.MaxConcurrency != s3Concurrency {
		t.Errorf("s3WriterOptions(-1) = %+v", o)
	}
	in := &transfermanager.UploadObjectInput{}
	err := s3WriterOptions(200 << 30).BeforeWrite(func(p any) bool {
		pp, ok := p.(**transfermanager.UploadObjectInput)
		if ok {
			*pp = in
		}
		return ok
	})
	if err != nil || aws.ToInt64(in.ContentLength) != 200<<30 {
		t.Errorf("BeforeWrite = %v, ContentLength %v; want 200 GiB", err, aws.ToInt64(in.ContentLength))
	}
}
