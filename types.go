package trove

import (
	"github.com/troveml/trove/internal/core"
)

// Error kinds: every error the SDK returns wraps one of them, so callers can
// test with errors.Is(err, trove.ErrNotFound), embedded and remote alike.
var (
	ErrInvalid         = core.ErrInvalid
	ErrNotFound        = core.ErrNotFound
	ErrConflict        = core.ErrConflict
	ErrCorrupt         = core.ErrCorrupt
	ErrPermission      = core.ErrPermission
	ErrUnauthenticated = core.ErrUnauthenticated
	ErrTooLarge        = core.ErrTooLarge
	ErrUnavailable     = core.ErrUnavailable
)

// Digest is a SHA-256 content address, printed as "sha256:<hex>".
type Digest = core.Digest

// ManifestEntry is one file of a version as the manifest records it.
type ManifestEntry = core.Entry

// Diff lists the paths added, removed and changed between two versions.
type Diff = core.Diff

// Graph is a lineage subgraph, what Client.Lineage, Run.Lineage and
// Version.Lineage return:
//
//	type Graph struct {
//		Nodes []Node // runs and artifact versions
//		Edges []Edge // in the direction data flows
//	}
//
// Nodes come in the order data flows (every node after the nodes it comes
// from), ties broken by kind, name and id; edges follow the order of their
// ends. It marshals to JSON as trove lineage --format json prints it:
// {"nodes": […], "edges": […]}.
type Graph = core.Graph

// Node is a run or an artifact version in a Graph; Kind tells which
// (NodeArtifact or NodeRun), and only the fields of that kind are set:
//
//	type Node struct {
//		ID      string   // "artifact:entity/project/name:vN" or "run:<run id>"
//		Kind    string   // NodeArtifact ("artifact") or NodeRun ("run")
//		Entity  string   // both kinds
//		Project string   // both kinds
//		Name    string   // artifact: "name:vN"; run: display name
//		Type    string   // artifact: its type ("dataset", "model"…)
//		Aliases []string // artifact: its aliases, sorted
//		RunID   string   // run: its id
//		JobType string   // run: its job type
//		State   string   // run: running, finished, failed or crashed
//		Depth   int      // edges from the node the query started at
//	}
//
// In JSON, an artifact node has id, kind, name, type, aliases, project and
// entity; a run node id, kind, run_id, name, job_type, state, project and
// entity.
type Node = core.Node

// Kinds of lineage nodes (Node.Kind).
const (
	NodeArtifact = core.KindArtifact // an artifact version
	NodeRun      = core.KindRun      // a run
)

// Edge is an edge of a Graph, from the node data flows out of to the node
// it flows into: a version to a run that used it (an input), or a run to a
// version it logged (an output). From and To are Node IDs:
//
//	type Edge struct {
//		From string `json:"from"`
//		To   string `json:"to"`
//	}
type Edge = core.Edge

// Direction selects which way a lineage query walks from its start node.
type Direction = core.Direction

// Lineage directions.
const (
	Upstream   = core.Upstream   // towards what the start was made from
	Downstream = core.Downstream // towards what was made from the start
	Both       = core.Both       // both ways (the default)
)

// RunState is the state of a run.
type RunState = core.RunState

// Run states.
const (
	RunRunning  = core.RunRunning
	RunFinished = core.RunFinished
	RunFailed   = core.RunFailed
	RunCrashed  = core.RunCrashed
)

// Collection describes an artifact: a named sequence of versions of one type.
type Collection = core.Collection
