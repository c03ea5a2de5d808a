package trove

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Version is a committed version of an artifact. Description, Metadata and
// Aliases may be changed and persisted with Save; the other fields describe
// the version and are not saved.
type Version struct {
	Entity    string    // owner of the project
	Project   string    // project of the artifact
	Name      string    // artifact (collection) name
	Type      string    // artifact type
	Index     int       // N of "vN"
	Digest    Digest    // digest of the manifest
	Size      int64     // total bytes of the files
	FileCount int       // number of entries
	State     string    // "committed" or "deleted"
	CreatedAt time.Time // when the version was first committed
	// Source is, for a version linked into a registry collection, the
	// fully qualified version it links; "" otherwise.
	Source string

	Description string         // free text; saved by Save
	Metadata    map[string]any // JSON object; replaced by Save
	Aliases     []string       // including "latest" when it is the newest; saved by Save
	// ExpiresAt is when the version expires (CreatedAt + its time-to-live),
	// nil when it never does; see TTL and SetTTL.
	ExpiresAt *time.Time

	c            *Client
	orig         core.Version
	ttl          *time.Duration // set by SetTTL, saved by Save
	deduplicated bool           // see Deduplicated
}

// Deduplicated reports whether the log that returned v (Run.LogArtifact)
// landed on an existing version because its content was already there: no
// new version was made, and the logged artifact's description and metadata
// were not applied (the version keeps its own; set them with Save). The
// aliases given to the log did move to v, and its time-to-live, if set,
// applies. False for a version that log created, and for versions returned
// by any other call.
func (v *Version) Deduplicated() bool { return v.deduplicated }

func (c *Client) newVersion(v core.Version) *Version {
	out := &Version{
		Entity: v.Entity, Project: v.Project, Name: v.Name, Type: v.Type, Index: v.Index,
		Digest: v.Digest, Size: v.Size, FileCount: v.FileCount, State: string(v.State),
		CreatedAt: v.CreatedAt, Source: v.Source, Description: v.Description, Aliases: slices.Clone(v.Aliases),
		ExpiresAt: v.ExpiresAt, c: c, orig: v,
	}
	if out.Aliases == nil {
		out.Aliases = []string{}
	}
	out.Metadata = decodeObject(v.Metadata)
	return out
}

// decodeObject turns a JSON object into a map; a malformed one gives an
// empty map (the store only holds objects).
func decodeObject(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// Label returns "vN".
func (v *Version) Label() string { return core.VersionLabel(v.Index) }

// FullName returns the version's qualified name, "entity/project/name:vN".
func (v *Version) FullName() string { return v.ref().String() }

// String returns FullName.
func (v *Version) String() string { return v.FullName() }

// ref is the immutable reference to this version (by index, not by alias).
func (v *Version) ref() core.Ref {
	return core.Ref{Entity: v.Entity, Project: v.Project, Name: v.Name, Selector: v.Label()}
}

// Files returns the version's entries in path order.
func (v *Version) Files(ctx context.Context) ([]ManifestEntry, error) {
	m, err := v.c.api.Manifest(ctx, v.ref())
	if err != nil {
		return nil, err
	}
	return m.Entries(), nil
}

// Entry returns the entry at path: a file of the version that can be
// downloaded alone.
func (v *Version) Entry(ctx context.Context, path string) (*Entry, error) {
	e, err := v.c.api.Entry(ctx, v.ref(), path)
	if err != nil {
		return nil, err
	}
	return &Entry{Path: e.Path, Digest: e.Digest, Size: e.Size, v: v, e: e}, nil
}

// LoggedBy returns the run that first logged the version, or nil when none
// did (it was created by using a local artifact).
func (v *Version) LoggedBy(ctx context.Context) (*Run, error) {
	r, err := v.c.api.LoggedBy(ctx, v.ref())
	if err != nil || r == nil {
		return nil, err
	}
	return v.c.newRun(*r), nil
}

// UsedBy returns the runs that used the version, earliest first.
func (v *Version) UsedBy(ctx context.Context) ([]*Run, error) {
	return v.c.runs(v.c.api.UsedBy(ctx, v.ref()))
}

// Save persists changes to Description, Metadata and Aliases: aliases added
// to the list move to this version, aliases removed from it are dropped.
// "latest" is managed by Trove: it may stay or go from the list only as it
// is.
func (v *Version) Save(ctx context.Context) error {
	var u service.Update
	if v.Description != v.orig.Description {
		d := v.Description
		u.Description = &d
	}
	if !reflect.DeepEqual(v.Metadata, decodeObject(v.orig.Metadata)) {
		b, err := json.Marshal(v.Metadata)
		if err != nil {
			return core.Errorf(core.ErrInvalid, "metadata: %w", err)
		}
		if v.Metadata == nil {
			b = []byte("{}")
		}
		u.Metadata = b
	}
	for _, a := range v.Aliases {
		if !slices.Contains(v.orig.Aliases, a) && !slices.Contains(u.AddAliases, a) {
			u.AddAliases = append(u.AddAliases, a)
		}
	}
	for _, a := range v.orig.Aliases {
		if !slices.Contains(v.Aliases, a) && a != core.LatestAlias {
			u.DelAliases = append(u.DelAliases, a)
		}
	}
	if slices.Contains(v.orig.Aliases, core.LatestAlias) && !slices.Contains(v.Aliases, core.LatestAlias) {
		return core.Errorf(core.ErrInvalid, "alias %q is managed by Trove and cannot be removed", core.LatestAlias)
	}
	if v.ttl != nil {
		s := "none"
		if *v.ttl != 0 {
			s = v.ttl.String()
		}
		u.TTL = &s
	}
	if u.Description == nil && u.Metadata == nil && len(u.AddAliases) == 0 && len(u.DelAliases) == 0 && u.TTL == nil {
		return nil
	}
	nv, err := v.c.api.UpdateArtifact(ctx, v.ref(), u)
	if err != nil {
		return err
	}
	*v = *v.c.newVersion(nv)
	return nil
}

// TTL returns the version's time-to-live: the one SetTTL set if Save has
// not run since, else ExpiresAt - CreatedAt; 0 when it never expires.
func (v *Version) TTL() time.Duration {
	switch {
	case v.ttl != nil:
		return *v.ttl
	case v.ExpiresAt != nil:
		return v.ExpiresAt.Sub(v.CreatedAt)
	}
	return 0
}

// SetTTL sets the version's time-to-live, saved by Save: the version then
// expires at CreatedAt + d (at once if that is past) and is deleted, as
// Delete with its aliases does — unless a registry links it. 0 clears it;
// Save refuses a negative d or one over 100 years with ErrInvalid.
func (v *Version) SetTTL(d time.Duration) { v.ttl = &d }

// Delete deletes the version. A version with aliases, latest included, is
// kept (ErrConflict, naming them and what deleting them would do) unless
// deleteAliases is true, which removes them with it; latest then moves to
// the highest remaining version, or goes if none remains.
func (v *Version) Delete(ctx context.Context, deleteAliases bool) error {
	if err := v.c.api.DeleteArtifact(ctx, v.ref(), deleteAliases); err != nil {
		return err
	}
	v.State = string(core.VersionDeleted)
	v.Aliases = []string{}
	return nil
}

// Lineage returns the lineage graph around the version.
func (v *Version) Lineage(ctx context.Context, opts LineageOptions) (Graph, error) {
	r := v.ref()
	return v.c.api.Lineage(ctx, service.LineageRequest{Version: &r, Direction: opts.Direction, Depth: opts.Depth})
}

// Refresh reloads the version from the store.
func (v *Version) Refresh(ctx context.Context) error {
	nv, err := v.c.api.Artifact(ctx, v.ref())
	if err != nil {
		return err
	}
	*v = *v.c.newVersion(nv)
	return nil
}

// Entry is one file of a version.
type Entry struct {
	Path   string // path inside the artifact
	Digest Digest // SHA-256 of the content (or derived, for a reference)
	Size   int64  // bytes

	v *Version
	e core.Entry
}

// Ref returns the URI of a reference entry, or "" for a stored file.
func (e *Entry) Ref() string { return e.e.Ref }
