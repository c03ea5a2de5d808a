package meta

// This file fixes the store's API: the types its methods take and return and
// the contract of every method. The methods themselves live in store.go and
// friends. Every method is safe for concurrent use, also by several processes
// sharing one SQLite file or one PostgreSQL database, and returns errors of
// the kinds in package core (core.ErrNotFound, core.ErrConflict,
// core.ErrInvalid…; core.ErrUnavailable when the database is unreachable or
// stays locked).

import (
	"encoding/json"
	"time"

	"github.com/troveml/trove/internal/core"
)

// NewRun is what CreateRun needs to create a run.
type NewRun struct {
	ID      string          // unique run id, chosen by the caller
	Entity  string          // created if missing
	Project string          // created if missing
	Name    string          // display name; "" means AutoName(seq)
	JobType string          //
	Group   string          //
	Config  json.RawMessage // JSON object; nil means {}
	Tags    []string        //
	Now     time.Time       // start and heartbeat time
	// AutoName makes the display name from the project's run sequence number
	// (1 for the project's first run, 2 for the second, …). Called inside the
	// transaction when Name is "".
	AutoName func(seq int64) string
}

// RunUpdate changes a run; nil fields stay as they are.
type RunUpdate struct {
	State       *core.RunState
	FinishedAt  *time.Time
	HeartbeatAt *time.Time
}

// Commit is a version to log: see (*Store).CommitVersion.
type Commit struct {
	Entity, Project, Name, Type string
	Manifest                    core.Manifest
	Description                 string
	Metadata                    json.RawMessage // JSON object; nil means {}
	Aliases                     []string        // custom aliases to put on the version (validated by the caller; never "latest")
	RunID                       string          // the logging run; "" for none
	Now                         time.Time
	// TTL, when positive, makes the version expire at its created_at +
	// TTL. On dedup it replaces the existing version's time-to-live (the
	// latest log wins); 0 leaves that one as it is.
	TTL time.Duration
	// RequireBlobs makes a commit that creates a version check, in its
	// transaction, that every stored file of the manifest has no tombstone
	// and is live or leased at Now (see gc.go); otherwise it returns a
	// *MissingBlobsError and commits nothing. A commit that dedups to a
	// committed version needs no check: that version keeps its blobs.
	RequireBlobs bool
	// LeaseUntil is when a lease taken now by the caller would end (the
	// service's now + its lease time). A large manifest's commit, written
	// in steps (staged.go), extends the leases of the blobs it checked to
	// it, so that they stay while the commit ends; without it (the zero
	// time) a manifest that requires blobs is committed in one transaction.
	LeaseUntil time.Time
}

// VersionUpdate changes a version's mutable fields; nil fields stay as they
// are.
type VersionUpdate struct {
	Description *string
	Metadata    json.RawMessage // replaces the whole object when non-nil
	AddAliases  []string        // moved here from any other version of the collection
	DelAliases  []string        // each must be on the version (core.ErrNotFound otherwise)
	// TTL sets the version's expiry to created_at + *TTL (which may be past
	// already: the version then expires at the next sweep); 0 clears it.
	TTL *time.Duration
}

// LineageQuery selects a lineage subgraph.
type LineageQuery struct {
	// Start is the node to walk from: exactly one of VersionID and RunID.
	VersionID int64
	RunID     string
	Direction core.Direction
	// Depth keeps nodes at most Depth edges from Start along Direction;
	// 0 means unlimited.
	Depth int
}
