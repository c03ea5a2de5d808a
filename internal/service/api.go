package service

import (
	"context"
	"encoding/json"
	"io"

	"github.com/troveml/trove/internal/core"
)

// API is Trove's behaviour as the SDK and the CLI see it. *Service implements
// it in-process on a metadata and a blob store; the HTTP client implements it
// against a server. One conformance suite (servicetest) runs against both.
//
// References passed to API methods are fully qualified (entity and project
// set): defaults are the caller's business. Every method is safe for
// concurrent use and returns errors of the kinds in package core.
type API interface {
	// CreateRun starts a run in state running.
	CreateRun(ctx context.Context, r NewRun) (core.Run, error)
	// GetRun finds a run by id (in any project) or, failing that, by display
	// name in the given project (the newest of that name). core.ErrNotFound
	// when neither matches.
	GetRun(ctx context.Context, entity, project, idOrName string) (core.Run, error)
	// ListRuns lists a project's runs in start order; empty for an unknown
	// project.
	ListRuns(ctx context.Context, entity, project string) ([]core.Run, error)
	// FinishRun sets a running run's final state (finished, failed or
	// crashed).
	FinishRun(ctx context.Context, runID string, state core.RunState) (core.Run, error)
	// Heartbeat records that a running run is alive.
	Heartbeat(ctx context.Context, runID string) error

	// MissingBlobs returns, in the given order, the digests the caller must
	// upload: those the store lacks and, behind a server's access checks
	// (package authz), stored ones the caller may not read, so that knowing
	// a digest never grants access to its content.
	MissingBlobs(ctx context.Context, digests []core.Digest) ([]core.Digest, error)
	// PutBlob stores a blob, verifying its digest and size (size -1 =
	// unknown); core.ErrCorrupt on mismatch, in which case nothing is stored.
	PutBlob(ctx context.Context, d core.Digest, size int64, r io.Reader) error
	// GetBlob opens a blob for reading; the reader returns core.ErrCorrupt
	// at the end when the bytes do not match d. core.ErrNotFound if absent.
	GetBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error)

	// LogArtifact commits a version (§2.1–2.3). Content identical to a
	// committed version of the collection dedups to it, whatever blobs are
	// stored. Otherwise, when some blobs of the manifest are not stored,
	// nothing is committed and the result lists them in Missing: the caller
	// uploads those and calls again. This is the upload protocol — send the
	// manifest, learn what is missing, upload only that, commit. A manifest
	// with no entries is core.ErrInvalid unless req.AllowEmpty; values over
	// the limits of core/limits.go are core.ErrTooLarge.
	LogArtifact(ctx context.Context, req LogRequest) (LogResult, error)
	// UseArtifact resolves ref and records it as an input of the run.
	UseArtifact(ctx context.Context, runID string, ref core.Ref) (core.Version, error)
	// Artifact resolves a reference to a committed version.
	Artifact(ctx context.Context, ref core.Ref) (core.Version, error)
	// ArtifactVersions lists the committed versions of a collection, oldest
	// first (ref's selector is ignored).
	ArtifactVersions(ctx context.Context, ref core.Ref) ([]core.Version, error)
	// Collections lists a project's artifacts that have a version, by name;
	// typ "" means all.
	Collections(ctx context.Context, entity, project, typ string) ([]core.Collection, error)
	// Projects lists an entity's projects, by name.
	Projects(ctx context.Context, entity string) ([]string, error)
	// Manifest returns a version's entries.
	Manifest(ctx context.Context, ref core.Ref) (core.Manifest, error)
	// Entry returns one entry of a version by path.
	Entry(ctx context.Context, ref core.Ref, path string) (core.Entry, error)
	// UpdateArtifact changes a version's description, metadata and aliases.
	UpdateArtifact(ctx context.Context, ref core.Ref, u Update) (core.Version, error)
	// DeleteArtifact soft-deletes a version; refused with core.ErrConflict
	// while it has aliases unless deleteAliases.
	DeleteArtifact(ctx context.Context, ref core.Ref, deleteAliases bool) error
	// LoggedBy returns the run that first logged the version, or nil.
	LoggedBy(ctx context.Context, ref core.Ref) (*core.Run, error)
	// UsedBy returns the runs that used the version, earliest first.
	UsedBy(ctx context.Context, ref core.Ref) ([]core.Run, error)
	// RunOutputs returns the versions a run logged, earliest first.
	RunOutputs(ctx context.Context, runID string) ([]core.Version, error)
	// RunInputs returns the versions a run used, earliest first.
	RunInputs(ctx context.Context, runID string) ([]core.Version, error)
	// Lineage returns the lineage subgraph around a version or a run.
	Lineage(ctx context.Context, q LineageRequest) (core.Graph, error)
	// Diff compares two versions' manifests.
	Diff(ctx context.Context, from, to core.Ref) (core.Diff, error)
	// TypeGraph returns a project's graph of artifact types and job types
	// (see core.TypeGraph), sorted, with empty lists for a project with
	// nothing in it. core.ErrNotFound for an unknown project.
	TypeGraph(ctx context.Context, entity, project string) (core.TypeGraph, error)

	// LinkArtifact links a committed version (a link's source, when the
	// source is a link) into a registry collection, creating the
	// collection on its first link with the version's type, and returns
	// the link: its own index and aliases, the source's content and
	// lineage, no data copied. Linking a version linked there already
	// returns that link and only moves the aliases. core.ErrNotFound for
	// an unknown registry, source or run; core.ErrInvalid when the
	// registry does not accept the type or the collection holds another.
	LinkArtifact(ctx context.Context, req LinkRequest) (core.Version, error)
	// Registries lists every registry, by name.
	Registries(ctx context.Context) ([]core.Registry, error)
	// CreateRegistry creates a registry; core.ErrConflict if it exists.
	CreateRegistry(ctx context.Context, r core.Registry) (core.Registry, error)
	// UpdateRegistry replaces a registry's types and protected aliases;
	// core.ErrNotFound for an unknown registry.
	UpdateRegistry(ctx context.Context, r core.Registry) (core.Registry, error)
	// Links lists the committed links of a version (of its source, for a
	// link), oldest first.
	Links(ctx context.Context, ref core.Ref) ([]core.Version, error)
	// UpsertArtifact adds the request's entries to the pending (distributed)
	// artifact of the collection keyed by req.DistributedID, for run
	// req.RunID (required), without committing a version. As in
	// LogArtifact, blobs the store lacks are listed in Missing and nothing
	// is recorded. A path pending already with another digest is
	// core.ErrConflict and nothing of the request is recorded; with the same
	// digest it is a harmless retry. core.ErrConflict once the pending
	// artifact is finished; core.ErrInvalid for a type that differs from
	// the pending artifact's or the collection's.
	UpsertArtifact(ctx context.Context, req UpsertRequest) (LogResult, error)
	// FinishArtifact adds the request's own entries as UpsertArtifact does,
	// then commits all the pending entries as a version as LogArtifact
	// does, for run req.RunID (its creator); every run that upserted gets
	// an output edge to it. core.ErrConflict if it was finished already;
	// core.ErrInvalid when there is no entry at all, unless
	// req.AllowEmpty.
	FinishArtifact(ctx context.Context, req UpsertRequest) (LogResult, error)
}

// BlobIngester is the optional ability of an API to store a blob whose
// digest the caller has not computed yet, so that a client can upload a
// large new file while it hashes it, reading the file once. Check for it
// with a type assertion.
type BlobIngester interface {
	// IngestBlob stores exactly size bytes read from r and returns their
	// digest. Before reading r it refuses with core.ErrConflict when the
	// store already has a file of that size (the content may be a
	// duplicate: the caller should hash it and use PutBlob, which sends
	// nothing for a stored blob) or when it cannot ingest. A body of
	// another length is core.ErrCorrupt.
	IngestBlob(ctx context.Context, size int64, r io.Reader) (core.Digest, error)
}

// NewRun describes a run to start.
type NewRun struct {
	Entity  string          `json:"entity"`
	Project string          `json:"project"`
	Name    string          `json:"name"` // "" → adjective-noun-N
	JobType string          `json:"job_type"`
	Group   string          `json:"group"`
	Config  json.RawMessage `json:"config"` // JSON object or null
	Tags    []string        `json:"tags"`
}

// LogRequest is a version to commit.
type LogRequest struct {
	Entity      string          `json:"entity"`
	Project     string          `json:"project"`
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Description string          `json:"description"`
	Metadata    json.RawMessage `json:"metadata"` // JSON object or null
	Aliases     []string        `json:"aliases"`  // "latest" is accepted and implied
	RunID       string          `json:"run_id"`   // the logging run; "" for none
	Manifest    core.Manifest   `json:"manifest"`
	// TTL is the version's time-to-live as a Go duration ("720h"; more
	// than 0, at most 100 years): it expires at created_at + TTL. "" means
	// none. On dedup it replaces the existing version's time-to-live, still
	// counted from that version's creation (the latest log wins); "" then
	// leaves it as it is.
	TTL string `json:"ttl,omitempty"`
	// AllowEmpty accepts a version with no entries, which is otherwise
	// refused with core.ErrInvalid (an empty artifact is nearly always a
	// mistake: an empty directory, a wrong glob). For a finish it applies
	// to all the pending entries, the finisher's own and the upserted ones.
	AllowEmpty bool `json:"allow_empty,omitempty"`
}

// LogResult is the version a LogArtifact landed on, or the blobs it lacks.
type LogResult struct {
	Version core.Version  `json:"version"`           // zero when Missing is not empty
	Created bool          `json:"created"`           // false when the content deduplicated to an existing version
	Missing []core.Digest `json:"missing,omitempty"` // blobs to upload before logging again; nothing was committed
}

// Update changes a version; nil fields stay.
type Update struct {
	Description *string         `json:"description,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"` // replaces the whole object
	AddAliases  []string        `json:"add_aliases,omitempty"`
	DelAliases  []string        `json:"remove_aliases,omitempty"`
	// TTL sets the time-to-live (a Go duration, as LogRequest.TTL): the
	// version expires at created_at + TTL, at once if that is past. "" or
	// "none" clears it.
	TTL *string `json:"ttl,omitempty"`
}

// LineageRequest selects a lineage subgraph around exactly one of Version
// and RunID.
type LineageRequest struct {
	Version   *core.Ref      `json:"version,omitempty"`
	RunID     string         `json:"run_id,omitempty"`
	Direction core.Direction `json:"direction"` // "" means both
	Depth     int            `json:"depth"`     // 0 means unlimited
}

// UpsertRequest adds entries to a pending (distributed) artifact, or
// finishes it. Description, metadata and aliases apply when it is finished.
type UpsertRequest struct {
	LogRequest
	// DistributedID keys the pending artifact within its collection:
	// usually the writers' run group.
	DistributedID string `json:"distributed_id"`
}
