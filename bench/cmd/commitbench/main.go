// Command commitbench measures how many small artifacts Trove commits per
// second with many clients at once, for bench/server.sh:
//
//	commitbench -urls http://A,http://B,http://C -key KEY -clients 16 -duration 20s
//
// Each client is a trove.Client of its own (its own cache directory) on one
// of the URLs, round-robin, with a run of its own. It logs, in a loop, a new
// version of a small artifact: one file of about 100 bytes whose content no
// other commit shares, so every call makes a new version, stores one blob
// and moves latest. The time of each (*Run).LogArtifact call, the whole SDK
// call with its blob upload, is recorded.
//
// Opening the clients and starting the runs happen before the clock starts.
// The loop stops starting calls after -duration (or after -n commits per
// client); calls in flight finish and count. Afterwards, untimed, it checks
// through the first URL that every collection holds exactly the versions
// its clients committed, indexed v0..vN-1 without a gap.
//
// One line of key=value figures goes to stdout; errors, the first few in
// full, to stderr. The exit code is 1 when any call failed or the check
// found a discrepancy.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/troveml/trove"
)

// config is what one benchmark run needs.
type config struct {
	urls     []string
	key      string
	project  string
	cacheDir string        // parent of the clients' cache directories
	clients  int           //
	duration time.Duration // stop starting calls after this; 0 = no limit
	perCall  int           // stop after this many calls per client; 0 = no limit
	shared   bool          // all clients log versions of one collection
}

// result is what one benchmark run measured.
type result struct {
	commits   int
	errors    int
	elapsed   time.Duration   // from the start of the loop to the end of the last call
	latencies []time.Duration // of the successful calls, sorted
	firstErrs []error         // at most maxShownErrors
	checkErr  error           // from the check after the run
}

// maxShownErrors bounds the errors kept for the report.
const maxShownErrors = 5

func main() {
	urls := flag.String("urls", "", "comma-separated server URLs (or embedded store directories); clients go round-robin over them")
	key := flag.String("key", os.Getenv(trove.EnvAPIKey), "API key (default $TROVE_API_KEY)")
	project := flag.String("project", "commitbench", "project to log into")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long to keep starting commits (0 = until -n)")
	n := flag.Int("n", 0, "stop after this many commits per client (0 = until -duration)")
	shared := flag.Bool("shared", false, "all clients log versions of one artifact, instead of one artifact each")
	cacheDir := flag.String("cache", "", "parent of the clients' cache directories (default a temporary directory, removed at the end)")
	flag.Parse()
	if *urls == "" || *clients < 1 || *duration < 0 || *n < 0 || (*duration == 0 && *n == 0) {
		fmt.Fprintln(os.Stderr, "usage: commitbench -urls U1[,U2...] [-key KEY] [-clients N] [-duration D | -n N] [-shared] [-project P] [-cache DIR]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	cfg := config{
		urls: strings.Split(*urls, ","), key: *key, project: *project, cacheDir: *cacheDir,
		clients: *clients, duration: *duration, perCall: *n, shared: *shared,
	}
	if cfg.cacheDir == "" {
		d, err := os.MkdirTemp("", "commitbench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "commitbench:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(d)
		cfg.cacheDir = d
	}
	res, err := bench(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "commitbench:", err)
		os.Exit(1)
	}
	for _, e := range res.firstErrs {
		fmt.Fprintln(os.Stderr, "commitbench: error:", e)
	}
	if res.checkErr != nil {
		fmt.Fprintln(os.Stderr, "commitbench: check:", res.checkErr)
	}
	fmt.Println(res.line(cfg))
	if res.errors > 0 || res.checkErr != nil {
		os.Exit(1)
	}
}

// line formats the figures as key=value pairs.
func (r result) line(cfg config) string {
	secs := r.elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(r.commits) / secs
	}
	check := "ok"
	if r.checkErr != nil {
		check = "FAILED"
	}
	return fmt.Sprintf("clients=%d replicas=%d shared=%t seconds=%.2f commits=%d commits_per_s=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d check=%s",
		cfg.clients, len(cfg.urls), cfg.shared, secs, r.commits, rate,
		ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 99)), ms(percentile(r.latencies, 100)),
		r.errors, check)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the p-th percentile (nearest rank) of sorted durations;
// 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// worker is one client with its run.
type worker struct {
	id     int
	client *trove.Client
	run    *trove.Run
	name   string // the artifact it logs
	// Filled by the loop.
	commits   int
	latencies []time.Duration
	errs      []error
}

// bench opens the clients, starts their runs, runs the loop and checks the
// result.
func bench(ctx context.Context, cfg config) (result, error) {
	workers := make([]*worker, cfg.clients)
	defer func() {
		for _, w := range workers {
			if w == nil {
				continue
			}
			if w.run != nil {
				// Best effort: a run left running would be reported as
				// crashed later, which changes no figure.
				_ = w.run.Finish(context.WithoutCancel(ctx))
			}
			w.client.Close()
		}
	}()
	for i := range workers {
		c, err := trove.Open(ctx, trove.Options{
			URL: cfg.urls[i%len(cfg.urls)], APIKey: cfg.key, Project: cfg.project,
			CacheDir: filepath.Join(cfg.cacheDir, "client-"+strconv.Itoa(i)),
		})
		if err != nil {
			return result{}, fmt.Errorf("client %d: %w", i, err)
		}
		w := &worker{id: i, client: c, name: "small-" + strconv.Itoa(i)}
		if cfg.shared {
			w.name = "small"
		}
		workers[i] = w
		if w.run, err = c.StartRun(ctx, trove.RunOptions{JobType: "commitbench"}); err != nil {
			return result{}, fmt.Errorf("client %d: starting its run: %w", i, err)
		}
	}

	start := time.Now()
	var deadline time.Time
	if cfg.duration > 0 {
		deadline = start.Add(cfg.duration)
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.loop(ctx, cfg.perCall, deadline) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return result{}, err
	}

	res := result{elapsed: time.Since(start)}
	for _, w := range workers {
		res.commits += w.commits
		res.errors += len(w.errs)
		res.latencies = append(res.latencies, w.latencies...)
		for _, e := range w.errs {
			if len(res.firstErrs) < maxShownErrors {
				res.firstErrs = append(res.firstErrs, fmt.Errorf("client %d: %w", w.id, e))
			}
		}
	}
	slices.Sort(res.latencies)
	res.checkErr = check(ctx, workers)
	return res, nil
}

// loop logs artifacts until the deadline (zero: none) or n commits (0:
// none).
func (w *worker) loop(ctx context.Context, n int, deadline time.Time) {
	for i := 0; n == 0 || i < n; i++ {
		if ctx.Err() != nil || (!deadline.IsZero() && !time.Now().Before(deadline)) {
			return
		}
		a, err := w.artifact(i)
		if err != nil {
			w.errs = append(w.errs, err)
			continue
		}
		t0 := time.Now()
		_, err = w.run.LogArtifact(ctx, a)
		d := time.Since(t0)
		if err != nil {
			w.errs = append(w.errs, err)
			continue
		}
		w.commits++
		w.latencies = append(w.latencies, d)
	}
}

// artifact builds the i-th artifact of the worker: one file of about 100
// bytes that no other commit shares.
func (w *worker) artifact(i int) (*trove.Artifact, error) {
	a := trove.NewArtifact(w.name, "dataset")
	f, err := a.NewFile("data.txt")
	if err != nil {
		return nil, err
	}
	// The run id keeps contents of separate benchmark runs on one store
	// apart too.
	line := fmt.Sprintf("commitbench run %s client %03d commit %07d ", w.run.ID, w.id, i)
	_, err = fmt.Fprintf(f, "%s%s\n", line, strings.Repeat(".", max(0, 99-len(line))))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return a, err
}

// check verifies, through the first worker's client, that each collection
// holds exactly as many versions as were committed to it, indexed from v0
// without a gap.
func check(ctx context.Context, workers []*worker) error {
	want := map[string]int{}
	for _, w := range workers {
		want[w.name] += w.commits
	}
	c := workers[0].client
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(want)) {
		vs, err := c.ArtifactVersions(ctx, name)
		if err != nil && want[name] > 0 {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if len(vs) != want[name] {
			errs = append(errs, fmt.Errorf("%s: %d versions, want %d", name, len(vs), want[name]))
			continue
		}
		slices.SortFunc(vs, func(a, b *trove.Version) int { return cmp.Compare(a.Index, b.Index) })
		for i, v := range vs {
			if v.Index != i {
				errs = append(errs, fmt.Errorf("%s: versions are not v0..v%d: v%d at position %d", name, len(vs)-1, v.Index, i))
				break
			}
		}
	}
	return errors.Join(errs...)
}
