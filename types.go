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

// Graph is a lineage subgraph: runs and versions, and the edges between them
// in the direction data flows.
type Graph = core.Graph

// Node is a run or a version in a Graph.
type Node = core.Node

// Edge is an edge of a Graph.
type Edge = core.Edge

// Direction selects which way a lineage query walks.
type Direction = core.Direction

// Lineage directions.
const (
	Upstream   = core.Upstream
	Downstream = core.Downstream
	Both       = core.Both
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
