// Command lineagegen fills a Trove metadata store with a connected pipeline
// graph of about -nodes runs and versions, for the server memory benchmark of
// bench/server.sh:
//
//	lineagegen -db DATA/trove.db -nodes 100000
//
// The graph hangs from one root version, ENTITY/PROJECT/source:v0: ingest
// runs turn it into raw datasets and split runs into test sets; then chains
// of preprocess (one to three raw datasets in, sometimes a second prepared
// dataset), train (sometimes fine-tuning an earlier chain's model, so paths
// grow long) and one or two eval runs (the model and a test set in) follow
// until the store holds -nodes nodes. Everything is downstream of the root,
// so its lineage in direction both reaches every node.
//
// It writes through package meta's public API (CreateRun, CommitVersion,
// AddInput, UpdateRun), the same transactions the service makes, with
// several writers at once so that the Go side of one transaction overlaps
// the database work of another. It prints progress on stderr and one line of
// key=value figures on stdout, ending with root=REF.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	_ "github.com/troveml/trove/scheme/postgres"
)

// store is the part of *meta.Store the generator writes through.
type store interface {
	CreateRun(ctx context.Context, nr meta.NewRun) (core.Run, error)
	CommitVersion(ctx context.Context, c meta.Commit) (core.Version, bool, error)
	AddInput(ctx context.Context, runID string, versionID int64, now time.Time) error
	UpdateRun(ctx context.Context, id string, u meta.RunUpdate) (core.Run, error)
}

var _ store = (*meta.Store)(nil)

// stats counts what a generation wrote.
type stats struct {
	runs, versions, edges int
}

// nodes is the number of lineage nodes written.
func (s stats) nodes() int { return s.runs + s.versions }

func main() {
	db := flag.String("db", "", "metadata store: a SQLite file path, sqlite:///… or postgres://… (required)")
	nodes := flag.Int("nodes", 100_000, "how many runs and versions to write, at least")
	entity := flag.String("entity", "bench", "entity of the generated project")
	project := flag.String("project", "lineage", "project to fill")
	writers := flag.Int("writers", 4, "concurrent writers")
	seed := flag.Uint64("seed", 1, "seed of the graph's random shape")
	flag.Parse()
	if *db == "" || *nodes < 10 || *writers < 1 {
		fmt.Fprintln(os.Stderr, "usage: lineagegen -db PATH|URL [-nodes N>=10] [-writers N>=1] [-entity E] [-project P] [-seed S]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *db, *entity, *project, *nodes, *writers, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "lineagegen:", err)
		if ctx.Err() != nil {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, db, entity, project string, nodes, writers int, seed uint64) error {
	st, err := meta.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	g := newGenerator(st, entity, project, writers, seed)
	g.progress = func(s stats) {
		fmt.Fprintf(os.Stderr, "lineagegen: %d nodes, %d edges, %.1f s\n", s.nodes(), s.edges, time.Since(g.start).Seconds())
	}
	root, s, err := g.generate(ctx, nodes)
	if err != nil {
		return err
	}
	fmt.Printf("nodes=%d runs=%d versions=%d edges=%d seconds=%.2f root=%s\n",
		s.nodes(), s.runs, s.versions, s.edges, time.Since(g.start).Seconds(), root)
	return nil
}

// generator writes one pipeline graph.
type generator struct {
	st               store
	entity, project  string
	writers          int
	r                *rand.Rand
	start            time.Time
	progress         func(stats) // called about every 10,000 nodes; may be nil
	mu               sync.Mutex  // guards the fields below
	s                stats
	nextRun, nextVer int64
	lastReport       int
}

func newGenerator(st store, entity, project string, writers int, seed uint64) *generator {
	return &generator{
		st: st, entity: entity, project: project, writers: writers,
		r: rand.New(rand.NewPCG(seed, 0x7472_6f76_65)), start: time.Now(),
	}
}

// step is one run: its inputs (version ids) and the versions it logs.
type step struct {
	jobType string
	inputs  []int64
	outputs []output
}

// output is a version a step logs.
type output struct{ name, typ string }

// generate writes the graph and returns the root version's reference.
//
// Steps of one stage depend only on versions of earlier stages, so each
// stage's steps run concurrently; the stages follow one another.
func (g *generator) generate(ctx context.Context, n int) (string, stats, error) {
	root, err := g.stage(ctx, []step{{jobType: "ingest", outputs: []output{{"source", "dataset"}}}})
	if err != nil {
		return "", stats{}, err
	}
	rootRef := core.Ref{Entity: g.entity, Project: g.project, Name: "source", Selector: "v0"}.String()
	src := root[0][0]

	nraw, ntest := max(5, n/100), max(2, n/5000)
	var first []step
	for i := range nraw {
		first = append(first, step{jobType: "ingest", inputs: []int64{src}, outputs: []output{{fmt.Sprintf("raw-%d", i%50), "dataset"}}})
	}
	for i := range ntest {
		first = append(first, step{jobType: "split", inputs: []int64{src}, outputs: []output{{fmt.Sprintf("testset-%d", i%5), "dataset"}}})
	}
	out, err := g.stage(ctx, first)
	if err != nil {
		return "", stats{}, err
	}
	var raws, tests []int64
	for i, o := range out {
		if i < nraw {
			raws = append(raws, o[0])
		} else {
			tests = append(tests, o[0])
		}
	}
	// Cubing a uniform number skews the picks: raws[0] feeds about a
	// tenth of the chains, most raw datasets a handful.
	popular := func() int64 { u := g.r.Float64(); return raws[int(u*u*u*float64(len(raws)))] }

	// Chains go in rounds of `batch`: a round's preprocess steps, then its
	// train steps (which need the round's prepared datasets, and may
	// fine-tune a model of an earlier round), then its eval steps.
	var preps, models []int64
	batch := max(16, 4*g.writers)
	for c := 0; g.count().nodes() < n; {
		var pre []step
		for range batch {
			s := step{jobType: "preprocess", outputs: []output{{fmt.Sprintf("prep-%d", (c+len(pre))%200), "dataset"}}}
			for range 1 + g.r.IntN(3) {
				s.inputs = appendNew(s.inputs, popular())
			}
			if len(preps) > 0 && g.r.Float64() < 0.2 {
				s.inputs = appendNew(s.inputs, preps[max(0, len(preps)-1-g.r.IntN(200))])
			}
			pre = append(pre, s)
		}
		out, err := g.stage(ctx, pre)
		if err != nil {
			return "", stats{}, err
		}
		var train []step
		for i, o := range out {
			s := step{jobType: "train", inputs: []int64{o[0]}, outputs: []output{{fmt.Sprintf("model-%d", (c+i)%200), "model"}}}
			if len(models) > 0 && g.r.Float64() < 0.3 {
				s.inputs = append(s.inputs, models[max(0, len(models)-1-g.r.IntN(500))])
			}
			train = append(train, s)
			preps = append(preps, o[0])
		}
		out, err = g.stage(ctx, train)
		if err != nil {
			return "", stats{}, err
		}
		var eval []step
		for i, o := range out {
			models = append(models, o[0])
			for range 1 + g.r.IntN(2) {
				eval = append(eval, step{jobType: "eval", inputs: []int64{o[0], tests[g.r.IntN(len(tests))]},
					outputs: []output{{fmt.Sprintf("eval-%d", (c+i)%200), "result"}}})
			}
		}
		if _, err := g.stage(ctx, eval); err != nil {
			return "", stats{}, err
		}
		c += batch
	}
	return rootRef, g.count(), nil
}

// appendNew appends id unless ids holds it.
func appendNew(ids []int64, id int64) []int64 {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

// count returns the figures so far.
func (g *generator) count() stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.s
}

// stage runs steps on g.writers goroutines and returns, for each step, the
// ids of the versions it logged.
func (g *generator) stage(ctx context.Context, steps []step) ([][]int64, error) {
	out := make([][]int64, len(steps))
	next := make(chan int)
	errs := make(chan error, g.writers)
	var wg sync.WaitGroup
	for range min(g.writers, len(steps)) {
		wg.Go(func() {
			for i := range next {
				ids, err := g.step(ctx, steps[i])
				if err != nil {
					errs <- err
					// Drain, so the feeder does not block.
					for range next {
					}
					return
				}
				out[i] = ids
			}
		})
	}
feed:
	for i := range steps {
		select {
		case next <- i:
		case err := <-errs:
			errs <- err
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return out, errors.Join(all...)
}

// step writes one run, its input edges, the versions it logs, and finishes it.
func (g *generator) step(ctx context.Context, s step) ([]int64, error) {
	g.mu.Lock()
	g.nextRun++
	runNo := g.nextRun
	firstVer := g.nextVer
	g.nextVer += int64(len(s.outputs))
	g.mu.Unlock()

	// Logical clocks: one second per run, so listings sort in pipeline order.
	now := time.Unix(1_700_000_000+runNo, 0).UTC()
	id := runID(runNo)
	if _, err := g.st.CreateRun(ctx, meta.NewRun{
		ID: id, Entity: g.entity, Project: g.project, JobType: s.jobType, Now: now,
		Name: s.jobType + "-" + strconv.FormatInt(runNo, 10),
	}); err != nil {
		return nil, fmt.Errorf("run %d: %w", runNo, err)
	}
	for _, in := range s.inputs {
		if err := g.st.AddInput(ctx, id, in, now); err != nil {
			return nil, fmt.Errorf("run %d: input %d: %w", runNo, in, err)
		}
	}
	var ids []int64
	for i, o := range s.outputs {
		m, err := core.NewManifest([]core.Entry{manifestEntry(firstVer + int64(i))})
		if err != nil {
			return nil, err
		}
		v, _, err := g.st.CommitVersion(ctx, meta.Commit{
			Entity: g.entity, Project: g.project, Name: o.name, Type: o.typ,
			Manifest: m, RunID: id, Now: now,
		})
		if err != nil {
			return nil, fmt.Errorf("run %d: logging %s: %w", runNo, o.name, err)
		}
		ids = append(ids, v.ID)
	}
	finished, end := core.RunFinished, now.Add(time.Second/2)
	if _, err := g.st.UpdateRun(ctx, id, meta.RunUpdate{State: &finished, FinishedAt: &end, HeartbeatAt: &end}); err != nil {
		return nil, fmt.Errorf("run %d: finishing: %w", runNo, err)
	}

	g.mu.Lock()
	g.s.runs++
	g.s.versions += len(ids)
	g.s.edges += len(s.inputs) + len(ids)
	s2 := g.s
	report := s2.nodes()/10_000 > g.lastReport
	if report {
		g.lastReport = s2.nodes() / 10_000
	}
	g.mu.Unlock()
	if report && g.progress != nil {
		g.progress(s2)
	}
	return ids, ctx.Err()
}

// runID makes the id of the n-th generated run: 8 base-36 characters, as
// the service's random ids, but in generation order.
func runID(n int64) string {
	s := strconv.FormatInt(n, 36)
	return "g" + strings.Repeat("0", max(0, 7-len(s))) + s
}

// manifestEntry is the one file of the i-th version: distinct content, so
// no version deduplicates to another.
func manifestEntry(i int64) core.Entry {
	b := []byte("lineagegen version " + strconv.FormatInt(i, 10) + "\n")
	return core.Entry{Path: "data.bin", Digest: core.DigestOf(b), Size: int64(len(b))}
}
