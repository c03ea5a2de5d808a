package service

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/troveml/trove/internal/meta"
)

// Distributed artifacts: several runs upsert entries into one pending
// artifact, one run finishes it as a version (see meta.UpsertPending).

// UpsertArtifact implements API.
func (s *Service) UpsertArtifact(ctx context.Context, req UpsertRequest) (LogResult, error) {
	u, _, _, err := s.checkUpsert(ctx, req, false)
	if err != nil {
		return LogResult{}, err
	}
	// The blobs are stored before their entries are recorded, so a
	// pending artifact never names a blob the store lacks.
	missing, err := s.missingOf(ctx, req.Manifest)
	if err != nil {
		return LogResult{}, err
	}
	if len(missing) > 0 {
		return LogResult{Missing: missing}, nil
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
func (s *Service) FinishArtifact(ctx context.Context, req UpsertRequest) (LogResult, error) {
	u, md, aliases, err := s.checkUpsert(ctx, req, true)
	if err != nil {
		return LogResult{}, err
	}
	// Only the finisher's own blobs need a check: upserted entries had
	// theirs checked when they were upserted, and garbage collection keeps
	// what pending entries name.
	missing, err := s.missingOf(ctx, req.Manifest)
	if err != nil {
		return LogResult{}, err
	}
	if len(missing) > 0 {
		return LogResult{Missing: missing}, nil
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
