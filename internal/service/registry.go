package service

import (
	"context"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// RegistryStore is the part of the metadata store that keeps registries and
// links. *meta.Store implements it; see package meta for each method's
// contract.
type RegistryStore interface {
	Registries(ctx context.Context) ([]core.Registry, error)
	GetRegistry(ctx context.Context, name string) (core.Registry, error)
	CreateRegistry(ctx context.Context, r core.Registry, now time.Time) (core.Registry, error)
	UpdateRegistry(ctx context.Context, r core.Registry) (core.Registry, error)
	LinkVersion(ctx context.Context, l meta.Link) (core.Version, bool, error)
	Links(ctx context.Context, id int64) ([]core.Version, error)
}

// LinkRequest links a version into a registry collection.
type LinkRequest struct {
	Source     core.Ref `json:"source"`     // fully qualified
	Registry   string   `json:"registry"`   // e.g. "model"
	Collection string   `json:"collection"` // e.g. "MNIST-dev"
	Aliases    []string `json:"aliases"`    // "latest" is accepted and implied
	RunID      string   `json:"run_id"`     // the linking run; "" for none
}

// LinkResult is a link and whether LinkArtifact made it (false: the source
// was linked in the collection already).
type LinkResult struct {
	Version core.Version `json:"version"`
	Created bool         `json:"created"`
}

// notRegistry refuses to write into the reserved entity directly: only
// links land there.
func notRegistry(entity string) error {
	if entity == core.RegistryEntity {
		return core.Errorf(core.ErrInvalid,
			"entity %q is reserved for registries: log to your own project and link the version (trove artifact link)", entity)
	}
	return nil
}

// LinkArtifact implements API.
func (s *Service) LinkArtifact(ctx context.Context, req LinkRequest) (core.Version, error) {
	res, err := s.Link(ctx, req)
	return res.Version, err
}

// Link is LinkArtifact that also says whether the link is new.
func (s *Service) Link(ctx context.Context, req LinkRequest) (LinkResult, error) {
	if err := core.ValidateProject(req.Registry); err != nil {
		return LinkResult{}, core.Errorf(core.ErrInvalid, "registry name: %v", err)
	}
	if err := core.ValidateName(req.Collection); err != nil {
		return LinkResult{}, err
	}
	aliases, err := customAliases(req.Aliases)
	if err != nil {
		return LinkResult{}, err
	}
	if req.RunID != "" {
		if _, err := s.runForWrite(ctx, req.RunID); err != nil {
			return LinkResult{}, err
		}
	}
	src, err := s.resolve(ctx, req.Source)
	if err != nil {
		return LinkResult{}, err
	}
	v, created, err := s.meta.LinkVersion(ctx, meta.Link{
		SourceID: src.ID, Registry: req.Registry, Collection: req.Collection,
		Aliases: aliases, RunID: req.RunID, Now: s.now(),
	})
	if err != nil {
		return LinkResult{}, err
	}
	s.log.DebugContext(ctx, "linked artifact", "link", v.FullName(), "source", v.Source, "created", created)
	return LinkResult{Version: v, Created: created}, nil
}

// Registries implements API.
func (s *Service) Registries(ctx context.Context) ([]core.Registry, error) {
	return s.meta.Registries(ctx)
}

// CreateRegistry implements API.
func (s *Service) CreateRegistry(ctx context.Context, r core.Registry) (core.Registry, error) {
	return s.meta.CreateRegistry(ctx, r, s.now())
}

// UpdateRegistry implements API.
func (s *Service) UpdateRegistry(ctx context.Context, r core.Registry) (core.Registry, error) {
	if err := core.ValidateProject(r.Name); err != nil {
		return core.Registry{}, core.Errorf(core.ErrInvalid, "registry name: %v", err)
	}
	return s.meta.UpdateRegistry(ctx, r)
}

// Links implements API.
func (s *Service) Links(ctx context.Context, ref core.Ref) ([]core.Version, error) {
	v, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.meta.Links(ctx, v.ID)
}
