// Command uigen fills a Trove data directory with the lineage graph of the
// UI benchmark (bench/ui.sh): about 2,000 runs and versions, all downstream
// of one focus version, admin/scale/seed:v0.
//
//	uigen -data DIR [-generations 10] [-width 100] [-workers 4] [-seed 1]
//
// A run "ingest" logs seed:v0 (type dataset). Then come the generations:
// each holds -width runs (job types train, evaluate, transform), each using
// one to three versions of the generation before (the first generation uses
// seed:v0) and logging one new artifact (types dataset, model, results,
// features, metrics), named TYPE-gGG-III. With the defaults the lineage of
// seed:v0 holds 2 + 10×100×2 = 2,002 nodes, every one reachable from it
// downstream but the ingest run.
//
// It writes through the Go SDK on the embedded store (SQLite and files),
// the path of any user's script, several runs of a generation at a time;
// the store's project admin/scale must hold no runs yet. It prints
// progress on stderr and one line of key=value figures on stdout, ending
// with focus=REF and path=, the focus's lineage page in the UI.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove"
)

// The focus of the benchmark.
const (
	entity  = "admin"
	project = "scale"
	focus   = entity + "/" + project + "/seed:v0"
	// focusPath is the focus's lineage page in the web UI.
	focusPath = "/" + entity + "/" + project + "/artifacts/dataset/seed/v0/lineage"
)

var (
	jobTypes      = []string{"train", "evaluate", "transform"}
	artifactTypes = []string{"dataset", "model", "results", "features", "metrics"}
)

// config shapes the graph.
type config struct {
	generations, width, workers int
	seed                        uint64
}

// stats counts what was written.
type stats struct {
	runs, versions, edges int
}

func (s stats) nodes() int { return s.runs + s.versions }

func main() {
	data := flag.String("data", "", "data directory to fill (required)")
	var cfg config
	flag.IntVar(&cfg.generations, "generations", 10, "generations downstream of the seed")
	flag.IntVar(&cfg.width, "width", 100, "runs (and new versions) per generation")
	flag.IntVar(&cfg.workers, "workers", 4, "runs written at a time")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the graph's random shape")
	flag.Parse()
	if *data == "" || flag.NArg() > 0 || cfg.generations < 1 || cfg.width < 1 || cfg.workers < 1 {
		fmt.Fprintln(os.Stderr, "usage: uigen -data DIR [-generations N>=1] [-width N>=1] [-workers N>=1] [-seed S]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *data, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "uigen:", err)
		if ctx.Err() != nil {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, data string, cfg config) error {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "uigen-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	c, err := trove.Open(ctx, trove.Options{URL: data, Entity: entity, Project: project, CacheDir: filepath.Join(tmp, "cache")})
	if err != nil {
		return err
	}
	defer c.Close()
	progress := func(g int, s stats) {
		fmt.Fprintf(os.Stderr, "uigen: generation %d/%d: %d nodes, %d edges, %.1f s\n", g, cfg.generations, s.nodes(), s.edges, time.Since(start).Seconds())
	}
	s, err := generate(ctx, c, tmp, cfg, progress)
	if err != nil {
		return err
	}
	fmt.Printf("nodes=%d runs=%d versions=%d edges=%d seconds=%.2f focus=%s path=%s\n",
		s.nodes(), s.runs, s.versions, s.edges, time.Since(start).Seconds(), focus, focusPath)
	return nil
}

// step is one run to write.
type step struct {
	jobType  string
	uses     []string // version references
	name     string   // of the artifact it logs
	typ      string
	contents any // of the artifact's one file, as JSON
}

// generate writes the graph with c (whose defaults are admin/scale), files
// under dir, and returns what it wrote. progress, if not nil, is told
// after each generation.
func generate(ctx context.Context, c *trove.Client, dir string, cfg config, progress func(gen int, s stats)) (stats, error) {
	if runs, err := c.Runs(ctx, project); err != nil {
		return stats{}, err
	} else if len(runs) > 0 {
		return stats{}, fmt.Errorf("project %s/%s holds %d runs already: uigen fills an empty project (use a new -data directory)", entity, project, len(runs))
	}
	var (
		mu sync.Mutex
		s  stats
	)
	write := func(ctx context.Context, st step) (string, error) {
		ref, edges, err := writeStep(ctx, c, dir, st)
		if err != nil {
			return "", err
		}
		mu.Lock()
		s.runs++
		s.versions++
		s.edges += edges
		mu.Unlock()
		return ref, nil
	}
	seed, err := write(ctx, step{jobType: "ingest", name: "seed", typ: "dataset", contents: map[string]any{"rows": 1000, "seed": cfg.seed}})
	if err != nil {
		return s, err
	}
	prev := []string{seed}
	for g := 1; g <= cfg.generations; g++ {
		next := make([]string, cfg.width)
		grp, gctx := errgroup.WithContext(ctx)
		grp.SetLimit(cfg.workers)
		for i := range cfg.width {
			r := rand.New(rand.NewPCG(cfg.seed, uint64(g)<<32|uint64(i)))
			st := step{jobType: jobTypes[r.IntN(len(jobTypes))], typ: artifactTypes[r.IntN(len(artifactTypes))]}
			st.name = fmt.Sprintf("%s-g%02d-%03d", st.typ, g, i)
			for _, k := range r.Perm(len(prev))[:min(len(prev), 1+r.IntN(3))] {
				st.uses = append(st.uses, prev[k])
			}
			st.contents = map[string]any{"generation": g, "index": i, "inputs": st.uses, "score": r.Float64()}
			grp.Go(func() error {
				ref, err := write(gctx, st)
				next[i] = ref
				return err
			})
		}
		if err := grp.Wait(); err != nil {
			return s, err
		}
		prev = next
		if progress != nil {
			progress(g, s)
		}
	}
	return s, nil
}

// writeStep writes one run: it uses st.uses, logs the artifact and
// finishes. It returns the reference of the logged version and the number
// of edges written.
func writeStep(ctx context.Context, c *trove.Client, dir string, st step) (string, int, error) {
	b, err := json.Marshal(st.contents)
	if err != nil {
		return "", 0, err
	}
	p := filepath.Join(dir, st.name+".json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return "", 0, err
	}
	r, err := c.StartRun(ctx, trove.RunOptions{Project: project, JobType: st.jobType})
	if err != nil {
		return "", 0, err
	}
	for _, ref := range st.uses {
		if _, err := r.UseArtifact(ctx, ref); err != nil {
			return "", 0, fmt.Errorf("run %s uses %s: %w", r.Name, ref, err)
		}
	}
	a := trove.NewArtifact(st.name, st.typ)
	if err := a.AddFile(p, "data.json"); err != nil {
		return "", 0, err
	}
	v, err := r.LogArtifact(ctx, a)
	if err != nil {
		return "", 0, fmt.Errorf("run %s logs %s: %w", r.Name, st.name, err)
	}
	if err := r.Finish(ctx); err != nil {
		return "", 0, err
	}
	return v.FullName(), len(st.uses) + 1, nil
}
