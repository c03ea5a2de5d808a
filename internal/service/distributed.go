package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// Distributed artifacts: several runs upsert entries into one pending
// artifact, one run finishes it as a version (see meta.UpsertPending).

// UpsertArtifact implements API.
func (s *Service) UpsertArtifact(ctx context.Context, req UpsertRequest) (res LogResult, err error) {
	u, _, _, err := s.checkUpsert(ctx, req, false)
	if err != nil {
		return LogResult{}, err
	}
	// The leases end with the upsert, unless it answers Missing (as for
	// LogArtifact): recorded, the pending entries keep their blobs.
	until := s.now().Add(s.leaseTTL)
	defer func() {
		if err != nil || len(res.Missing) == 0 {
			s.endLeases(ctx, req.Manifest, until)
		}
	}()
	// The blobs are stored before their entries are recorded, so a
	// pending artifact never names a blob the store lacks.
	missing, err := s.missingOf(ctx, req.Manifest, until)
	if err != nil {
		return LogResult{}, err
	}
	if len(missing) > 0 {
		return LogResult{Missing: missing}, nil
	}
	if err := s.syncBlobs(ctx); err != nil {
		return LogResult{}, err
	}
	err = s.meta.UpsertPending(ctx, u)
	if mbe := (*meta.MissingBlobsError)(nil); errors.As(err, &mbe) {
		// Collected since missingOf looked, or never leased: upload again.
		return LogResult{Missing: mbe.Digests}, nil
	}
	if err != nil {
		return LogResult{}, err
	}
	s.log.DebugContext(ctx, "upserted artifact", "name", req.Name, "distributed_id", req.DistributedID,
		"run", req.RunID, "entries", req.Manifest.Len())
	return LogResult{}, nil
}

// FinishArtifact implements API.
func (s *Service) FinishArtifact(ctx context.Context, req UpsertRequest) (res LogResult, err error) {
	u, md, aliases, err := s.checkUpsert(ctx, req, true)
	if err != nil {
		return LogResult{}, err
	}
	until := s.now().Add(s.leaseTTL)
	defer func() {
		if err != nil || len(res.Missing) == 0 {
			s.endLeases(ctx, req.Manifest, until)
		}
	}()
	// Only the finisher's own blobs need a check: upserted entries had
	// theirs checked when they were upserted, and garbage collection keeps
	// what pending entries name.
	missing, err := s.missingOf(ctx, req.Manifest, until)
	if err != nil {
		return LogResult{}, err
	}
	if len(missing) > 0 {
		return LogResult{Missing: missing}, nil
	}
	if err := s.syncBlobs(ctx); err != nil {
		return LogResult{}, err
	}
	v, created, err := s.meta.FinishPending(ctx, meta.Finish{
		Upsert: u, Description: req.Description, Metadata: md, Aliases: aliases, AllowEmpty: req.AllowEmpty,
	})
	if mbe := (*meta.MissingBlobsError)(nil); errors.As(err, &mbe) {
		return LogResult{Missing: mbe.Digests}, nil
	}
	if err != nil {
		return LogResult{}, err
	}
	s.log.DebugContext(ctx, "finished artifact", "version", v.FullName(), "created", created,
		"distributed_id", req.DistributedID, "digest", v.Digest)
	return LogResult{Version: v, Created: created}, nil
}

// checkUpsert checks an UpsertRequest (checkUpsertRequest) and returns it
// as the metadata store takes it, with its metadata and custom aliases.
func (s *Service) checkUpsert(ctx context.Context, req UpsertRequest, finish bool) (meta.Upsert, json.RawMessage, []string, error) {
	c, err := s.checkUpsertRequest(ctx, req, finish)
	if err != nil {
		return meta.Upsert{}, nil, nil, err
	}
	u := meta.Upsert{
		Entity: req.Entity, Project: req.Project, Name: req.Name, Type: req.Type,
		DistributedID: req.DistributedID, Manifest: req.Manifest, RunID: req.RunID, Now: s.now(),
		RequireBlobs: true,
	}
	return u, c.metadata, c.aliases, nil
}

// DefaultPendingTTL is the default of Options.PendingTTL: a week without an
// upsert.
const DefaultPendingTTL = 7 * 24 * time.Hour

// PendingManager is the optional ability of an API to list, inspect and
// abandon pending (distributed) artifacts. *Service has it, and so do the
// access guard (package authz: Read access to list and inspect, Write to
// abandon) and the HTTP client. Check for it with a type assertion.
type PendingManager interface {
	// PendingArtifacts lists the open pending artifacts of a project, by
	// name and distributed id, without their entries; empty for an
	// unknown project.
	PendingArtifacts(ctx context.Context, entity, project string) ([]PendingArtifact, error)
	// PendingArtifact returns a pending artifact, open or finished, with
	// its entries; core.ErrNotFound if nobody upserted to it (or it was
	// abandoned).
	PendingArtifact(ctx context.Context, ref PendingRef) (PendingDetail, error)
	// AbandonArtifact deletes an open pending artifact with its entries and
	// returns it as it was, without its entries. Its blobs are then
	// collectable unless something else holds them, and its distributed id
	// starts afresh: the next upsert creates a new pending artifact.
	// core.ErrNotFound if there is none; core.ErrConflict, naming the
	// version, when it was finished.
	AbandonArtifact(ctx context.Context, ref PendingRef) (PendingArtifact, error)
}

var _ PendingManager = (*Service)(nil)

// PendingRef names a pending artifact: its collection and distributed id.
type PendingRef struct {
	Entity        string `json:"entity"`
	Project       string `json:"project"`
	Name          string `json:"name"`
	DistributedID string `json:"distributed_id"`
}

// PendingArtifact is a pending (distributed) artifact as the API shows it.
type PendingArtifact struct {
	PendingRef
	Type      string `json:"type"`
	State     string `json:"state"`      // "open", or "finished" once finished
	FileCount int    `json:"file_count"` // entries so far
	Size      int64  `json:"size"`       // their total size, bytes
	// Runs are the ids of the runs that upserted to it (its writers), sorted;
	// over HTTP only those the caller may read.
	Runs []string `json:"runs"`
	// Version is the version it was finished as (entity/project/name:vN);
	// "" while open.
	Version   string    `json:"version,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"` // the last upsert
	// ExpiresAt is when an open pending artifact is abandoned unless it is
	// upserted to or finished before (the server's --pending-ttl after
	// UpdatedAt); nil when pending artifacts never expire.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// PendingDetail is a pending artifact with its entries so far.
type PendingDetail struct {
	PendingArtifact
	Entries []core.Entry `json:"entries"` // in path order
}

// pendingStore is what the pending artifacts' management needs of the
// metadata store; *meta.Store has it (internal/meta/pending.go, staged.go).
type pendingStore interface {
	GetPending(ctx context.Context, entity, project, name, distributedID string) (meta.Pending, error)
	ListPending(ctx context.Context, entity, project string) ([]meta.Pending, error)
	AbandonPending(ctx context.Context, entity, project, name, distributedID string) (meta.Pending, error)
	AbandonStalePending(ctx context.Context, before time.Time) ([]meta.Pending, error)
	CleanStaged(ctx context.Context, before time.Time) (int, error)
	GetVersion(ctx context.Context, id int64) (core.Version, error)
}

// pendings returns the metadata store as a pendingStore.
func (s *Service) pendings() (pendingStore, error) {
	ps, ok := s.meta.(pendingStore)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this store cannot list or abandon pending artifacts")
	}
	return ps, nil
}

// checkPendingRef validates the names of a PendingRef.
func checkPendingRef(r PendingRef) error {
	if err := core.ValidateEntity(r.Entity); err != nil {
		return err
	}
	if err := core.ValidateProject(r.Project); err != nil {
		return err
	}
	if err := core.ValidateName(r.Name); err != nil {
		return err
	}
	if r.DistributedID == "" {
		return core.Errorf(core.ErrInvalid, "distributed artifact %s: no distributed id", r.Name)
	}
	return core.ValidateLabel("distributed id", r.DistributedID)
}

// pendingArtifact converts a stored pending artifact.
func (s *Service) pendingArtifact(ctx context.Context, ps pendingStore, p meta.Pending) (PendingArtifact, error) {
	out := PendingArtifact{
		PendingRef: PendingRef{Entity: p.Entity, Project: p.Project, Name: p.Name, DistributedID: p.DistributedID},
		Type:       p.Type, State: string(p.State), FileCount: p.FileCount, Size: p.Size, Runs: p.Runs,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if out.Runs == nil {
		out.Runs = []string{}
	}
	if p.State == meta.PendingOpen && s.pendingTTL > 0 {
		t := p.UpdatedAt.Add(s.pendingTTL)
		out.ExpiresAt = &t
	}
	if p.VersionID != 0 {
		// A version deleted since keeps its name out of sight.
		if v, err := ps.GetVersion(ctx, p.VersionID); err == nil {
			out.Version = v.FullName()
		} else if !errors.Is(err, core.ErrNotFound) {
			return PendingArtifact{}, err
		}
	}
	return out, nil
}

// PendingArtifacts implements PendingManager.
func (s *Service) PendingArtifacts(ctx context.Context, entity, project string) ([]PendingArtifact, error) {
	if err := core.ValidateEntity(entity); err != nil {
		return nil, err
	}
	if err := core.ValidateProject(project); err != nil {
		return nil, err
	}
	ps, err := s.pendings()
	if err != nil {
		return nil, err
	}
	list, err := ps.ListPending(ctx, entity, project)
	if err != nil {
		return nil, err
	}
	out := make([]PendingArtifact, 0, len(list))
	for _, p := range list {
		pa, err := s.pendingArtifact(ctx, ps, p)
		if err != nil {
			return nil, err
		}
		out = append(out, pa)
	}
	return out, nil
}

// PendingArtifact implements PendingManager.
func (s *Service) PendingArtifact(ctx context.Context, ref PendingRef) (PendingDetail, error) {
	if err := checkPendingRef(ref); err != nil {
		return PendingDetail{}, err
	}
	ps, err := s.pendings()
	if err != nil {
		return PendingDetail{}, err
	}
	p, err := ps.GetPending(ctx, ref.Entity, ref.Project, ref.Name, ref.DistributedID)
	if err != nil {
		return PendingDetail{}, err
	}
	pa, err := s.pendingArtifact(ctx, ps, p)
	if err != nil {
		return PendingDetail{}, err
	}
	return PendingDetail{PendingArtifact: pa, Entries: append([]core.Entry{}, p.Manifest.Entries()...)}, nil
}

// AbandonArtifact implements PendingManager.
func (s *Service) AbandonArtifact(ctx context.Context, ref PendingRef) (PendingArtifact, error) {
	if err := checkPendingRef(ref); err != nil {
		return PendingArtifact{}, err
	}
	ps, err := s.pendings()
	if err != nil {
		return PendingArtifact{}, err
	}
	p, err := ps.AbandonPending(ctx, ref.Entity, ref.Project, ref.Name, ref.DistributedID)
	if err != nil {
		return PendingArtifact{}, err
	}
	s.log.InfoContext(ctx, "abandoned distributed artifact", "entity", ref.Entity, "project", ref.Project,
		"name", ref.Name, "distributed_id", ref.DistributedID, "entries", p.FileCount)
	out, err := s.pendingArtifact(ctx, ps, p)
	out.ExpiresAt = nil
	return out, err
}

// AbandonStale abandons, as AbandonArtifact does, every open pending
// artifact nobody upserted to for the service's PendingTTL, and returns how
// many. The periodic sweeps of a server and garbage collection call it, so
// that the blobs of distributed artifacts nobody finishes are collected in
// the end. Safe for concurrent use, also by several processes or servers.
func (s *Service) AbandonStale(ctx context.Context) (int, error) {
	if s.pendingTTL < 0 {
		return 0, nil
	}
	ps, err := s.pendings()
	if err != nil {
		return 0, nil // nothing to abandon in a store without pending artifacts
	}
	n := 0
	for {
		got, err := ps.AbandonStalePending(ctx, s.now().Add(-s.pendingTTL))
		for _, p := range got {
			s.log.InfoContext(ctx, "abandoned stale distributed artifact", "entity", p.Entity, "project", p.Project,
				"name", p.Name, "distributed_id", p.DistributedID, "entries", p.FileCount, "updated_at", p.UpdatedAt)
		}
		n += len(got)
		if err != nil || len(got) == 0 {
			return n, err
		}
	}
}

// CleanStaged removes what commits of large manifests that crashed left
// behind (see internal/meta/staged.go): stagings older than twice the lease
// time, which no running commit can be (a staged commit gives up after half
// of it). Garbage collection and a server's sweeps call it.
func (s *Service) CleanStaged(ctx context.Context) (int, error) {
	ps, err := s.pendings()
	if err != nil {
		return 0, nil
	}
	n, err := ps.CleanStaged(ctx, s.now().Add(-2*s.leaseTTL))
	if n > 0 {
		s.log.InfoContext(ctx, "removed the staged entries of interrupted commits", "count", n)
	}
	return n, err
}
