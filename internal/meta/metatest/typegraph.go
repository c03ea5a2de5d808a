package metatest

import (
	"fmt"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// typeGraphTests are the subtests of the type graph.
var typeGraphTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"TypeGraph", testTypeGraph},
	{"TypeGraphEmpty", testTypeGraphEmpty},
}

// typeShape reduces a type graph to "id=count" nodes and "from>to" edges.
func typeShape(g core.TypeGraph) (nodes, edges []string) {
	nodes, edges = []string{}, []string{}
	for _, n := range g.Nodes {
		if n.ID != n.Kind+":"+n.Name {
			nodes = append(nodes, "bad id "+n.ID)
		}
		nodes = append(nodes, fmt.Sprintf("%s=%d", n.ID, n.Count))
	}
	for _, e := range g.Edges {
		edges = append(edges, e.From+">"+e.To)
	}
	return nodes, edges
}

func typeGraph(t *testing.T, s *meta.Store, entity, project string) core.TypeGraph {
	t.Helper()
	g, err := s.TypeGraph(t.Context(), entity, project)
	if err != nil {
		t.Fatalf("TypeGraph(%s/%s): %v", entity, project, err)
	}
	if g.Nodes == nil || g.Edges == nil {
		t.Errorf("TypeGraph(%s/%s) has a nil list: %#v", entity, project, g)
	}
	return g
}

// commitIn commits a version of files path → content to entity/project.
func commitIn(t *testing.T, s *meta.Store, project, name, typ, runID string, pathContent ...string) core.Version {
	t.Helper()
	v, _, err := s.CommitVersion(t.Context(), meta.Commit{Entity: ent, Project: project, Name: name, Type: typ,
		Manifest: manifest(t, pathContent...), RunID: runID, Now: t0})
	if err != nil {
		t.Fatalf("CommitVersion(%s/%s): %v", project, name, err)
	}
	return v
}

func runIn(t *testing.T, s *meta.Store, project, id, jobType string) {
	t.Helper()
	if _, err := s.CreateRun(t.Context(), meta.NewRun{ID: id, Entity: ent, Project: project, JobType: jobType, Now: t0}); err != nil {
		t.Fatalf("CreateRun(%s): %v", id, err)
	}
}

func use(t *testing.T, s *meta.Store, runID string, v core.Version) {
	t.Helper()
	if err := s.AddInput(t.Context(), runID, v.ID, at(1)); err != nil {
		t.Fatalf("AddInput(%s, %s): %v", runID, v.FullName(), err)
	}
}

func testTypeGraph(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	// mnist: upload → dataset → train → model → eval.
	dataset, _ := mnist(t, s)
	// A second train run using the dataset: a count, not a new edge.
	runIn(t, s, proj, "vm6", "train")
	use(t, s, "vm6", dataset)
	// A collection no run made counts too.
	commitIn(t, s, proj, "extra", "dataset", "", "x", "x")
	// A version deleted since: its collection counts, its edge is gone.
	runIn(t, s, proj, "cl1", "cleanup")
	scratch := commitIn(t, s, proj, "scratch", "tmp", "cl1", "tmp", "tmp")
	if err := s.DeleteVersion(ctx, scratch.ID, true); err != nil {
		t.Fatal(err)
	}
	// Across projects: the run export of mnist uses other/summary (result)
	// and logs other/published (report); the run audit of other uses the
	// mnist dataset.
	runIn(t, s, "other", "ot1", "report")
	summary := commitIn(t, s, "other", "summary", "result", "ot1", "s.json", "{}")
	runIn(t, s, proj, "xr", "export")
	use(t, s, "xr", summary)
	commitIn(t, s, "other", "published", "report", "xr", "p.csv", "p")
	runIn(t, s, "other", "ot2", "audit")
	use(t, s, "ot2", dataset)

	nodes, edges := typeShape(typeGraph(t, s, ent, proj))
	wantEqual(t, "nodes of "+proj, nodes, []string{
		"artifact_type:dataset=2", "artifact_type:model=1", "artifact_type:report=0", "artifact_type:result=0", "artifact_type:tmp=1",
		"job_type:cleanup=1", "job_type:eval=1", "job_type:export=1", "job_type:train=2", "job_type:upload=1",
	})
	wantEqual(t, "edges of "+proj, edges, []string{
		"artifact_type:dataset>job_type:train", "artifact_type:model>job_type:eval", "artifact_type:result>job_type:export",
		"job_type:export>artifact_type:report", "job_type:train>artifact_type:model", "job_type:upload>artifact_type:dataset",
	})

	nodes, edges = typeShape(typeGraph(t, s, ent, "other"))
	wantEqual(t, "nodes of other", nodes, []string{
		"artifact_type:dataset=0", "artifact_type:report=1", "artifact_type:result=1", "job_type:audit=1", "job_type:report=1",
	})
	wantEqual(t, "edges of other", edges, []string{
		"artifact_type:dataset>job_type:audit", "job_type:report>artifact_type:result",
	})

	// A run without a job type is the job type "".
	runIn(t, s, "misc", "nj", "")
	commitIn(t, s, "misc", "raw", "dataset", "nj", "r", "r")
	g := typeGraph(t, s, ent, "misc")
	wantEqual(t, "misc", g, core.TypeGraph{
		Nodes: []core.TypeNode{
			{ID: "artifact_type:dataset", Kind: core.KindArtifactType, Name: "dataset", Count: 1},
			{ID: "job_type:", Kind: core.KindJobType, Name: "", Count: 1},
		},
		Edges: []core.Edge{{From: "job_type:", To: "artifact_type:dataset"}},
	})
}

func testTypeGraphEmpty(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	_, err := s.TypeGraph(ctx, ent, proj)
	wantKind(t, err, core.ErrNotFound)
	// A project that exists with nothing in it has an empty graph.
	if err := s.SetProjectPublic(ctx, ent, proj, false); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "empty project", typeGraph(t, s, ent, proj), core.TypeGraph{Nodes: []core.TypeNode{}, Edges: []core.Edge{}})
	_, err = s.TypeGraph(ctx, ent, "nope")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.TypeGraph(ctx, "nobody", proj)
	wantKind(t, err, core.ErrNotFound)
}
