package core

import (
	"errors"
	"strings"
	"testing"
)

func TestManifestDigestReferences(t *testing.T) {
	d := DigestOf([]byte("model bytes"))
	digest := func(es ...Entry) Digest {
		t.Helper()
		m, err := NewManifest(es)
		if err != nil {
			t.Fatal(err)
		}
		return m.Digest()
	}
	stored := digest(Entry{Path: "m.h5", Digest: d, Size: 11})
	ref := digest(Entry{Path: "m.h5", Digest: d, Size: 11, Ref: "file:///data/m.h5"})
	elsewhere := digest(Entry{Path: "m.h5", Digest: d, Size: 11, Ref: "file:///other/m.h5"})
	if stored == ref || ref == elsewhere {
		t.Errorf("a stored file, a reference and a reference elsewhere share digests: %v %v %v", stored, ref, elsewhere)
	}
	if again := digest(Entry{Path: "m.h5", Digest: d, Size: 11, Ref: "file:///data/m.h5"}); again != ref {
		t.Error("the same reference gives another digest")
	}
	// The digests of whole manifests are pinned by TestManifestDigestV2 and
	// the golden files of cmd/trove (artifact_info.json.golden).
}

func TestEntryValidateReference(t *testing.T) {
	d := DigestOf([]byte("x"))
	ok := []Entry{
		{Path: "a", Digest: d, Ref: "s3://bucket/key", Extra: map[string]string{"etag": `"abc"`, "version_id": "v1"}},
		{Path: "a", Digest: d, Ref: "HTTPS://example.com/a"},
		{Path: "a", Digest: d, Ref: "gs://b/k"},
		{Path: "a", Digest: d, Ref: "file:///abs/a"},
	}
	for _, e := range ok {
		if err := e.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", e, err)
		}
	}
	bad := []Entry{
		{Path: "a", Digest: d, Ref: "javascript:alert(1)"},
		{Path: "a", Digest: d, Ref: "ftp://host/a"},
		{Path: "a", Digest: d, Ref: "s3:/bucket"},
		{Path: "a", Digest: d, Ref: "s3://b/" + strings.Repeat("k", maxRefLen)},
		{Path: "a", Digest: d, Extra: map[string]string{"etag": "x"}},
		{Path: "a", Digest: d, Ref: "s3://b/k", Extra: map[string]string{"": "x"}},
		{Path: "a", Digest: d, Ref: "s3://b/k", Extra: map[string]string{"etag": strings.Repeat("x", maxExtraValue+1)}},
	}
	many := map[string]string{}
	for i := range maxExtraFields + 1 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	bad = append(bad, Entry{Path: "a", Digest: d, Ref: "s3://b/k", Extra: many})
	for _, e := range bad {
		if err := e.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(ref %.40q, %d extra) = %v, want invalid", e.Ref, len(e.Extra), err)
		}
	}
}
