package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove"
)

// TestBench runs the benchmark loop, bounded by a commit count, against an
// embedded store: the same SDK calls as against a server.
func TestBench(t *testing.T) {
	t.Setenv(trove.EnvEntity, "bench")
	for _, shared := range []bool{false, true} {
		dir := t.TempDir()
		cfg := config{
			urls: []string{filepath.Join(dir, "store")}, project: "commits",
			cacheDir: filepath.Join(dir, "cache"), clients: 3, perCall: 4, shared: shared,
		}
		res, err := bench(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.commits != 12 || res.errors != 0 || len(res.latencies) != 12 {
			t.Errorf("shared=%t: %d commits, %d errors, %d latencies; want 12, 0, 12 (errors: %v)",
				shared, res.commits, res.errors, len(res.latencies), res.firstErrs)
		}
		if res.checkErr != nil {
			t.Errorf("shared=%t: check: %v", shared, res.checkErr)
		}
		line := res.line(cfg)
		for _, want := range []string{"clients=3 ", "commits=12 ", "errors=0 ", "check=ok"} {
			if !strings.Contains(line, want) {
				t.Errorf("shared=%t: line %q lacks %q", shared, line, want)
			}
		}

		c, err := trove.Open(context.Background(), trove.Options{URL: cfg.urls[0], Project: "commits", CacheDir: cfg.cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		name := "small-0"
		if shared {
			name = "small"
		}
		v, err := c.Artifact(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if v.FileCount != 1 || v.Size < 90 || v.Size > 110 {
			t.Errorf("shared=%t: %s:v%d has %d files of %d bytes; want one file of about 100 bytes", shared, name, v.Index, v.FileCount, v.Size)
		}
		c.Close()
	}
}

// TestCheckFindsMissingVersions checks that the check after the run reports
// a collection holding fewer versions than were counted.
func TestCheckFindsMissingVersions(t *testing.T) {
	t.Setenv(trove.EnvEntity, "bench")
	ctx := context.Background()
	dir := t.TempDir()
	c, err := trove.Open(ctx, trove.Options{URL: filepath.Join(dir, "store"), Project: "commits", CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run, err := c.StartRun(ctx, trove.RunOptions{JobType: "commitbench"})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Finish(ctx)
	w := &worker{client: c, run: run, name: "small-0"}
	w.loop(ctx, 3, time.Time{})
	if w.commits != 3 || len(w.errs) != 0 {
		t.Fatalf("loop: %d commits, errors %v; want 3, none", w.commits, w.errs)
	}
	if err := check(ctx, []*worker{w}); err != nil {
		t.Errorf("check after 3 commits: %v", err)
	}
	w.commits++
	if err := check(ctx, []*worker{w}); err == nil || !strings.Contains(err.Error(), "3 versions, want 4") {
		t.Errorf("check with one commit too many counted = %v; want an error saying 3 versions, want 4", err)
	}
}

func TestPercentile(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ds(7), 50, 7 * time.Millisecond},
		{ds(7), 99, 7 * time.Millisecond},
		{ds(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ds(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0, 1 * time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
		}
	}
}
