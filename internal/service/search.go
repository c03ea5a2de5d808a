package service

import (
	"context"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// SearchHit is one thing a search found (GET /api/v1/search), with what a
// page needs to link to it.
type SearchHit struct {
	// Kind is "project", "artifact", "version" or "run".
	Kind string `json:"kind"`
	// Match is "exact", "prefix" or "substring"; hits come in that order.
	Match string `json:"match"`
	// Field is what matched: "name", "alias", "digest", "version"
	// (name:vN or name:alias) or "id" (a run's).
	Field   string `json:"field"`
	Entity  string `json:"entity"`
	Project string `json:"project"`
	// Name is the project's, the artifact's (also of a version) or the
	// run's name.
	Name    string   `json:"name"`
	Type    string   `json:"type,omitempty"`    // artifact, version
	Version *int64   `json:"version,omitempty"` // version index
	Digest  string   `json:"digest,omitempty"`  // version
	Aliases []string `json:"aliases,omitempty"` // version
	RunID   string   `json:"run_id,omitempty"`  // run
	State   string   `json:"state,omitempty"`   // run
}

// DefaultSearchLimit is the number of hits a search returns when asked
// for none in particular; MaxSearchLimit is the most it returns.
const (
	DefaultSearchLimit = 20
	MaxSearchLimit     = meta.MaxSearchLimit
)

// Searcher is the optional ability of an API to search by name, alias,
// digest prefix or run id. *Service has it (over everything: it does no
// access control; the server uses SearchScoped with the caller's scope) and
// so does the HTTP client (what the caller may read). Check for it with a
// type assertion.
type Searcher interface {
	// Search finds up to limit things (0 means DefaultSearchLimit; at
	// most MaxSearchLimit) matching text; see meta.Store.Search. Empty or
	// malformed text and a bad limit are core.ErrInvalid; nothing found is
	// an empty slice. Hits come exact first, then prefix, then substring;
	// within each, projects, artifacts, versions, runs. Safe for
	// concurrent use.
	Search(ctx context.Context, text string, limit int) ([]SearchHit, error)
}

var _ Searcher = (*Service)(nil)

// searchStore is what Search needs of the metadata store; *meta.Store has
// it (internal/meta/search.go).
type searchStore interface {
	Search(ctx context.Context, text string, scope meta.SearchScope, limit int) ([]meta.SearchHit, error)
}

// Search implements Searcher over everything.
func (s *Service) Search(ctx context.Context, text string, limit int) ([]SearchHit, error) {
	return s.SearchScoped(ctx, text, limit, meta.SearchScope{All: true})
}

// SearchScoped is Search over what scope reads: the filter is part of the
// store's queries, so what is out of scope changes neither the hits nor
// their number.
func (s *Service) SearchScoped(ctx context.Context, text string, limit int, scope meta.SearchScope) ([]SearchHit, error) {
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	if limit < 1 || limit > MaxSearchLimit {
		return nil, core.Errorf(core.ErrInvalid, "search limit %d: want 1 to %d", limit, MaxSearchLimit)
	}
	ss, ok := s.meta.(searchStore)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this store cannot search")
	}
	hits, err := ss.Search(ctx, text, scope, limit)
	if err != nil {
		return nil, err
	}
	out := make([]SearchHit, len(hits))
	for i, h := range hits {
		out[i] = SearchHit{Kind: h.Kind, Match: h.Match, Field: h.Field, Entity: h.Entity, Project: h.Project,
			Name: h.Name, Type: h.Type, Digest: h.Digest, Aliases: h.Aliases, RunID: h.RunID, State: h.State}
		if h.Kind == meta.HitVersion {
			idx := h.Index
			out[i].Version = &idx
		}
	}
	return out, nil
}
