package s3

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzS3URIs feeds arbitrary URIs to the s3:// reference parser: it never
// panics, and whatever it accepts is a bucket and key that the URI built for
// one object gives back unchanged.
func FuzzS3URIs(f *testing.F) {
	for _, s := range []string{
		"s3://bucket/key", "s3://b/a//b/../c", "s3://b", "s3://b/k%3Fq", "s3://u:p@b/k",
		"s3:///k", "S3://B/K", "s3://b/k?x#y", "file:///x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		u, err := url.Parse(uri)
		if err != nil {
			return
		}
		if bucket, key, err := s3Location(u); err == nil {
			if !bucketRE.MatchString(bucket) || key != strings.TrimPrefix(u.Path, "/") {
				t.Fatalf("s3Location(%q) = %q, %q", uri, bucket, key)
			}
			back, err := url.Parse(s3URI(bucket, key))
			if err != nil {
				t.Fatalf("s3URI(%q, %q) = %q does not parse: %v", bucket, key, s3URI(bucket, key), err)
			}
			if b2, k2, err := s3Location(back); err != nil || b2 != bucket || k2 != key {
				t.Fatalf("s3Location(s3URI(%q, %q)) = %q, %q, %v", bucket, key, b2, k2, err)
			}
		}
	})
}
