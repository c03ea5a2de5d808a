package main

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// TestGenerate writes a small graph into a real SQLite store and checks that
// the lineage of the root, in both directions, is the whole graph.
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	st, err := meta.OpenSQLite(ctx, filepath.Join(t.TempDir(), "trove.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	const n = 400
	g := newGenerator(st, "bench", "lineage", 3, 1)
	root, s, err := g.generate(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if root != "bench/lineage/source:v0" {
		t.Errorf("root = %q, want bench/lineage/source:v0", root)
	}
	if s.nodes() < n {
		t.Errorf("wrote %d nodes, want at least %d", s.nodes(), n)
	}
	// Each round adds at most batch chains of 6 nodes beyond the target.
	if limit := n + 6*max(16, 4*3); s.nodes() > limit {
		t.Errorf("wrote %d nodes, want at most %d", s.nodes(), limit)
	}

	v, err := st.ResolveVersion(ctx, core.Ref{Entity: "bench", Project: "lineage", Name: "source", Selector: "v0"})
	if err != nil {
		t.Fatal(err)
	}
	lg, err := st.Lineage(ctx, meta.LineageQuery{VersionID: v.ID, Direction: core.Both})
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Nodes) != s.nodes() || len(lg.Edges) != s.edges {
		t.Errorf("lineage of the root: %d nodes, %d edges; want the whole graph, %d nodes, %d edges",
			len(lg.Nodes), len(lg.Edges), s.nodes(), s.edges)
	}
	var runs, finished int
	for _, nd := range lg.Nodes {
		if nd.Kind == core.KindRun {
			runs++
			if nd.State == string(core.RunFinished) {
				finished++
			}
		}
	}
	if runs != s.runs || finished != runs {
		t.Errorf("lineage has %d runs, %d of them finished; want %d, all finished", runs, finished, s.runs)
	}
}

// failingStore fails every call after the first `ok` CreateRun calls.
type failingStore struct {
	store
	ok, calls atomic.Int64
}

var errBroken = errors.New("store broken")

func (f *failingStore) CreateRun(ctx context.Context, nr meta.NewRun) (core.Run, error) {
	if f.calls.Add(1) > f.ok.Load() {
		return core.Run{}, errBroken
	}
	return f.store.CreateRun(ctx, nr)
}

// TestGenerateStoreFails checks that a failing store ends the generation
// with its error, from any stage, instead of hanging or going on.
func TestGenerateStoreFails(t *testing.T) {
	for _, ok := range []int64{0, 1, 30, 200} {
		ctx := context.Background()
		st, err := meta.OpenSQLite(ctx, filepath.Join(t.TempDir(), "trove.db"))
		if err != nil {
			t.Fatal(err)
		}
		fs := &failingStore{store: st}
		fs.ok.Store(ok)
		_, _, err = newGenerator(fs, "bench", "lineage", 4, 1).generate(ctx, 10_000)
		if !errors.Is(err, errBroken) {
			t.Errorf("store failing after %d runs: generate returned %v, want %v", ok, err, errBroken)
		}
		st.Close()
	}
}

func TestRunID(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{1, "g0000001"},
		{36, "g0000010"},
		{100_000, "g000255s"},
	} {
		if got := runID(tc.n); got != tc.want {
			t.Errorf("runID(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
