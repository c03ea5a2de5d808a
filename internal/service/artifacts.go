package service

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// statParallelism bounds concurrent Stat calls when checking a manifest's
// blobs; object stores answer many small requests better in parallel.
const statParallelism = 16

// MissingBlobs implements API. Digests held back by the caller (see
// holding.go) are reported missing too, after the same work as the others.
func (s *Service) MissingBlobs(ctx context.Context, digests []core.Digest) ([]core.Digest, error) {
	return s.missingBlobs(ctx, digests, nil, s.now().Add(s.leaseTTL))
}

// missingBlobs is MissingBlobs, leasing the blobs until until; when sizes
// is not nil, it also sets sizes[i] to the stored size of digests[i] for
// each blob found stored and not held back.
func (s *Service) missingBlobs(ctx context.Context, digests []core.Digest, sizes []int64, until time.Time) ([]core.Digest, error) {
	held := heldIn(ctx)
	missing := make([]bool, len(digests))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(statParallelism)
	for i, d := range digests {
		if d.IsZero() {
			return nil, core.Errorf(core.ErrInvalid, "digest %d is empty", i)
		}
		g.Go(func() error {
			n, err := s.blobs.Stat(gctx, d)
			switch {
			case held[d]:
				// Reported missing whatever the store said: its answer,
				// even an error, must not reach the caller.
			case errors.Is(err, core.ErrNotFound):
				missing[i] = true
			case err != nil:
				return err
			case sizes != nil:
				sizes[i] = n
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Lease before saying a blob is stored (gc.go); a blob being
	// collected counts as absent. Every digest asked about is leased,
	// stored or not (a lease on an absent blob is harmless, and expires),
	// so that the write does not depend on what the store holds.
	dead, err := s.leaseBlobsUntil(ctx, digests, until)
	if err != nil {
		return nil, err
	}
	// Stat again, now that the lease holds: a GC may have marked and
	// deleted a blob, and dropped its tombstone, between the first Stat
	// and the lease. A mark after the lease sees it; one before it left a
	// tombstone (dead) or a deleted blob (this Stat). Held digests are
	// missing already, as absent ones are.
	again := slices.Clone(missing)
	restat := false
	for i, d := range digests {
		if held[d] {
			again[i] = true
		}
		restat = restat || !again[i]
	}
	if _, ok := s.meta.(gcMetadata); ok && restat {
		if err := s.statMissing(ctx, digests, again); err != nil {
			return nil, err
		}
	}
	out := []core.Digest{}
	seen := make(map[core.Digest]bool)
	for i, d := range digests {
		if (again[i] || dead[d]) && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// statMissing sets missing[i] for each digest not yet missing that the
// store lacks.
func (s *Service) statMissing(ctx context.Context, digests []core.Digest, missing []bool) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(statParallelism)
	for i, d := range digests {
		if missing[i] {
			continue
		}
		g.Go(func() error {
			_, err := s.blobs.Stat(gctx, d)
			switch {
			case errors.Is(err, core.ErrNotFound):
				missing[i] = true
			case err != nil:
				return err
			}
			return nil
		})
	}
	return g.Wait()
}

// PutBlob implements API.
func (s *Service) PutBlob(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	if d.IsZero() {
		return core.Errorf(core.ErrInvalid, "blob digest is empty")
	}
	if err := s.PrepareUpload(ctx, d); err != nil {
		return err
	}
	if err := s.blobs.Put(ctx, d, size, r); err != nil {
		return err
	}
	// A long upload may outlast the lease taken before it.
	if _, err := s.leaseBlobs(ctx, []core.Digest{d}); err != nil {
		return err
	}
	return s.repaired(ctx, d)
}

var _ BlobIngester = (*Service)(nil)

// IngestBlob implements BlobIngester.
func (s *Service) IngestBlob(ctx context.Context, size int64, r io.Reader) (core.Digest, error) {
	return s.ingest(ctx, size, r, true)
}

// ingest is IngestBlob; checkSizes says whether to decline a size some
// version holds (see NewBlobIngester).
func (s *Service) ingest(ctx context.Context, size int64, r io.Reader, checkSizes bool) (core.Digest, error) {
	ing, ok := s.blobs.(interface {
		Ingest(ctx context.Context, r io.Reader) (core.Digest, int64, error)
	})
	if !ok {
		return core.Digest{}, core.Errorf(core.ErrConflict, "this blob store takes blobs by digest only")
	}
	if size < 0 {
		return core.Digest{}, core.Errorf(core.ErrInvalid, "ingesting a blob needs its size")
	}
	if checkSizes {
		known, err := s.meta.SizeKnown(ctx, size)
		if err != nil {
			return core.Digest{}, err
		}
		if known {
			return core.Digest{}, core.Errorf(core.ErrConflict, "a file of %d bytes is stored already: send the blob by digest", size)
		}
	}
	// One byte more than announced is enough to tell a longer body.
	d, n, err := ing.Ingest(ctx, io.LimitReader(r, size+1))
	if err != nil {
		return core.Digest{}, err
	}
	if n != size {
		// The bytes were stored under their own digest, which no
		// manifest names: harmless, and collected with other orphans.
		return core.Digest{}, core.Errorf(core.ErrCorrupt, "blob body is %d bytes, %d announced", n, size)
	}
	// The digest is known only now, so the lease follows the write; the
	// grace period of GC covers the gap (a fresh blob is no candidate).
	// Were d collected anyway, the commit would list it as missing.
	if _, err := s.leaseBlobs(ctx, []core.Digest{d}); err != nil {
		return core.Digest{}, err
	}
	if err := s.repaired(ctx, d); err != nil {
		return core.Digest{}, err
	}
	return d, nil
}

// GetBlob implements API.
func (s *Service) GetBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	return s.blobs.Get(ctx, d)
}

// customAliases validates aliases given by a user and drops "latest", which
// Trove manages itself and which is always implied by logging. More than
// core.MaxAliases distinct ones is core.ErrTooLarge; the store checks the
// version's total once they are added.
func customAliases(aliases []string) ([]string, error) {
	var out []string
	for _, a := range aliases {
		if a == core.LatestAlias {
			continue
		}
		if err := core.ValidateAlias(a); err != nil {
			return nil, err
		}
		if !slices.Contains(out, a) {
			if len(out) == core.MaxAliases {
				return nil, errTooManyAliases()
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// errTooManyAliases refuses more than core.MaxAliases aliases in a request.
func errTooManyAliases() error {
	return core.Errorf(core.ErrTooLarge, "more than %d aliases: a version may have at most %d (besides latest)", core.MaxAliases, core.MaxAliases)
}

// LogArtifact implements API.
func (s *Service) LogArtifact(ctx context.Context, req LogRequest) (res LogResult, err error) {
	c, err := s.checkLog(ctx, req)
	if err != nil {
		return LogResult{}, err
	}
	// The leases this commit takes end at until; they, and those taken
	// before, end with the commit, whether it succeeds or fails (gc.go),
	// unless it answers Missing: the client uploads those and commits
	// again, counting on the blobs it was told are stored.
	until := s.now().Add(s.leaseTTL)
	defer func() {
		if err != nil || len(res.Missing) == 0 {
			s.endLeases(ctx, req.Manifest, until)
		}
	}()
	// An expired version must not take the new content's dedup.
	if err := s.expire(ctx); err != nil {
		return LogResult{}, err
	}
	// §2.3: a version becomes visible only when all its blobs are stored.
	// Content identical to a committed version needs no check: its blobs
	// were checked when it was committed.
	digest := req.Manifest.Digest()
	if same, err := s.meta.FindVersionByDigest(ctx, req.Entity, req.Project, req.Name, digest); errors.Is(err, core.ErrNotFound) {
		missing, err := s.missingOf(ctx, req.Manifest, until)
		if err != nil {
			return LogResult{}, err
		}
		if len(missing) > 0 {
			return LogResult{Missing: missing}, nil
		}
	} else if err != nil {
		return LogResult{}, err
	} else if missing, err := s.damagedOf(ctx, same.ID); err != nil || len(missing) > 0 {
		// Unless verify --repair found some damaged since (verify.go).
		return LogResult{Missing: missing}, err
	}
	if err := s.syncBlobs(ctx); err != nil {
		return LogResult{}, err
	}
	now := s.now()
	v, created, err := s.meta.CommitVersion(ctx, meta.Commit{
		Entity: req.Entity, Project: req.Project, Name: req.Name, Type: req.Type,
		Manifest: req.Manifest, Description: req.Description, Metadata: c.metadata,
		Aliases: c.aliases, RunID: req.RunID, Now: now, TTL: c.ttl,
		RequireBlobs: true, LeaseUntil: until,
	})
	var mbe *meta.MissingBlobsError
	if errors.As(err, &mbe) {
		// Collected since missingOf looked, or never leased: upload again.
		return LogResult{Missing: mbe.Digests}, nil
	}
	if err != nil {
		return LogResult{}, err
	}
	s.log.DebugContext(ctx, "logged artifact", "version", v.FullName(), "created", created, "digest", v.Digest)
	return LogResult{Version: v, Created: created}, nil
}

// blobSyncer is blob.Syncer: a store that makes the blobs it stored durable
// on demand (a file:// store).
type blobSyncer interface {
	Sync(ctx context.Context) error
}

// syncBlobs makes the blobs stored so far durable (blob.Syncer), once per
// commit, before the metadata commit that references them: an acknowledged
// commit never names a blob a power loss can take. Stores without Sync (S3,
// memory) and stores opened with NoSync have nothing to do.
func (s *Service) syncBlobs(ctx context.Context) error {
	if sy, ok := s.blobs.(blobSyncer); ok {
		return sy.Sync(ctx)
	}
	return nil
}

// missingOf returns the blobs of a manifest's stored (non-reference) entries
// that the blob store lacks. An entry whose size differs from its stored
// blob's is core.ErrInvalid: such a version could never be downloaded. The
// sizes come from the Stat that finds the blobs; a blob sent later is
// checked against its entry's size as it is stored, and again when the
// manifest is logged once more.
func (s *Service) missingOf(ctx context.Context, m core.Manifest, until time.Time) ([]core.Digest, error) {
	ds := m.Blobs()
	sizes := make([]int64, len(ds))
	missing, err := s.missingBlobs(ctx, ds, sizes, until)
	if err != nil {
		return nil, err
	}
	stored := make(map[core.Digest]int64, len(ds))
	for i, d := range ds {
		stored[d] = sizes[i]
	}
	for _, d := range missing {
		delete(stored, d)
	}
	for _, e := range m.Entries() {
		if n, ok := stored[e.Digest]; ok && e.Ref == "" && n != e.Size {
			return nil, core.Errorf(core.ErrInvalid, "entry %q says %d bytes, but its blob %s has %d bytes: give the entry its file's size",
				e.Path, e.Size, e.Digest, n)
		}
	}
	return missing, nil
}

// UseArtifact implements API.
func (s *Service) UseArtifact(ctx context.Context, runID string, ref core.Ref) (core.Version, error) {
	if _, err := s.runForWrite(ctx, runID); err != nil {
		return core.Version{}, err
	}
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return core.Version{}, err
	}
	if err := s.meta.AddInput(ctx, runID, v.ID, s.now()); err != nil {
		return core.Version{}, err
	}
	return v, nil
}

// Artifact implements API.
func (s *Service) Artifact(ctx context.Context, ref core.Ref) (core.Version, error) {
	return s.resolve(ctx, ref)
}

// ArtifactVersions implements API.
func (s *Service) ArtifactVersions(ctx context.Context, ref core.Ref) ([]core.Version, error) {
	ref.Selector = ""
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if err := s.expire(ctx); err != nil {
		return nil, err
	}
	return s.meta.ListVersions(ctx, ref.Entity, ref.Project, ref.Name)
}

// Collections implements API.
func (s *Service) Collections(ctx context.Context, entity, project, typ string) ([]core.Collection, error) {
	if err := core.ValidateEntity(entity); err != nil {
		return nil, err
	}
	if err := core.ValidateProject(project); err != nil {
		return nil, err
	}
	if err := s.expire(ctx); err != nil {
		return nil, err
	}
	return s.meta.ListCollections(ctx, entity, project, typ)
}

// Projects implements API.
func (s *Service) Projects(ctx context.Context, entity string) ([]string, error) {
	if err := core.ValidateEntity(entity); err != nil {
		return nil, err
	}
	return s.meta.ListProjects(ctx, entity)
}

// Manifest implements API.
func (s *Service) Manifest(ctx context.Context, ref core.Ref) (core.Manifest, error) {
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return core.Manifest{}, err
	}
	return s.meta.Manifest(ctx, v.ID)
}

// Entry implements API.
func (s *Service) Entry(ctx context.Context, ref core.Ref, path string) (core.Entry, error) {
	if err := core.ValidatePath(path); err != nil {
		return core.Entry{}, err
	}
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return core.Entry{}, err
	}
	return s.meta.Entry(ctx, v.ID, path)
}

// UpdateArtifact implements API.
func (s *Service) UpdateArtifact(ctx context.Context, ref core.Ref, u Update) (core.Version, error) {
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return core.Version{}, err
	}
	mu := meta.VersionUpdate{Description: u.Description}
	if u.Description != nil {
		if err := checkDescription(*u.Description); err != nil {
			return core.Version{}, err
		}
	}
	if u.Metadata != nil {
		if mu.Metadata, err = checkMetadata(u.Metadata); err != nil {
			return core.Version{}, err
		}
	}
	for _, a := range u.AddAliases {
		if a == core.LatestAlias {
			if v.HasAlias(a) {
				continue // already true: nothing to do
			}
			return core.Version{}, core.Errorf(core.ErrInvalid, "alias %q is managed by Trove: it always marks the highest version", a)
		}
		if err := core.ValidateAlias(a); err != nil {
			return core.Version{}, err
		}
		if !slices.Contains(mu.AddAliases, a) {
			if len(mu.AddAliases) == core.MaxAliases {
				return core.Version{}, errTooManyAliases()
			}
			mu.AddAliases = append(mu.AddAliases, a)
		}
	}
	if u.TTL != nil {
		ttl, err := parseTTL(*u.TTL, true)
		if err != nil {
			return core.Version{}, err
		}
		mu.TTL = &ttl
	}
	for _, a := range u.DelAliases {
		if a == core.LatestAlias {
			return core.Version{}, core.Errorf(core.ErrInvalid, "alias %q is managed by Trove and cannot be removed", a)
		}
		if slices.Contains(mu.AddAliases, a) {
			return core.Version{}, core.Errorf(core.ErrInvalid, "alias %q is both added and removed", a)
		}
		if err := core.ValidateAlias(a); err != nil {
			return core.Version{}, err
		}
		if !slices.Contains(mu.DelAliases, a) {
			mu.DelAliases = append(mu.DelAliases, a)
		}
	}
	return s.meta.UpdateVersion(ctx, v.ID, mu)
}

// DeleteArtifact implements API.
func (s *Service) DeleteArtifact(ctx context.Context, ref core.Ref, deleteAliases bool) error {
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return err
	}
	return s.meta.DeleteVersionAt(ctx, v.ID, deleteAliases, s.now())
}

// LoggedBy implements API.
func (s *Service) LoggedBy(ctx context.Context, ref core.Ref) (*core.Run, error) {
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if v.Source != "" {
		// A link's lineage is its source's: so is the run that logged it
		// (the linking run is only the link's creator).
		src, err := core.ParseRef(v.Source)
		if err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "link %s: source %q: %w", v.FullName(), v.Source, err)
		}
		if v, err = s.resolve(ctx, src); err != nil {
			return nil, err
		}
	}
	if v.CreatedBy == "" {
		return nil, nil
	}
	run, err := s.meta.GetRun(ctx, v.CreatedBy)
	if err != nil {
		return nil, err
	}
	run = s.liveness(run)
	return &run, nil
}

// UsedBy implements API.
func (s *Service) UsedBy(ctx context.Context, ref core.Ref) ([]core.Run, error) {
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	runs, err := s.meta.Consumers(ctx, v.ID)
	for i := range runs {
		runs[i] = s.liveness(runs[i])
	}
	return runs, err
}

// RunOutputs implements API.
func (s *Service) RunOutputs(ctx context.Context, runID string) ([]core.Version, error) {
	if err := s.expire(ctx); err != nil {
		return nil, err
	}
	return s.meta.RunOutputs(ctx, runID)
}

// RunInputs implements API.
func (s *Service) RunInputs(ctx context.Context, runID string) ([]core.Version, error) {
	if err := s.expire(ctx); err != nil {
		return nil, err
	}
	return s.meta.RunInputs(ctx, runID)
}

// Lineage implements API.
func (s *Service) Lineage(ctx context.Context, q LineageRequest) (core.Graph, error) {
	if q.Direction == "" {
		q.Direction = core.Both
	}
	if !q.Direction.Valid() {
		return core.Graph{}, core.Errorf(core.ErrInvalid, "direction %q: want upstream, downstream or both", q.Direction)
	}
	if q.Depth < 0 {
		return core.Graph{}, core.Errorf(core.ErrInvalid, "depth %d: want 0 (unlimited) or more", q.Depth)
	}
	mq := meta.LineageQuery{Direction: q.Direction, Depth: q.Depth}
	switch {
	case q.Version != nil && q.RunID != "":
		return core.Graph{}, core.Errorf(core.ErrInvalid, "lineage starts at a version or a run, not both")
	case q.Version != nil:
		v, err := s.resolve(ctx, *q.Version)
		if err != nil {
			return core.Graph{}, err
		}
		mq.VersionID = v.ID
	case q.RunID != "":
		if err := s.expire(ctx); err != nil {
			return core.Graph{}, err
		}
		run, err := s.meta.GetRun(ctx, q.RunID)
		if err != nil {
			return core.Graph{}, err
		}
		mq.RunID = run.ID
	default:
		return core.Graph{}, core.Errorf(core.ErrInvalid, "lineage needs a version or a run to start from")
	}
	g, err := s.meta.Lineage(ctx, mq)
	if err != nil {
		return core.Graph{}, err
	}
	now := s.now()
	for i, n := range g.Nodes {
		if n.Kind == core.KindRun && n.State == string(core.RunRunning) {
			// Lineage nodes carry no heartbeat; report liveness on the run itself.
			if run, err := s.meta.GetRun(ctx, n.RunID); err == nil && now.Sub(run.HeartbeatAt) > s.heartbeatTimeout {
				g.Nodes[i].State = string(core.RunCrashed)
			}
		}
	}
	g.Sort()
	return g, nil
}

// Diff implements API.
func (s *Service) Diff(ctx context.Context, from, to core.Ref) (core.Diff, error) {
	a, err := s.Manifest(ctx, from)
	if err != nil {
		return core.Diff{}, err
	}
	b, err := s.Manifest(ctx, to)
	if err != nil {
		return core.Diff{}, err
	}
	return core.DiffManifests(a, b), nil
}

// TypeGraph implements API.
func (s *Service) TypeGraph(ctx context.Context, entity, project string) (core.TypeGraph, error) {
	if err := core.ValidateEntity(entity); err != nil {
		return core.TypeGraph{}, err
	}
	if err := core.ValidateProject(project); err != nil {
		return core.TypeGraph{}, err
	}
	if err := s.expire(ctx); err != nil {
		return core.TypeGraph{}, err
	}
	return s.meta.TypeGraph(ctx, entity, project)
}
