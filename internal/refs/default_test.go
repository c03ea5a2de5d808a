package refs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// TestUnregisteredScheme: this test binary imports neither scheme/s3 nor
// scheme/gcs, as an SDK-only program does not. Their references are
// refused in one line naming the import to add; other schemes stay
// unsupported, and the built-in ones need nothing.
func TestUnregisteredScheme(t *testing.T) {
	if got := refs.Registered(); len(got) != 0 {
		t.Fatalf("schemes registered without their packages: %v", got)
	}
	for uri, pkg := range map[string]string{
		"s3://bucket/model.h5": "github.com/troveml/trove/scheme/s3",
		"S3://bucket/images/":  "github.com/troveml/trove/scheme/s3",
		"gs://bucket/model.h5": "github.com/troveml/trove/scheme/gcs",
	} {
		want := `:// references need: import _ "` + pkg + `"`
		err := refs.Missing(uri)
		if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Missing(%s) = %v; want one invalid line with %s", uri, err, want)
		}
		_, err = refs.Default().Resolve(t.Context(), uri, refs.Options{})
		if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Resolve(%s) = %v; want invalid with %s", uri, err, want)
		}
		_, err = refs.Default().Open(t.Context(), core.Entry{Path: "x", Ref: uri})
		if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v; want invalid with %s", uri, err, want)
		}
	}
	for _, uri := range []string{"file:///tmp/x", "https://example.com/x", "ftp://host/x", "%zz"} {
		if err := refs.Missing(uri); err != nil {
			t.Errorf("Missing(%q) = %v; want nil", uri, err)
		}
	}
	_, err := refs.Default().Resolve(t.Context(), "ftp://host/x", refs.Options{})
	if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Errorf("Resolve(ftp://…) = %v; want unsupported scheme", err)
	}
}
