package core

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// RunState is the state of a run.
type RunState string

// Run states. A run is crashed when it stayed running but its heartbeat was
// lost.
const (
	RunRunning  RunState = "running"
	RunFinished RunState = "finished"
	RunFailed   RunState = "failed"
	RunCrashed  RunState = "crashed"
)

// Valid reports whether s is one of the run states.
func (s RunState) Valid() bool {
	switch s {
	case RunRunning, RunFinished, RunFailed, RunCrashed:
		return true
	}
	return false
}

// Run is one execution of a pipeline step.
type Run struct {
	ID          string          `json:"id"`   // short random id, unique in the store
	Name        string          `json:"name"` // display name, e.g. "jumping-monkey-1"
	Entity      string          `json:"entity"`
	Project     string          `json:"project"`
	JobType     string          `json:"job_type"`
	Group       string          `json:"group"`
	Config      json.RawMessage `json:"config"` // a JSON object, "{}" when none
	Tags        []string        `json:"tags"`
	State       RunState        `json:"state"`
	StartedAt   time.Time       `json:"started_at"`
	FinishedAt  *time.Time      `json:"finished_at"`
	HeartbeatAt time.Time       `json:"heartbeat_at"`
}

// VersionState is the state of an artifact version.
type VersionState string

// Version states.
const (
	VersionPending   VersionState = "pending"
	VersionCommitted VersionState = "committed"
	VersionDeleted   VersionState = "deleted"
)

// Collection is an artifact: a named sequence of versions of one type.
type Collection struct {
	Entity       string    `json:"entity"`
	Project      string    `json:"project"`
	Name         string    `json:"name"`
	Type         string    `json:"type"`
	CreatedAt    time.Time `json:"created_at"`
	VersionCount int       `json:"version_count"` // committed versions
	Latest       string    `json:"latest"`        // "vN" of the latest version, "" when none
}

// Version is one immutable version of an artifact.
type Version struct {
	ID          int64           `json:"-"` // store-internal
	Entity      string          `json:"entity"`
	Project     string          `json:"project"`
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Index       int             `json:"index"`
	Digest      Digest          `json:"digest"`
	Description string          `json:"description"`
	Metadata    json.RawMessage `json:"metadata"` // a JSON object, "{}" when none
	Aliases     []string        `json:"aliases"`  // sorted
	Size        int64           `json:"size"`
	FileCount   int             `json:"file_count"`
	State       VersionState    `json:"state"`
	CreatedAt   time.Time       `json:"created_at"`
	CreatedBy   string          `json:"created_by"` // id of the run that first logged it, "" when none
	// Source is, for a version linked into a registry collection, the
	// fully qualified version it links ("entity/project/name:vN"); "" for
	// a version that holds its own manifest.
	Source string `json:"source,omitempty"`
	// ExpiresAt is when a version with a time-to-live expires (created_at
	// + ttl); nil for a version that never expires.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Label returns "vN".
func (v Version) Label() string { return VersionLabel(v.Index) }

// Ref returns the fully qualified reference entity/project/name:vN.
func (v Version) Ref() Ref {
	return Ref{Entity: v.Entity, Project: v.Project, Name: v.Name, Selector: v.Label()}
}

// FullName returns "entity/project/name:vN".
func (v Version) FullName() string { return v.Ref().String() }

// HasAlias reports whether v carries alias a.
func (v Version) HasAlias(a string) bool {
	for _, x := range v.Aliases {
		if x == a {
			return true
		}
	}
	return false
}

// Direction selects which way a lineage query walks.
type Direction string

// Lineage directions.
const (
	Upstream   Direction = "upstream"   // towards what a node was made from
	Downstream Direction = "downstream" // towards what was made from a node
	Both       Direction = "both"
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return d == Upstream || d == Downstream || d == Both }

// Node kinds in a lineage graph.
const (
	KindArtifact = "artifact"
	KindRun      = "run"
)

// Node is a run or an artifact version in a lineage graph.
type Node struct {
	ID      string   // "run:<run id>" or "artifact:<entity>/<project>/<name>:vN"
	Kind    string   // KindArtifact or KindRun
	Entity  string   //
	Project string   //
	Name    string   // artifact: "name:vN"; run: display name
	Type    string   // artifact type
	Aliases []string // artifact aliases, sorted
	RunID   string   // run id
	JobType string   // run job type
	State   string   // run state
	Depth   int      // edges from the start node along the walk
}

// RunNodeID is the lineage node id of run id.
func RunNodeID(id string) string { return "run:" + id }

// ArtifactNodeID is the lineage node id of a version.
func ArtifactNodeID(v Version) string { return "artifact:" + v.FullName() }

// MarshalJSON writes the fields of the node's kind, and only those, so that
// every artifact node has aliases (maybe empty) and every run node a job_type.
func (n Node) MarshalJSON() ([]byte, error) {
	if n.Kind == KindRun {
		return json.Marshal(struct {
			ID      string `json:"id"`
			Kind    string `json:"kind"`
			RunID   string `json:"run_id"`
			Name    string `json:"name"`
			JobType string `json:"job_type"`
			State   string `json:"state"`
			Project string `json:"project"`
			Entity  string `json:"entity"`
		}{n.ID, n.Kind, n.RunID, n.Name, n.JobType, n.State, n.Project, n.Entity})
	}
	aliases := n.Aliases
	if aliases == nil {
		aliases = []string{}
	}
	return json.Marshal(struct {
		ID      string   `json:"id"`
		Kind    string   `json:"kind"`
		Name    string   `json:"name"`
		Type    string   `json:"type"`
		Aliases []string `json:"aliases"`
		Project string   `json:"project"`
		Entity  string   `json:"entity"`
	}{n.ID, n.Kind, n.Name, n.Type, aliases, n.Project, n.Entity})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (n *Node) UnmarshalJSON(b []byte) error {
	var w struct {
		ID      string   `json:"id"`
		Kind    string   `json:"kind"`
		RunID   string   `json:"run_id"`
		Name    string   `json:"name"`
		Type    string   `json:"type"`
		Aliases []string `json:"aliases"`
		JobType string   `json:"job_type"`
		State   string   `json:"state"`
		Project string   `json:"project"`
		Entity  string   `json:"entity"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*n = Node{ID: w.ID, Kind: w.Kind, RunID: w.RunID, Name: w.Name, Type: w.Type, Aliases: w.Aliases,
		JobType: w.JobType, State: w.State, Project: w.Project, Entity: w.Entity}
	return nil
}

// Edge is a lineage edge in the direction data flows: from a version to the
// run that used it, or from a run to the version it logged.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Graph is the answer to a lineage query. After Sort, nodes are in the
// order data flows (every node after the nodes it comes from), ties broken
// by kind, name and id, and edges follow the order of their ends.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Sort orders g deterministically: nodes topologically (Kahn's algorithm),
// among the ready ones by kind, name and id; a cycle (a run that used and
// re-logged the same content) is broken at its first node in that order.
// Edges are sorted by the positions of their From and then To nodes.
func (g *Graph) Sort() {
	less := func(a, b Node) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	}
	slices.SortFunc(g.Nodes, less)
	index := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.ID] = i
	}
	indeg := make([]int, len(g.Nodes))
	out := make([][]int, len(g.Nodes))
	for _, e := range g.Edges {
		f, okf := index[e.From]
		t, okt := index[e.To]
		if okf && okt && f != t {
			out[f] = append(out[f], t)
			indeg[t]++
		}
	}
	// ready is kept sorted by node order, so the result does not depend on
	// the input order.
	var ready []int
	for i, d := range indeg {
		if d == 0 {
			ready = append(ready, i)
		}
	}
	order := make([]int, 0, len(g.Nodes))
	placed := make([]bool, len(g.Nodes))
	for len(order) < len(g.Nodes) {
		if len(ready) == 0 {
			// Only cycles are left: break one at its first node, in
			// node order, with the fewest unplaced inputs.
			best := -1
			for i := range g.Nodes {
				if !placed[i] && (best < 0 || indeg[i] < indeg[best]) {
					best = i
				}
			}
			ready = append(ready, best)
		}
		i := ready[0]
		ready = ready[1:]
		order = append(order, i)
		placed[i] = true
		for _, t := range out[i] {
			if indeg[t]--; indeg[t] == 0 && !placed[t] {
				j, _ := slices.BinarySearch(ready, t)
				ready = slices.Insert(ready, j, t)
			}
		}
	}
	nodes := make([]Node, len(order))
	pos := make(map[string]int, len(order))
	for k, i := range order {
		nodes[k] = g.Nodes[i]
		pos[nodes[k].ID] = k
	}
	g.Nodes = nodes
	slices.SortFunc(g.Edges, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(pos[a.From], pos[b.From]), cmp.Compare(pos[a.To], pos[b.To]))
	})
}
