package server

import (
	"net/http"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// listProjects lists the projects the caller may read, of every entity or
// of the one in the query parameter entity, with their visibility and
// sizes. The unrestricted service lists them all; the caller's service
// (authz's guard) then says, entity by entity, which of them the caller
// reads (Projects), so that the rule is authz's own and private projects
// of others stay unseen, their counts with them.
func (s *Server) listProjects(r *http.Request, c *caller) (any, error) {
	q := r.URL.Query()
	if vs, ok := q["entity"]; ok && (len(vs) != 1 || vs[0] == "") {
		return nil, core.Errorf(core.ErrInvalid, "query parameter entity: give one, not empty")
	}
	pl, ok := s.svc.(service.ProjectLister)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this server cannot list projects with their details")
	}
	all, err := pl.ProjectInfos(r.Context(), q.Get("entity"))
	if err != nil {
		return nil, err
	}
	readable := map[string]map[string]bool{}
	out := []service.ProjectInfo{}
	for _, p := range all {
		names, ok := readable[p.Entity]
		if !ok {
			list, err := c.api.Projects(r.Context(), p.Entity)
			if err != nil {
				return nil, err
			}
			names = make(map[string]bool, len(list))
			for _, n := range list {
				names[n] = true
			}
			readable[p.Entity] = names
		}
		if names[p.Name] {
			out = append(out, p)
		}
	}
	return out, nil
}
