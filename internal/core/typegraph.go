package core

import (
	"cmp"
	"slices"
)

// Node kinds in a type graph.
const (
	KindArtifactType = "artifact_type"
	KindJobType      = "job_type"
)

// TypeNode is an artifact type or a job type in a project's type graph.
type TypeNode struct {
	ID   string `json:"id"`   // "artifact_type:<type>" or "job_type:<job type>"
	Kind string `json:"kind"` // KindArtifactType or KindJobType
	Name string `json:"name"` // the type or job type itself
	// Count is how many collections of the project have the artifact type,
	// or how many runs of the project have the job type. An artifact type
	// the project's runs only used or logged in other projects counts 0.
	Count int `json:"count"`
}

// ArtifactTypeNodeID is the type graph node id of artifact type typ.
func ArtifactTypeNodeID(typ string) string { return KindArtifactType + ":" + typ }

// JobTypeNodeID is the type graph node id of job type jobType.
func JobTypeNodeID(jobType string) string { return KindJobType + ":" + jobType }

// TypeGraph is a project's graph of artifact types and job types: an edge
// artifact type → job type when a run of the job type used a version of the
// type, job type → artifact type when one logged such a version. It is the
// lineage of the project folded by type. After Sort, nodes are ordered by
// kind, then name; edges by From, then To.
type TypeGraph struct {
	Nodes []TypeNode `json:"nodes"`
	Edges []Edge     `json:"edges"`
}

// Sort orders g as TypeGraph documents and makes nil lists empty, so that
// the graph encodes as lists, never null.
func (g *TypeGraph) Sort() {
	if g.Nodes == nil {
		g.Nodes = []TypeNode{}
	}
	if g.Edges == nil {
		g.Edges = []Edge{}
	}
	slices.SortFunc(g.Nodes, func(a, b TypeNode) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(g.Edges, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
}
