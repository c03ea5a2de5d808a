package meta

import (
	"strings"
	"testing"
)

// FuzzParseSearch: any text is either refused (ErrInvalid) or read into a
// plan whose parts are what the queries assume: lower-case text, a digest
// of 6 to 64 lower-case hex digits or none, a name and selector both set
// or both empty.
//
//	go test -run '^$' -fuzz FuzzParseSearch ./internal/meta
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{"mnist", "DS:v3", "team/p/ds:prod", "sha256:abcdef", "abcdef0123", "a%_\\", "", " x ", "ds:v01", "ds:v-1", ":v1", "ds:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseSearch(s)
		if err != nil {
			return
		}
		if p.text == "" || p.text != strings.ToLower(p.raw) || len(p.raw) > maxSearchText {
			t.Fatalf("%q: plan %+v", s, p)
		}
		if p.digest != "" && (len(p.digest) < minDigestPrefix || len(p.digest) > 64 || !isHex(p.digest)) {
			t.Fatalf("%q: digest %q", s, p.digest)
		}
		if (p.colName == "") != (p.selector == "") || p.index < -1 || (p.index >= 0 && p.selector == "") {
			t.Fatalf("%q: name %q selector %q index %d", s, p.colName, p.selector, p.index)
		}
		if end := prefixEnd(p.text); !strings.HasPrefix(end, p.text) || end <= p.text {
			t.Fatalf("%q: prefix end %q", s, end)
		}
	})
}
