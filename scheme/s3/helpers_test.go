package s3_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// readAll reads the object of entry e through r.
func readAll(t *testing.T, r *refs.Resolver, e core.Entry) (string, error) {
	t.Helper()
	rc, err := r.Open(t.Context(), e)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// paths returns the entries' paths.
func paths(es []core.Entry) string {
	var ps []string
	for _, e := range es {
		ps = append(ps, e.Path)
	}
	return strings.Join(ps, ",")
}

// wantKind fails t unless err is of kind and mentions every string of
// contains.
func wantKind(t *testing.T, err, kind error, contains ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v; want kind %v", err, kind)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q does not mention %q", err, c)
		}
	}
}
