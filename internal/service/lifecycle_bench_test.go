package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
)

// Lifecycle benchmarks on the embedded default (SQLite + files). Run one
// iteration each, since every GC iteration needs fresh garbage:
//
//	go test ./internal/service -run '^$' -bench 'GC|Verify' -benchtime 1x
//
// BENCH_LIFECYCLE_FILES scales the stores (default 10,000 files a version).

func benchFiles(b *testing.B) int {
	n := 10000
	if v := getenvInt(b, "BENCH_LIFECYCLE_FILES"); v > 0 {
		n = v
	}
	return n
}

func getenvInt(b *testing.B, name string) int {
	var n int
	if s := os.Getenv(name); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
	}
	return n
}

// benchEnv is a service on a fresh embedded store with a settable clock.
func benchEnv(b *testing.B) *gcEnv {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	m, err := meta.Open(ctx, "sqlite://"+filepath.Join(dir, "trove.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	bl, err := blob.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bl.Close() })
	c := &clock{}
	return &gcEnv{svc: service.New(m, bl, service.Options{Now: c.Now}), meta: m, blobs: bl, clock: c}
}

// logBench logs n files of size bytes as a version of name; seed makes the
// contents distinct between versions.
func logBench(b *testing.B, e *gcEnv, name string, n, size int, seed int) service.LogResult {
	b.Helper()
	files := make(map[string][]byte, n)
	for i := range n {
		c := make([]byte, size)
		copy(c, fmt.Sprintf("%s %d %d", name, seed, i))
		files[fmt.Sprintf("d%d/f%d.bin", i/100, i)] = c
	}
	res, err := logFiles(context.Background(), e.svc, name, files)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkGC collects the blobs of a deleted version of n files while a
// live version of n other files stays: the cost of listing 2n blobs,
// checking them and deleting n.
func BenchmarkGC(b *testing.B) {
	n := benchFiles(b)
	b.StopTimer()
	for range b.N {
		e := benchEnv(b)
		dead := logBench(b, e, "dead", n, 1024, 0)
		logBench(b, e, "live", n, 1024, 1)
		ref := core.Ref{Entity: "gc", Project: "p", Name: "dead", Selector: core.VersionLabel(dead.Version.Index)}
		if err := e.svc.DeleteArtifact(context.Background(), ref, true); err != nil {
			b.Fatal(err)
		}
		e.clock.Advance(2 * service.DefaultLeaseTTL) // the uploads' leases ended
		b.StartTimer()
		start := time.Now()
		rep, err := e.svc.GC(context.Background(), service.GCOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if rep.Freed != n || rep.Live != n {
			b.Fatalf("GC = %+v; want %d freed, %d live", rep, n, n)
		}
		b.ReportMetric(float64(2*n)/time.Since(start).Seconds(), "blobs-scanned/s")
	}
}

// BenchmarkVerify re-hashes a store of n files of 64 KiB.
func BenchmarkVerify(b *testing.B) {
	n := benchFiles(b)
	e := benchEnv(b)
	logBench(b, e, "ds", n, 64<<10, 0)
	b.SetBytes(int64(n) * 64 << 10)
	for b.Loop() {
		rep, err := e.svc.Verify(context.Background(), service.VerifyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Checked != n || len(rep.Corrupt)+len(rep.Missing) != 0 {
			b.Fatalf("Verify = %d checked, %d corrupt, %d missing; want %d clean", rep.Checked, len(rep.Corrupt), len(rep.Missing), n)
		}
	}
}
