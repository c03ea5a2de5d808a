package service_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/service/servicetest"
)

// newEmbedded returns a service on SQLite and file blobs in a temporary
// directory, with opts.
func newEmbedded(t *testing.T, opts service.Options) (*service.Service, string) {
	t.Helper()
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
	return service.New(m, b, opts), dir
}

func TestEmbeddedExpiry(t *testing.T) {
	servicetest.RunExpiry(t, func(t *testing.T, clock *servicetest.Clock) service.API {
		svc, _ := newEmbedded(t, service.Options{Now: clock.Now})
		return svc
	})
}

// ExpireDue, as a periodic sweeper calls it, counts what it expired.
func TestExpireDueCount(t *testing.T) {
	ctx := context.Background()
	clock := servicetest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	svc, _ := newEmbedded(t, service.Options{Now: clock.Now})
	for i, ttl := range []string{"1h", "2h", "", "90m"} {
		c := []byte{byte('a' + i)}
		d := core.DigestOf(c)
		if err := svc.PutBlob(ctx, d, 1, bytesReader(c)); err != nil {
			t.Fatal(err)
		}
		m, err := core.NewManifest([]core.Entry{{Path: "f", Digest: d, Size: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.LogArtifact(ctx, service.LogRequest{Entity: "alice", Project: "p", Name: "d", Type: "dataset", Manifest: m, TTL: ttl}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(100 * time.Minute)
	n, err := svc.ExpireDue(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ExpireDue after 100m = %d, %v; want 2", n, err)
	}
	if n, err = svc.ExpireDue(ctx); err != nil || n != 0 {
		t.Fatalf("ExpireDue again = %d, %v; want 0", n, err)
	}
	clock.Advance(time.Hour)
	if n, err = svc.ExpireDue(ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue after 160m = %d, %v; want 1", n, err)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
