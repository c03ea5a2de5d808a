package meta

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
)

// pipeline is a generated lineage graph, also kept in memory so tests can
// compute the expected answers independently of the store's SQL.
type pipeline struct {
	ids     map[int64]string // node id -> lineage node ID
	edges   [][2]int64
	deleted map[int64]bool
	// Typical starting points.
	model, prepared, popularRaw, testSet int64
}

// pipelineBuilder writes a graph straight into the tables in one transaction,
// far faster than going through CommitVersion.
type pipelineBuilder struct {
	ctx                  context.Context
	q                    q
	node, run, ver, edge *sql.Stmt
	project              int64
	next                 int64
	idx                  map[int64]int64 // collection id -> next index
	cols                 map[string]int64
	nruns                int
	now                  int64
	p                    *pipeline
}

func (b *pipelineBuilder) must(_ sql.Result, err error) {
	if err != nil {
		panic(err)
	}
}

func (b *pipelineBuilder) newNode(kind string) int64 {
	b.next++
	b.must(b.node.ExecContext(b.ctx, b.next, kind))
	return b.next
}

func (b *pipelineBuilder) newRun(job string) (int64, string) {
	id := b.newNode("run")
	b.nruns++
	rid := fmt.Sprintf("r%06d", b.nruns)
	b.now++
	b.must(b.run.ExecContext(b.ctx, rid, id, b.project, b.nruns, fmt.Sprintf("%s-%d", job, b.nruns), job, b.now))
	b.p.ids[id] = core.RunNodeID(rid)
	return id, rid
}

func (b *pipelineBuilder) collection(name, typ string) int64 {
	if id, ok := b.cols[name]; ok {
		return id
	}
	var id int64
	if err := b.q.queryRow(b.ctx, `INSERT INTO collections (project_id, name, type, created_at) VALUES (?, ?, ?, 0) RETURNING id`,
		b.project, name, typ).Scan(&id); err != nil {
		panic(err)
	}
	b.cols[name] = id
	return id
}

// newVersion logs a version of collection name by run creator (a node id).
func (b *pipelineBuilder) newVersion(name, typ string, creator int64, creatorID string) int64 {
	col := b.collection(name, typ)
	id := b.newNode("version")
	i := b.idx[col]
	b.idx[col]++
	b.now++
	digest := core.DigestOf(fmt.Append(nil, id)).String()
	b.must(b.ver.ExecContext(b.ctx, id, col, i, digest, b.now, creatorID))
	b.p.ids[id] = fmt.Sprintf("artifact:bench/pipeline/%s:v%d", name, i)
	b.addEdge(creator, id, "output")
	return id
}

func (b *pipelineBuilder) addEdge(src, dst int64, kind string) {
	b.now++
	res, err := b.edge.ExecContext(b.ctx, src, dst, kind, b.now)
	if err != nil {
		panic(err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		b.p.edges = append(b.p.edges, [2]int64{src, dst})
	}
}

// buildPipeline generates a graph of about n runs and versions shaped like ML
// work: ingest runs log raw datasets, some of them far more popular than
// others; each chain preprocesses one to three raw datasets into a prepared
// dataset (fan-in), trains on it — sometimes with a second prepared dataset,
// sometimes fine-tuning an earlier chain's model — and evaluates the model
// once or twice against shared test sets (fan-out), logging results.
// deleteFrac of the versions are then deleted.
func buildPipeline(tb testing.TB, s *Store, n int, deleteFrac float64) *pipeline {
	tb.Helper()
	ctx := context.Background()
	p := &pipeline{ids: map[int64]string{}, deleted: map[int64]bool{}}
	err := s.write(ctx, func(q q) error {
		b := &pipelineBuilder{ctx: ctx, q: q, p: p, idx: map[int64]int64{}, cols: map[string]int64{}}
		var err error
		prep := func(query string) *sql.Stmt {
			st, e := q.tx.PrepareContext(ctx, q.d.rebind(query))
			if e != nil && err == nil {
				err = e
			}
			return st
		}
		b.node = prep(`INSERT INTO nodes (id, kind) VALUES (?, ?)`)
		b.run = prep(`INSERT INTO runs (id, node_id, project_id, seq, name, job_type, run_group, config, tags, state, started_at, heartbeat_at)
			VALUES (?, ?, ?, ?, ?, ?, '', '{}', '[]', 'finished', ?, 0)`)
		b.ver = prep(`INSERT INTO versions (id, collection_id, idx, digest, description, metadata, size, file_count, state, created_at, created_by)
			VALUES (?, ?, ?, ?, '', '{}', 0, 0, 'committed', ?, ?)`)
		b.edge = prep(`INSERT INTO edges (src, dst, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (src, dst) DO NOTHING`)
		if err != nil {
			return err
		}
		if b.project, err = ensureProject(ctx, q, "bench", "pipeline", time.Time{}); err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(1, 2))

		nraw := max(10, n/100)
		var raws, tests []int64
		for i := range nraw {
			run, rid := b.newRun("ingest")
			raws = append(raws, b.newVersion(fmt.Sprintf("raw-%d", i%50), "dataset", run, rid))
		}
		for i := range max(2, n/5000) {
			run, rid := b.newRun("ingest")
			tests = append(tests, b.newVersion(fmt.Sprintf("testset-%d", i%5), "dataset", run, rid))
		}
		// Cubing a uniform number skews the picks: raws[0] is used by about a
		// tenth of all chains, most raw datasets by a handful.
		popular := func() int64 { u := r.Float64(); return raws[int(u*u*u*float64(len(raws)))] }
		var preps, models []int64
		for c := 0; int(b.next) < n; c++ {
			family := c % 200
			prun, prid := b.newRun("preprocess")
			for range 1 + r.IntN(3) {
				b.addEdge(popular(), prun, "input")
			}
			pds := b.newVersion(fmt.Sprintf("prep-%d", family), "dataset", prun, prid)
			preps = append(preps, pds)

			trun, trid := b.newRun("train")
			b.addEdge(pds, trun, "input")
			if len(preps) > 1 && r.Float64() < 0.3 {
				b.addEdge(preps[max(0, len(preps)-1-r.IntN(200))], trun, "input")
			}
			if len(models) > 0 && r.Float64() < 0.3 {
				b.addEdge(models[max(0, len(models)-1-r.IntN(500))], trun, "input")
			}
			model := b.newVersion(fmt.Sprintf("model-%d", family), "model", trun, trid)
			models = append(models, model)

			for range 1 + r.IntN(2) {
				erun, erid := b.newRun("eval")
				b.addEdge(model, erun, "input")
				b.addEdge(tests[r.IntN(len(tests))], erun, "input")
				b.newVersion(fmt.Sprintf("eval-%d", family), "result", erun, erid)
			}
		}
		for col := range b.idx {
			if err := refreshLatest(ctx, q, col); err != nil {
				return err
			}
		}
		for _, id := range slices.Sorted(maps.Keys(p.ids)) {
			if p.ids[id][0] == 'a' && r.Float64() < deleteFrac {
				p.deleted[id] = true
				if _, err := q.exec(ctx, `UPDATE versions SET state = 'deleted' WHERE id = ?`, id); err != nil {
					return err
				}
			}
		}
		if q.d == postgresDialect {
			// The explicit ids left the identity sequence behind.
			if _, err := q.exec(ctx, `SELECT setval(pg_get_serial_sequence('nodes', 'id'), ?)`, b.next); err != nil {
				return err
			}
		}
		p.model = models[len(models)/2]
		p.prepared = preps[len(preps)/2]
		p.popularRaw = raws[0]
		p.testSet = tests[0]
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if s.d == postgresDialect {
		// Fresh statistics, as autovacuum keeps them on a live database:
		// with the defaults of never-analyzed tables the planner expects
		// thousands of rows from the walk and hash-joins whole tables.
		if _, err := s.wdb.ExecContext(ctx, `ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	}
	return p
}

// expect computes a lineage answer by plain breadth-first search in memory.
func (p *pipeline) expect(start int64, dir core.Direction, depth int) (nodes, edges []string) {
	dist := map[int64]int{}
	walk := func(from, to int) {
		next := map[int64][]int64{}
		for _, e := range p.edges {
			next[e[from]] = append(next[e[from]], e[to])
		}
		seen := map[int64]int{start: 0}
		queue := []int64{start}
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if depth > 0 && seen[id] == depth {
				continue
			}
			for _, m := range next[id] {
				if _, ok := seen[m]; !ok && !p.deleted[m] {
					seen[m] = seen[id] + 1
					queue = append(queue, m)
				}
			}
		}
		for id, d := range seen {
			if old, ok := dist[id]; !ok || d < old {
				dist[id] = d
			}
		}
	}
	if dir != core.Upstream {
		walk(0, 1)
	}
	if dir != core.Downstream {
		walk(1, 0)
	}
	for id, d := range dist {
		nodes = append(nodes, fmt.Sprintf("%s@%d", p.ids[id], d))
	}
	for _, e := range p.edges {
		if _, ok := dist[e[0]]; ok {
			if _, ok := dist[e[1]]; ok {
				edges = append(edges, p.ids[e[0]]+">"+p.ids[e[1]])
			}
		}
	}
	slices.Sort(nodes)
	slices.Sort(edges)
	return nodes, edges
}

func openFile(tb testing.TB) *Store {
	tb.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "meta.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func openPostgres(tb testing.TB) *Store {
	tb.Helper()
	s, err := OpenPostgres(context.Background(), pgschema.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// TestLineageMatchesBFS compares Lineage on a generated graph with deleted
// versions against breadth-first search in memory, from many starts, in every
// direction, at several depths, on each database.
func TestLineageMatchesBFS(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testLineageMatchesBFS(t, openFile(t)) })
	t.Run("postgres", func(t *testing.T) { testLineageMatchesBFS(t, openPostgres(t)) })
}

func testLineageMatchesBFS(t *testing.T, s *Store) {
	p := buildPipeline(t, s, 2000, 0.05)
	r := rand.New(rand.NewPCG(3, 4))
	all := slices.Collect(maps.Keys(p.ids))
	slices.Sort(all)
	starts := []int64{p.model, p.popularRaw, p.testSet}
	for len(starts) < 24 {
		starts = append(starts, all[r.IntN(len(all))])
	}
	checked := 0
	for _, start := range starts {
		if p.deleted[start] {
			continue
		}
		lq := LineageQuery{VersionID: start}
		if id := p.ids[start]; id[0] == 'r' {
			lq = LineageQuery{RunID: id[len("run:"):]}
		}
		for _, dir := range []core.Direction{core.Upstream, core.Downstream, core.Both} {
			for _, depth := range []int{0, 1, 3} {
				lq.Direction, lq.Depth = dir, depth
				g, err := s.Lineage(t.Context(), lq)
				if err != nil {
					t.Fatalf("%s %s depth %d: %v", p.ids[start], dir, depth, err)
				}
				var nodes, edges []string
				for _, n := range g.Nodes {
					nodes = append(nodes, fmt.Sprintf("%s@%d", n.ID, n.Depth))
				}
				for _, e := range g.Edges {
					edges = append(edges, e.From+">"+e.To)
				}
				wantNodes, wantEdges := p.expect(start, dir, depth)
				if !slices.Equal(nodes, wantNodes) || !slices.Equal(edges, wantEdges) {
					t.Fatalf("%s %s depth %d:\ngot  %d nodes %v\nwant %d nodes %v\ngot  %d edges, want %d",
						p.ids[start], dir, depth, len(nodes), nodes, len(wantNodes), wantNodes, len(edges), len(wantEdges))
				}
				checked++
			}
		}
	}
	if checked < 150 {
		t.Errorf("only %d queries checked", checked)
	}
}

// BenchmarkLineage100k queries a generated pipeline graph of about 100,000
// runs and versions, built once, on SQLite. Each sub-benchmark reports its
// result size.
func BenchmarkLineage100k(b *testing.B) { benchLineage100k(b, openFile(b)) }

// BenchmarkLineagePostgres100k is BenchmarkLineage100k on PostgreSQL. Its
// name does not match "Lineage100k", so bench/run.sh leaves it out.
func BenchmarkLineagePostgres100k(b *testing.B) { benchLineage100k(b, openPostgres(b)) }

func benchLineage100k(b *testing.B, s *Store) {
	t0 := time.Now()
	p := buildPipeline(b, s, 100_000, 0)
	b.Logf("built %d nodes and %d edges in %v", len(p.ids), len(p.edges), time.Since(t0).Round(time.Millisecond))
	for _, bc := range []struct {
		name string
		lq   LineageQuery
	}{
		{"model/both/depth10", LineageQuery{VersionID: p.model, Direction: core.Both, Depth: 10}},
		{"model/both/unlimited", LineageQuery{VersionID: p.model, Direction: core.Both}},
		{"prepared/both/depth10", LineageQuery{VersionID: p.prepared, Direction: core.Both, Depth: 10}},
		{"testset/downstream/depth10", LineageQuery{VersionID: p.testSet, Direction: core.Downstream, Depth: 10}},
		{"popular-raw/downstream/depth10", LineageQuery{VersionID: p.popularRaw, Direction: core.Downstream, Depth: 10}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var g core.Graph
			cpu := cpuTime()
			for b.Loop() {
				var err error
				if g, err = s.Lineage(context.Background(), bc.lq); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(len(g.Nodes)), "nodes")
			b.ReportMetric(float64(len(g.Edges)), "edges")
		})
	}
}
