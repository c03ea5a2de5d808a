package refs

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReferenceURIs feeds arbitrary URIs to the file:// and s3:// parsers:
// none panics, and whatever they accept is an absolute clean path or a
// bucket and key that the URI built for one object gives back unchanged.
func FuzzReferenceURIs(f *testing.F) {
	for _, s := range []string{
		"file:///data/x.bin", "file://localhost/a/b", "file:rel", "file://host/x", "file:///a/../b",
		"file:///a%2Fb/c%3Fd", "file:///%00", "s3://bucket/key", "s3://b/a//b/../c", "s3://b",
		"s3://b/k%3Fq", "s3://u:p@b/k", "s3:///k", "S3://B/K", "file:///x?y#z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		u, err := url.Parse(uri)
		if err != nil {
			return
		}
		if p, err := filePath(u); err == nil {
			if !filepath.IsAbs(p) || filepath.Clean(p) != p {
				t.Fatalf("filePath(%q) = %q, not absolute and clean", uri, p)
			}
			back, err := url.Parse(fileURI(p))
			if err != nil {
				t.Fatalf("fileURI(%q) = %q does not parse: %v", p, fileURI(p), err)
			}
			if q, err := filePath(back); err != nil || q != p {
				t.Fatalf("filePath(fileURI(%q)) = %q, %v", p, q, err)
			}
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
