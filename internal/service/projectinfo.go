package service

import (
	"context"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// ProjectInfo is a project with its visibility and sizes (trove project ls).
type ProjectInfo struct {
	Entity    string `json:"entity"`
	Name      string `json:"name"`
	Public    bool   `json:"public"`    // readable by every user of a server
	Artifacts int    `json:"artifacts"` // artifacts with at least one committed version
	Runs      int    `json:"runs"`
}

// ProjectLister is the optional ability of an API to list projects with
// their visibility and sizes. *Service has it (every project: it does no
// access control) and so does the HTTP client (the server lists those the
// caller may read). Check for it with a type assertion.
type ProjectLister interface {
	// ProjectInfos lists the projects of entity, or of every entity when
	// entity is "", by entity then name; registries are not listed. An
	// unknown entity has none; a malformed one is core.ErrInvalid.
	ProjectInfos(ctx context.Context, entity string) ([]ProjectInfo, error)
}

var _ ProjectLister = (*Service)(nil)

// projectInfoStore is what ProjectInfos needs of the metadata store;
// *meta.Store has it (internal/meta/projectinfo.go).
type projectInfoStore interface {
	ProjectInfos(ctx context.Context, entity string) ([]meta.ProjectInfo, error)
}

// ProjectInfos implements ProjectLister.
func (s *Service) ProjectInfos(ctx context.Context, entity string) ([]ProjectInfo, error) {
	if entity != "" {
		if err := core.ValidateEntity(entity); err != nil {
			return nil, err
		}
	}
	ps, ok := s.meta.(projectInfoStore)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this store cannot list projects with their details")
	}
	list, err := ps.ProjectInfos(ctx, entity)
	if err != nil {
		return nil, err
	}
	out := make([]ProjectInfo, len(list))
	for i, p := range list {
		out[i] = ProjectInfo{Entity: p.Entity, Name: p.Name, Public: p.Public, Artifacts: p.Artifacts, Runs: p.Runs}
	}
	return out, nil
}
