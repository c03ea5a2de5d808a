package service_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/service/servicetest"
)

var _ service.Metadata = (*meta.Store)(nil)
var _ service.Blobs = (*blob.Bucket)(nil)

// TestEmbedded runs the conformance suite on SQLite and a file blob store,
// the embedded default.
func TestEmbedded(t *testing.T) {
	servicetest.Run(t, func(t *testing.T) service.API {
		ctx := context.Background()
		dir := t.TempDir()
		m, err := meta.OpenSQLite(ctx, filepath.Join(dir, "trove.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		b, err := blob.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return service.New(m, b, service.Options{})
	})
}
