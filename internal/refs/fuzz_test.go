package refs

import (
	"net/url"
	"path/filepath"
	"testing"
)

// FuzzReferenceURIs feeds arbitrary URIs to the file:// parser: it never
// panics, and whatever it accepts is an absolute clean path that the URI
// built for it gives back unchanged. (The s3:// parser has FuzzS3URIs in
// scheme/s3.)
func FuzzReferenceURIs(f *testing.F) {
	for _, s := range []string{
		"file:///data/x.bin", "file://localhost/a/b", "file:rel", "file://host/x", "file:///a/../b",
		"file:///a%2Fb/c%3Fd", "file:///%00", "file:///x?y#z", "s3://bucket/key",
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
	})
}
