package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// FuzzDecodeRequest feeds arbitrary request input to what the server parses
// by hand: JSON bodies (strictly), the digest path parameter and the query
// parameters. Parsing must never panic, must fail with an error of kind
// invalid or too_large, and what it accepts must be valid.
func FuzzDecodeRequest(f *testing.F) {
	d := core.DigestOf([]byte("x")).String()
	f.Add([]byte(`{"type":"dataset","aliases":["best"],"manifest":[{"path":"a/b","digest":"`+d+`","size":1}]}`), d, "depth=2&direction=upstream&to=e/p/n:v1&delete_aliases=true&offset=3")
	f.Add([]byte(`{"type":"x","manifest":[{"path":"../a","digest":"`+d+`","size":-1}]} {}`), "sha256:", "depth=-1&to=n")
	f.Add([]byte(`{"metadata":{"a":[1,2,{"b":null}]},"manifest":[]}`), "", "depth=99999999999999999999&to=a/b/c/d")
	f.Add([]byte(`{"manifest":[{"path":"a","digest":"`+d+`","size":1,"extra":{"etag":"x"},"ref":"s3://b/k"}]}trailing`), "SHA256:AB", "delete_aliases=maybe&offset=-1")
	f.Fuzz(func(t *testing.T, body []byte, digest, query string) {
		var lb logBody
		err := decodeJSON(bytes.NewReader(body), 1<<16, &lb)
		if err != nil {
			if k := core.KindOf(err); k != core.ErrInvalid && k != core.ErrTooLarge {
				t.Fatalf("decode error %v has kind %v", err, k)
			}
		} else {
			if len(body) > 1<<16 {
				t.Fatalf("accepted a body over the limit")
			}
			if m, err := core.NewManifest(lb.Manifest); err == nil {
				// An accepted manifest survives a round trip.
				b, _ := json.Marshal(m)
				var back core.Manifest
				if err := json.Unmarshal(b, &back); err != nil || back.Digest() != m.Digest() {
					t.Fatalf("manifest round trip: %v", err)
				}
			}
		}

		r := httptest.NewRequest("GET", "/api/v1/blobs/x", nil)
		r.SetPathValue("digest", digest)
		if got, err := digestParam(r); err == nil {
			if got.String() != digest {
				t.Fatalf("digest %q parsed as %s", digest, got)
			}
		} else if !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("digest error %v is not invalid", err)
		}

		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if lr, err := lineageQuery(q); err != nil {
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("lineage query error %v is not invalid", err)
			}
		} else if lr.Direction != core.Direction(q.Get("direction")) {
			t.Fatalf("direction %q became %q", q.Get("direction"), lr.Direction)
		}
		if _, err := boolParam(q, "delete_aliases"); err != nil && !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("bool error %v is not invalid", err)
		}
		if ref, err := refParam(q, "to"); err == nil {
			if ref.Entity == "" || ref.Project == "" || ref.Name == "" || !strings.HasPrefix(q.Get("to"), ref.Entity+"/") {
				t.Fatalf("to=%q accepted as %+v", q.Get("to"), ref)
			}
		} else if !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("ref error %v is not invalid", err)
		}
	})
}
