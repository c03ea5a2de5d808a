package service_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/service/servicetest"
)

func TestEmbeddedVerify(t *testing.T) {
	servicetest.RunVerify(t, func(t *testing.T) (service.API, service.Verifier, string) {
		svc, dir := newEmbedded(t, service.Options{})
		return svc, svc, filepath.Join(dir, "blobs")
	})
}

// A verified PutBlob or IngestBlob over a damaged copy replaces it, and
// clears the record a repair left; a wrong body leaves the copy as it was.
// Garbage collection drops the records of blobs no version needs.
func TestEmbeddedPutRepairs(t *testing.T) {
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
	svc := service.New(m, b, service.Options{})
	content := "bytes that will be damaged"
	d := core.DigestOf([]byte(content))
	path := filepath.Join(dir, "blobs", "sha256", d.Hex()[:2], d.Hex())
	if err := svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	mf, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: d, Size: int64(len(content))}})
	req := service.LogRequest{Entity: "alice", Project: "p", Name: "a", Type: "model", Manifest: mf}
	if _, err := svc.LogArtifact(ctx, req); err != nil {
		t.Fatal(err)
	}
	damage := func() {
		t.Helper()
		if err := os.WriteFile(path, []byte("bytes that will be DAMAGED"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	readsBack := func() bool {
		rc, err := svc.GetBlob(ctx, d)
		if err != nil {
			return false
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		return err == nil && string(got) == content
	}
	damage()
	if err := svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader("other bytes of the same size")); !errors.Is(err, core.ErrCorrupt) {
		t.Fatalf("PutBlob of wrong bytes = %v", err)
	}
	if readsBack() {
		t.Fatal("the blob reads back although it is damaged")
	}
	if err := svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if !readsBack() {
		t.Fatal("PutBlob of the right bytes left the damaged copy")
	}
	// The embedded SDK ingests files into the blob store as it hashes them.
	damage()
	if got, _, err := b.Ingest(ctx, strings.NewReader(content)); err != nil || got != d || !readsBack() {
		t.Fatalf("Ingest of the right bytes over a damaged copy = %s, %v; reads back: %v", got, err, readsBack())
	}

	// A repair's record is cleared by the next verified upload.
	damage()
	if _, err := svc.Verify(ctx, service.VerifyOptions{Repair: true}); err != nil {
		t.Fatal(err)
	}
	if recs, err := m.DamagedBlobs(ctx); err != nil || len(recs) != 1 || recs[0].Problem != meta.DamageCorrupt {
		t.Fatalf("records after the repair = %+v, %v", recs, err)
	}
	if err := svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if recs, err := m.DamagedBlobs(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("records after the upload = %+v, %v; want none", recs, err)
	}

	// Records of blobs no version needs go with garbage collection; the
	// quarantined bytes stay.
	damage()
	if _, err := svc.Verify(ctx, service.VerifyOptions{Repair: true}); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteArtifact(ctx, core.Ref{Entity: "alice", Project: "p", Name: "a", Selector: "v0"}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GC(ctx, service.GCOptions{Grace: -1}); err != nil {
		t.Fatal(err)
	}
	if recs, err := m.DamagedBlobs(ctx); err != nil || len(recs) != 0 {
		t.Errorf("records after GC = %+v, %v; want none", recs, err)
	}
	q, _ := filepath.Glob(filepath.Join(dir, "blobs", "quarantine", d.Hex(), "*"))
	if len(q) != 2 {
		t.Errorf("quarantined copies after GC: %v; want the 2 moved aside", q)
	}
}

// The dedup path clears the record of a blob stored again behind the
// service's back (as a presigned upload to S3 is), instead of asking for it.
func TestDedupClearsStaleRecord(t *testing.T) {
	ctx := context.Background()
	svc, dir := newEmbedded(t, service.Options{})
	content := "uploaded behind the service's back"
	d := core.DigestOf([]byte(content))
	if err := svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	mf, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: d, Size: int64(len(content))}})
	req := service.LogRequest{Entity: "alice", Project: "p", Name: "a", Type: "model", Manifest: mf}
	if _, err := svc.LogArtifact(ctx, req); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "blobs", "sha256", d.Hex()[:2], d.Hex())
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Verify(ctx, service.VerifyOptions{Repair: true}); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.LogArtifact(ctx, req); err != nil || len(res.Missing) != 1 {
		t.Fatalf("re-log with the blob missing = %+v, %v", res, err)
	}
	bs, ok := svc.Blobs().(*blob.Bucket)
	if !ok {
		t.Fatal("not a bucket")
	}
	if err := bs.Put(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.LogArtifact(ctx, req); err != nil || len(res.Missing) != 0 || res.Created {
		t.Fatalf("re-log with the blob back = %+v, %v; want a dedup", res, err)
	}
	if rep, err := svc.Verify(ctx, service.VerifyOptions{}); err != nil || rep.Damaged() || rep.Checked != 1 {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
}
