package service_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
)

// statTrace is a blob store that records the digests it is asked to Stat.
type statTrace struct {
	*blob.Bucket
	mu    sync.Mutex
	stats []string
}

func (b *statTrace) Stat(ctx context.Context, d core.Digest) (int64, error) {
	b.mu.Lock()
	b.stats = append(b.stats, d.String())
	b.mu.Unlock()
	return b.Bucket.Stat(ctx, d)
}

func (b *statTrace) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.stats
	b.stats = nil
	sort.Strings(out)
	return out
}

// TestHolding: digests held back are reported missing, in order, after the
// same work as absent ones — a Stat each, and a lease, which MissingBlobs
// now takes on every digest asked about — on both deployments.
func TestHolding(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			tb := &statTrace{Bucket: e.blobs}
			svc := service.New(e.meta, tb, service.Options{})
			put := func(c string) core.Digest {
				d := core.DigestOf([]byte(c))
				if err := e.blobs.Put(ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
					t.Fatal(err)
				}
				return d
			}
			stored, other := put("stored, held"), put("stored, not held")
			absent := core.DigestOf([]byte("absent"))
			states := func(ds ...core.Digest) map[core.Digest]meta.BlobState {
				t.Helper()
				got, err := e.meta.BlobStates(ctx, ds, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got := states(stored, other, absent); len(got) != 0 {
				t.Fatalf("leases before asking: %v", got)
			}

			got, err := svc.MissingBlobsHolding(ctx, []core.Digest{other, stored, absent, stored}, []core.Digest{stored})
			if err != nil {
				t.Fatal(err)
			}
			if want := []core.Digest{stored, absent}; !slices.Equal(got, want) {
				t.Errorf("MissingBlobsHolding = %v, want %v", got, want)
			}
			// Every digest is leased, absent ones too, so the write does
			// not depend on what is stored; only the blob neither held nor
			// missing is looked at twice.
			for _, d := range []core.Digest{stored, other, absent} {
				if s := states(d)[d]; s != meta.BlobLeased {
					t.Errorf("blob state of %s after MissingBlobs: %v, want leased", d, s)
				}
			}
			want := []string{absent.String(), other.String(), other.String(), stored.String(), stored.String()}
			sort.Strings(want)
			if got := tb.take(); !slices.Equal(got, want) {
				t.Errorf("Stats = %v, want %v", got, want)
			}
			// Held and absent alike: the same Stats.
			svc.MissingBlobsHolding(ctx, []core.Digest{stored}, []core.Digest{stored})
			heldStats := tb.take()
			svc.MissingBlobs(ctx, []core.Digest{absent})
			absentStats := tb.take()
			if len(heldStats) != 1 || len(absentStats) != 1 {
				t.Errorf("Stats of a held blob %v, of an absent one %v: want one each", heldStats, absentStats)
			}

			// A log naming a held blob commits nothing and reports it,
			// with the absent ones, in manifest order.
			m, err := core.NewManifest([]core.Entry{
				{Path: "a", Digest: absent, Size: 6},
				{Path: "b", Digest: stored, Size: int64(len("stored, held"))},
				{Path: "c", Digest: other, Size: int64(len("stored, not held"))},
			})
			if err != nil {
				t.Fatal(err)
			}
			req := service.LogRequest{Entity: "gc", Project: "p", Name: "held", Type: "dataset", Manifest: m}
			res, err := svc.LogArtifactHolding(ctx, req, []core.Digest{stored})
			if err != nil || res.Version.Name != "" || !slices.Equal(res.Missing, []core.Digest{absent, stored}) {
				t.Errorf("LogArtifactHolding = %+v, %v; want nothing committed, %v missing", res, err, []core.Digest{absent, stored})
			}
			if err := svc.PutBlob(ctx, absent, 6, bytes.NewReader([]byte("absent"))); err != nil {
				t.Fatal(err)
			}
			res, err = svc.LogArtifactHolding(ctx, req, []core.Digest{stored})
			if err != nil || !slices.Equal(res.Missing, []core.Digest{stored}) {
				t.Errorf("LogArtifactHolding after the upload = %+v, %v; want the held blob missing", res, err)
			}
			if res, err := svc.LogArtifactHolding(ctx, req, nil); err != nil || !res.Created {
				t.Errorf("LogArtifactHolding holding nothing = %+v, %v; want a version", res, err)
			}
			// Upserts and finishes hold back the same way.
			run, err := svc.CreateRun(ctx, service.NewRun{Entity: "gc", Project: "p", JobType: "w"})
			if err != nil {
				t.Fatal(err)
			}
			ureq := service.UpsertRequest{LogRequest: req, DistributedID: "d"}
			ureq.Name, ureq.RunID = "dist", run.ID
			for name, f := range map[string]func(context.Context, service.UpsertRequest, []core.Digest) (service.LogResult, error){
				"UpsertArtifactHolding": svc.UpsertArtifactHolding, "FinishArtifactHolding": svc.FinishArtifactHolding,
			} {
				res, err := f(ctx, ureq, []core.Digest{other})
				if err != nil || res.Version.Name != "" || !slices.Equal(res.Missing, []core.Digest{other}) {
					t.Errorf("%s = %+v, %v; want %v missing", name, res, err, other)
				}
			}
		})
	}
}

// TestIngestNewBlob: IngestBlob declines a size some version holds;
// IngestNewBlob, for a caller that checked sizes itself, does not.
func TestIngestNewBlob(t *testing.T) {
	db, bl := gcStores[0].open(t)
	e := openGC(t, db, bl, service.Options{})
	ctx := t.Context()
	if _, err := logFiles(ctx, e.svc, "sized", map[string][]byte{"f": []byte("twelve bytes")}); err != nil {
		t.Fatal(err)
	}
	same := "other 12 b.."
	if _, err := e.svc.IngestBlob(ctx, 12, strings.NewReader(same)); core.KindOf(err) != core.ErrConflict {
		t.Errorf("IngestBlob of a stored size: %v, want conflict", err)
	}
	d, err := e.svc.IngestNewBlob(ctx, 12, strings.NewReader(same))
	if err != nil || d != core.DigestOf([]byte(same)) {
		t.Errorf("IngestNewBlob of a stored size = %v, %v", d, err)
	}
	rc, err := e.svc.GetBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || string(b) != same {
		t.Errorf("the ingested blob reads %q, %v", b, err)
	}
}
