package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/troveml/trove"
)

// TestGenerate writes a small graph into a real data directory and checks
// its shape: the lineage of the focus is the whole graph, generation by
// generation, every run finished.
func TestGenerate(t *testing.T) {
	ctx := t.Context()
	data := filepath.Join(t.TempDir(), "data")
	c, err := trove.Open(ctx, trove.Options{URL: data, Entity: entity, Project: project, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := config{generations: 4, width: 6, workers: 3, seed: 1}
	var gens []int
	s, err := generate(ctx, c, t.TempDir(), cfg, func(g int, _ stats) { gens = append(gens, g) })
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 + 2*cfg.generations*cfg.width; s.nodes() != want || s.runs != s.versions {
		t.Errorf("wrote %d runs and %d versions, want %d nodes in all, half each", s.runs, s.versions, want)
	}
	if len(gens) != cfg.generations {
		t.Errorf("progress after generations %v", gens)
	}

	g, err := c.Lineage(ctx, focus, trove.LineageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != s.nodes() || len(g.Edges) != s.edges {
		t.Errorf("lineage of %s: %d nodes, %d edges; want the whole graph, %d nodes, %d edges", focus, len(g.Nodes), len(g.Edges), s.nodes(), s.edges)
	}
	down, err := c.Lineage(ctx, focus, trove.LineageOptions{Direction: trove.Downstream})
	if err != nil {
		t.Fatal(err)
	}
	if len(down.Nodes) != s.nodes()-1 {
		t.Errorf("downstream of %s: %d nodes, want all but the ingest run, %d", focus, len(down.Nodes), s.nodes()-1)
	}
	inputs := map[string]int{} // run node → versions it used
	for _, e := range g.Edges {
		if strings.HasPrefix(e.To, "run:") {
			inputs[e.To]++
		}
	}
	for _, n := range g.Nodes {
		switch n.Kind {
		case "run":
			if n.State != "finished" {
				t.Errorf("run %s is %s", n.Name, n.State)
			}
			if n.JobType != "ingest" && (inputs[n.ID] < 1 || inputs[n.ID] > 3) {
				t.Errorf("run %s (%s) used %d versions, want 1 to 3", n.Name, n.JobType, inputs[n.ID])
			}
		case "artifact":
			if n.Name != "seed:v0" && !strings.Contains(n.Name, "-g0") {
				t.Errorf("artifact %s is not named TYPE-gGG-III", n.Name)
			}
		}
	}
	// The depth of a version is twice its generation.
	for _, n := range down.Nodes {
		if n.Kind == "artifact" && n.Name != "seed:v0" {
			_, rest, _ := strings.Cut(n.Name, "-g")
			gen, err := strconv.Atoi(rest[:min(2, len(rest))])
			if err != nil || n.Depth != 2*gen {
				t.Errorf("%s at depth %d: want twice its generation", n.Name, n.Depth)
			}
		}
	}

	// A second run refuses the filled project and adds nothing.
	if _, err := generate(ctx, c, t.TempDir(), cfg, nil); err == nil || !strings.Contains(err.Error(), "holds") {
		t.Errorf("generating into a filled project: %v, want a refusal", err)
	}
	runs, err := c.Runs(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != s.runs {
		t.Errorf("%d runs after the refused second run, want %d", len(runs), s.runs)
	}
}
