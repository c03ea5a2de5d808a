package trove

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Distributed artifacts: runs working in parallel (one group, or one
// DistributedID) each add their files to one pending version with
// UpsertArtifact; once all are done, one run finishes it with
// FinishArtifact, and only then does it become a version vN.

// UpsertArtifact adds a's files to the pending version of a's collection
// keyed by a.DistributedID, or by the run's Group when that is "". Files
// are hashed in place and only blobs the store lacks are uploaded, as for
// LogArtifact; then all of a's entries are recorded at once. A path that
// another run added with the same content is fine; with other content, or
// when a path would be both a file and a directory ("x" and "x/y"), the
// upsert fails with core.ErrConflict naming both and none of a's entries
// is recorded.
// core.ErrConflict too once the pending version is finished; core.ErrInvalid
// without a group or distributed id, or for a type other than the pending
// version's or the collection's.
func (r *Run) UpsertArtifact(ctx context.Context, a *Artifact) error {
	_, err := r.c.upsertArtifact(ctx, r, a, nil, false)
	return err
}

// FinishArtifact adds a's own files (maybe none) as UpsertArtifact does, then
// commits the pending version as LogArtifact commits one: it gets the next
// vN (or dedups to a version with the same content), latest and aliases.
// The run is its creator, and every run that upserted to it is one of its
// producers in the lineage. A second finish, or an upsert after it, is
// core.ErrConflict; finishing a pending version with no entry at all
// (neither upserted nor a's own) is core.ErrInvalid unless a.AllowEmpty. A
// finisher with no files of its own is fine when writers upserted some.
func (r *Run) FinishArtifact(ctx context.Context, a *Artifact, aliases ...string) (*Version, error) {
	v, err := r.c.upsertArtifact(ctx, r, a, aliases, true)
	if err != nil {
		return nil, err
	}
	return r.c.newVersion(v), nil
}

// upsertArtifact runs the upload protocol for an upsert or a finish: build
// the manifest, learn what is missing, upload only that, record.
func (c *Client) upsertArtifact(ctx context.Context, r *Run, a *Artifact, aliases []string, finish bool) (core.Version, error) {
	if err := a.validate(); err != nil {
		return core.Version{}, err
	}
	id := a.DistributedID
	if id == "" {
		id = r.Group
	}
	if id == "" {
		return core.Version{}, core.Errorf(core.ErrInvalid, "distributed artifact %s: set the run's Group or the artifact's DistributedID", a.Name)
	}
	for _, al := range aliases {
		if al != core.LatestAlias {
			if err := core.ValidateAlias(al); err != nil {
				return core.Version{}, err
			}
		}
	}
	var md json.RawMessage
	if a.Metadata != nil {
		b, err := json.Marshal(a.Metadata)
		if err != nil {
			return core.Version{}, core.Errorf(core.ErrInvalid, "artifact metadata: %w", err)
		}
		md = b
	}
	m, err := c.buildManifest(ctx, a)
	if err != nil {
		return core.Version{}, err
	}
	req := service.UpsertRequest{
		LogRequest: service.LogRequest{
			Entity: r.Entity, Project: r.Project, Name: a.Name, Type: a.Type,
			Description: a.Description, Metadata: md, Aliases: aliases, RunID: r.ID, Manifest: m,
			AllowEmpty: a.AllowEmpty,
		},
		DistributedID: id,
	}
	send := c.api.UpsertArtifact
	if finish {
		send = c.api.FinishArtifact
	}
	var res service.LogResult
	for attempt := 0; ; attempt++ {
		if res, err = send(ctx, req); err != nil {
			return core.Version{}, err
		}
		if len(res.Missing) == 0 {
			break
		}
		if attempt == maxUploadRounds {
			return core.Version{}, core.Errorf(core.ErrUnavailable, "upsert %s: %d blobs still missing after %d uploads", a.Name, len(res.Missing), attempt)
		}
		if err := c.upload(ctx, a, m, res.Missing); err != nil {
			return core.Version{}, err
		}
	}
	if a.manifest == nil {
		a.manifest = &m
		a.removeTemp()
	}
	return res.Version, nil
}

// PendingArtifact is a distributed artifact being built: its collection and
// distributed id, type, entry count, size, writer runs and times.
type PendingArtifact = service.PendingArtifact

// PendingDetail is a PendingArtifact with its entries so far.
type PendingDetail = service.PendingDetail

// pendingManager returns the store's management of pending artifacts.
func (c *Client) pendingManager() (service.PendingManager, error) {
	pm, ok := c.api.(service.PendingManager)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this store cannot list or abandon pending artifacts")
	}
	return pm, nil
}

// pendingRef names the pending artifact of [[entity/]project/]name keyed
// by distributedID.
func (c *Client) pendingRef(name, distributedID string) (service.PendingRef, error) {
	r, err := c.qualify(name)
	if err != nil {
		return service.PendingRef{}, err
	}
	if r.Selector != "" {
		return service.PendingRef{}, core.Errorf(core.ErrInvalid, "distributed artifact %s: a pending artifact has no version yet; name it without :%s", name, r.Selector)
	}
	return service.PendingRef{Entity: r.Entity, Project: r.Project, Name: r.Name, DistributedID: distributedID}, nil
}

// PendingArtifacts lists the open pending artifacts of a project ("" for
// the client's default, "entity/project" for another entity's), by name and
// distributed id.
func (c *Client) PendingArtifacts(ctx context.Context, project string) ([]PendingArtifact, error) {
	entity := c.entity
	if project == "" {
		project = c.project
	} else if e, p, ok := strings.Cut(project, "/"); ok {
		entity, project = e, p
	}
	pm, err := c.pendingManager()
	if err != nil {
		return nil, err
	}
	return pm.PendingArtifacts(ctx, entity, project)
}

// PendingArtifact returns the pending artifact of [[entity/]project/]name
// keyed by distributedID, open or finished, with its entries;
// ErrNotFound if nobody upserted to it or it was abandoned.
func (c *Client) PendingArtifact(ctx context.Context, name, distributedID string) (PendingDetail, error) {
	ref, err := c.pendingRef(name, distributedID)
	if err != nil {
		return PendingDetail{}, err
	}
	pm, err := c.pendingManager()
	if err != nil {
		return PendingDetail{}, err
	}
	return pm.PendingArtifact(ctx, ref)
}

// AbandonArtifact deletes the open pending artifact of
// [[entity/]project/]name keyed by distributedID with its entries, and
// returns it as it was: its blobs may then be garbage collected, and the
// next upsert with that id starts a new one. ErrNotFound if there is none;
// ErrConflict if it was finished. A server abandons pending artifacts
// nobody upserted to for its --pending-ttl (a week by default) itself.
func (c *Client) AbandonArtifact(ctx context.Context, name, distributedID string) (PendingArtifact, error) {
	ref, err := c.pendingRef(name, distributedID)
	if err != nil {
		return PendingArtifact{}, err
	}
	pm, err := c.pendingManager()
	if err != nil {
		return PendingArtifact{}, err
	}
	return pm.AbandonArtifact(ctx, ref)
}
