package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
)

// syncingBlobs counts the durability barriers (blob.Syncer) the service
// asks for, and how many blobs were committed before each.
type syncingBlobs struct {
	*blob.Bucket
	syncs atomic.Int32
}

func (s *syncingBlobs) Sync(ctx context.Context) error {
	s.syncs.Add(1)
	return s.Bucket.Sync(ctx)
}

var _ blob.Syncer = (*syncingBlobs)(nil)

// A commit syncs the blob store once, however many blobs it has, and a
// log that still lacks blobs commits nothing and syncs nothing.
func TestOneBlobSyncPerCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := meta.OpenSQLite(ctx, filepath.Join(dir, "trove.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b, err := blob.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sb := &syncingBlobs{Bucket: b}
	svc := service.New(m, sb, service.Options{})

	var entries []core.Entry
	for i := range 50 {
		c := fmt.Appendf(nil, "file %d", i)
		entries = append(entries, core.Entry{Path: fmt.Sprintf("f%d", i), Digest: core.DigestOf(c), Size: int64(len(c))})
	}
	man, err := core.NewManifest(entries)
	if err != nil {
		t.Fatal(err)
	}
	req := service.LogRequest{Entity: "alice", Project: "p", Name: "d", Type: "dataset", Manifest: man}
	res, err := svc.LogArtifact(ctx, req)
	if err != nil || len(res.Missing) != 50 {
		t.Fatalf("LogArtifact before the blobs = %d missing, %v; want 50", len(res.Missing), err)
	}
	if n := sb.syncs.Load(); n != 0 {
		t.Fatalf("%d syncs before anything was committed; want 0", n)
	}
	for i := range 50 {
		c := fmt.Appendf(nil, "file %d", i)
		if err := svc.PutBlob(ctx, core.DigestOf(c), int64(len(c)), bytesReader(c)); err != nil {
			t.Fatal(err)
		}
	}
	if res, err = svc.LogArtifact(ctx, req); err != nil || !res.Created {
		t.Fatalf("LogArtifact = %+v, %v", res, err)
	}
	if n := sb.syncs.Load(); n != 1 {
		t.Fatalf("%d syncs for one commit of 50 blobs; want 1", n)
	}
}
