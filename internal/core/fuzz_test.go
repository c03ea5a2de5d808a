package core

import (
	"testing"
)

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"a", "a:v0", "p/a:latest", "e/p/a:best", "a:v01", "../a", "e//a", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		// A valid reference formats back to itself and re-parses to the same value.
		if r.String() != s {
			t.Fatalf("ParseRef(%q).String() = %q", s, r.String())
		}
		r2, err := ParseRef(r.String())
		if err != nil || r2 != r {
			t.Fatalf("re-parse of %q: %+v, %v", s, r2, err)
		}
		if err := ValidateName(r.Name); err != nil {
			t.Fatalf("ParseRef(%q) accepted name %q: %v", s, r.Name, err)
		}
	})
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../a", "/a", "a//b", "a/./b", "a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if ValidatePath(p) != nil {
			return
		}
		// A valid path never escapes the directory it is joined under.
		for _, seg := range splitSlash(p) {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("ValidatePath accepted %q with segment %q", p, seg)
			}
			// A valid path can be created: no name is longer than file
			// systems store.
			if len(seg) > MaxSegmentLen {
				t.Fatalf("ValidatePath accepted %q with a %d-byte segment", p, len(seg))
			}
		}
		if p[0] == '/' {
			t.Fatalf("ValidatePath accepted absolute %q", p)
		}
		if len(p) > MaxPathLen {
			t.Fatalf("ValidatePath accepted a %d-byte path", len(p))
		}
	})
}

func splitSlash(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
	f.Add("sha256:")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDigest(%q).String() = %q", s, d.String())
		}
	})
}

func FuzzManifestJSON(f *testing.F) {
	d := DigestOf([]byte("x")).String()
	f.Add(`[{"path":"a","digest":"` + d + `","size":1}]`)
	f.Add(`[{"path":"../a","digest":"` + d + `","size":1}]`)
	f.Add(`[{"path":"a","digest":"` + d + `","size":1},{"path":"a/b","digest":"` + d + `","size":1}]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m Manifest
		if err := m.UnmarshalJSON([]byte(s)); err != nil {
			return
		}
		// Whatever decodes is a valid manifest that survives a round trip
		// with the same digest.
		for _, e := range m.Entries() {
			if err := e.Validate(); err != nil {
				t.Fatalf("decoded an invalid entry %+v: %v", e, err)
			}
		}
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Manifest
		if err := back.UnmarshalJSON(b); err != nil || back.Digest() != m.Digest() {
			t.Fatalf("round trip of %s: %v", b, err)
		}
	})
}
