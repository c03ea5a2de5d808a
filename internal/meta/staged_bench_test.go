package meta

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// BenchmarkLargeCommit commits a manifest of 500,000 entries
// (TROVE_BENCH_ENTRIES) while another writer commits one-entry versions of
// the same collection in a loop (on SQLite every writer waits for the
// database's lock; on PostgreSQL writers of one collection wait for its
// row lock), and reports how long the other writer waited at worst
// (max-other-ms) and at the 99th percentile (p99-other-ms), how many
// commits it made meanwhile (others), and the large commit's own time
// (commit-s). "one-tx" writes the manifest in one transaction, as Trove did
// before staged commits; "staged" is what CommitVersion does now. The blobs
// are leased beforehand and checked (RequireBlobs), as the service does.
//
//	go test -run '^$' -bench LargeCommit -benchtime 1x ./internal/meta
func BenchmarkLargeCommit(b *testing.B) {
	n := 500000
	if v := os.Getenv("TROVE_BENCH_ENTRIES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	for _, db := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"sqlite", openFile}, {"postgres", openPostgres}} {
		for _, mode := range []struct {
			name      string
			threshold int
		}{{"one-tx", 1 << 30}, {"staged", stageThreshold}} {
			b.Run(db.name+"/"+mode.name, func(b *testing.B) {
				s := db.open(b)
				old := stageThreshold
				stageThreshold = mode.threshold
				defer func() { stageThreshold = old }()
				for i := range b.N {
					benchLargeCommit(b, s, n, fmt.Sprint(i))
				}
			})
		}
	}
}

func benchLargeCommit(b *testing.B, s *Store, n int, seed string) {
	ctx := context.Background()
	b.StopTimer()
	m := bigManifest(b, n, seed)
	now := time.Now()
	ds := digestsOf(m)
	for len(ds) > 0 {
		batch := ds[:min(len(ds), 50000)]
		ds = ds[len(batch):]
		if _, err := s.LeaseBlobs(ctx, batch, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	b.StartTimer()

	done := make(chan struct{})
	var (
		wg    sync.WaitGroup
		waits []time.Duration
		oerr  error
	)
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			small, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: core.DigestOf(fmt.Appendf(nil, "%s-%d", seed, i)), Size: 1}})
			t := time.Now()
			_, _, err := s.CommitVersion(ctx, Commit{Entity: "e", Project: "p", Name: "shared-" + seed, Type: "dataset",
				Manifest: small, Now: time.Now()})
			if err != nil {
				oerr = err
				return
			}
			waits = append(waits, time.Since(t))
		}
	})
	start := time.Now()
	v, created, err := s.CommitVersion(ctx, Commit{Entity: "e", Project: "p", Name: "shared-" + seed, Type: "dataset",
		Manifest: m, Now: now, RequireBlobs: true, LeaseUntil: now.Add(time.Hour)})
	took := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil || !created || v.FileCount != n {
		b.Fatalf("large commit: %+v %v %v", v, created, err)
	}
	if oerr != nil {
		b.Fatalf("other writer: %v", oerr)
	}
	slices.Sort(waits)
	if len(waits) == 0 {
		waits = []time.Duration{took}
	}
	b.ReportMetric(took.Seconds(), "commit-s")
	b.ReportMetric(float64(waits[len(waits)-1].Microseconds())/1000, "max-other-ms")
	b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "p99-other-ms")
	b.ReportMetric(float64(len(waits)), "others")
}
