package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
)

// scopedSearcher is what the search needs of the server's (unrestricted)
// service: *service.Service has it.
type scopedSearcher interface {
	SearchScoped(ctx context.Context, text string, limit int, scope meta.SearchScope) ([]service.SearchHit, error)
}

// search answers GET /api/v1/search?q=…&limit=…: what the caller may read
// that matches q. The caller's read rule (authz.SearchScope) is a filter in
// the store's queries, not applied to their answers afterwards, so that
// private things change neither the hits, nor their number, nor the limit.
func (s *Server) search(r *http.Request, c *caller) (any, error) {
	v := r.URL.Query()
	for _, name := range []string{"q", "limit"} {
		if vs, ok := v[name]; ok && len(vs) > 1 {
			return nil, core.Errorf(core.ErrInvalid, "query parameter %s given %d times", name, len(vs))
		}
	}
	text := v.Get("q")
	if text == "" {
		return nil, core.Errorf(core.ErrInvalid, "query parameter q: give the text to search for")
	}
	limit := 0
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > service.MaxSearchLimit {
			return nil, core.Errorf(core.ErrInvalid, "query parameter limit %.40q: want an integer from 1 to %d", l, service.MaxSearchLimit)
		}
		limit = n
	}
	ss, ok := s.svc.(scopedSearcher)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this server cannot search")
	}
	hits, err := ss.SearchScoped(r.Context(), text, limit, authz.SearchScope(c.p))
	return nonNil(hits), err
}
