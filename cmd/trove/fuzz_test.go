package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

func FuzzParseUse(f *testing.F) {
	for _, s := range []string{"mnist_dataset:v0", "p/d:latest=DATA", "e/p/d=_X1", "d=1BAD", "d=", "=X", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, err := parseUse(s)
		if err != nil {
			return
		}
		if !validEnvName(in.env) {
			t.Fatalf("parseUse(%q) gave invalid env %q", s, in.env)
		}
		if _, err := core.ParseRef(in.raw); err != nil {
			t.Fatalf("parseUse(%q) accepted bad ref %q", s, in.raw)
		}
	})
}

func FuzzParseLog(f *testing.F) {
	for _, s := range []string{"mnist_model:model=model.h5", "a:b=c=d", "a=b", ":t=p", "n:=p", "n:t="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := parseLog(s)
		if err != nil {
			return
		}
		if core.ValidateName(out.name) != nil || core.ValidateType(out.typ) != nil || out.path == "" {
			t.Fatalf("parseLog(%q) = %+v", s, out)
		}
		if !strings.HasSuffix(s, out.path) {
			t.Fatalf("parseLog(%q) path %q", s, out.path)
		}
	})
}

func TestParseUseAndLog(t *testing.T) {
	in, err := parseUse("mnist-dataset.v2:latest")
	if err != nil || in.env != "TROVE_INPUT_MNIST_DATASET_V2" || in.ref.Name != "mnist-dataset.v2" {
		t.Fatalf("parseUse = %+v, %v", in, err)
	}
	in, err = parseUse("p/d:v1=MY_DATA")
	if err != nil || in.env != "MY_DATA" || in.ref.Project != "p" {
		t.Fatalf("parseUse with env = %+v, %v", in, err)
	}
	for _, bad := range []string{"d=1X", "d=A-B", "d=", "../x", "a:b:c"} {
		if _, err := parseUse(bad); err == nil {
			t.Errorf("parseUse(%q) accepted", bad)
		}
	}
	out, err := parseLog("mnist_model:model=out/model.h5")
	if err != nil || out != (outputSpec{"mnist_model", "model", "out/model.h5"}) {
		t.Fatalf("parseLog = %+v, %v", out, err)
	}
	for _, bad := range []string{"model.h5", "n=p", "n:t", ":t=p", "n:=p", "n:t=", "b d:t=p", "n:a/b=p"} {
		if _, err := parseLog(bad); err == nil {
			t.Errorf("parseLog(%q) accepted", bad)
		}
	}
}

// FuzzHelperRequest feeds trove helper's request parser arbitrary lines:
// it never panics, and a line it accepts names its op and decodes again
// to the same request.
func FuzzHelperRequest(f *testing.F) {
	f.Add([]byte(`{"id":1,"op":"ping"}`))
	f.Add([]byte(`{"id":2,"op":"log_artifact","args":{"run":"abc","artifact":{"name":"a","type":"t","ops":[{"op":"file","path":"/x","name":"y"}]},"aliases":["best"]}}`))
	f.Add([]byte(`{"id":3,"op":"save","args":{"client":{"url":"/d"},"ref":"a:v0","ttl":null,"metadata":{"k":1}}}`))
	f.Add([]byte(`{"id":4,"op":"cancel","args":{"id":2}}`))
	f.Add([]byte(`{"id":5,"op":"download","args":{"cwd":"rel","ref":"a"}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, line []byte) {
		req, args, err := parseRequest(line)
		if err != nil {
			if core.Code(err) != "invalid" {
				t.Fatalf("parseRequest(%q): error of kind %s, want invalid: %v", line, core.Code(err), err)
			}
			return
		}
		if args.Cwd != "" && !filepath.IsAbs(args.Cwd) {
			t.Fatalf("parseRequest(%q) accepted a relative cwd %q", line, args.Cwd)
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, _, err := parseRequest(b)
		if err != nil || req2.ID != req.ID || req2.Op != req.Op {
			t.Fatalf("re-encoded request %s parsed as %+v, %v; want %+v", b, req2, err, req)
		}
	})
}

func FuzzParseTTL(f *testing.F) {
	for _, s := range []string{"30d", "2w", "1w2d12h", "1.5d", "720h", "90m", "0", "", "-1d", "1d-", "6000w", "1µs", ".d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseTTL(s)
		if !strings.ContainsAny(s, "dw+-") {
			// Without days or weeks (or a sign), a TTL is a Go duration.
			g, gerr := time.ParseDuration(s)
			if gerr == nil && g <= service.MaxTTL && (err != nil || g != d) {
				t.Fatalf("parseTTL(%q) = %v, %v; time.ParseDuration: %v", s, d, err, g)
			}
			if err == nil && gerr != nil {
				t.Fatalf("parseTTL(%q) = %v; time.ParseDuration refuses it: %v", s, d, gerr)
			}
		}
		if err != nil {
			return
		}
		if d < 0 || d > service.MaxTTL {
			t.Fatalf("parseTTL(%q) = %v, out of [0, 100 years]", s, d)
		}
		// A TTL read back from its Go form is itself.
		if back, err := parseTTL(d.String()); err != nil || back != d {
			t.Fatalf("parseTTL(%q) = %v; parseTTL(%q) = %v, %v", s, d, d.String(), back, err)
		}
	})
}
