package server

import (
	"net/http"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// registryP is the URL of a registry.
const registryP = apiPrefix + "/registries/{registry}"

func (s *Server) registries(r *http.Request, c *caller) (any, error) {
	rs, err := c.api.Registries(r.Context())
	return nonNil(rs), err
}

func (s *Server) createRegistry(r *http.Request, c *caller) (any, error) {
	var reg core.Registry
	if err := s.decode(r, &reg); err != nil {
		return nil, err
	}
	out, err := c.api.CreateRegistry(r.Context(), reg)
	if err != nil {
		return nil, err
	}
	return created{out}, nil
}

func (s *Server) updateRegistry(r *http.Request, c *caller) (any, error) {
	var reg core.Registry
	if err := s.decode(r, &reg); err != nil {
		return nil, err
	}
	if err := sameOrFill("registry", &reg.Name, r.PathValue("registry")); err != nil {
		return nil, err
	}
	return c.api.UpdateRegistry(r.Context(), reg)
}

// linkArtifact answers 201 with a new link, 200 with the link the source
// had in the collection already.
func (s *Server) linkArtifact(r *http.Request, c *caller) (any, error) {
	if e := r.PathValue("entity"); e != core.RegistryEntity {
		return nil, core.Errorf(core.ErrInvalid, "links live in the registry entity: %s/%s is not a registry", e, r.PathValue("project"))
	}
	var body wire.LinkRequest
	if err := s.decode(r, &body); err != nil {
		return nil, err
	}
	src, err := core.ParseRef(body.Source)
	if err != nil {
		return nil, err
	}
	if src.Entity == "" {
		return nil, core.Errorf(core.ErrInvalid, "source %q: want entity/project/name[:version]", body.Source)
	}
	req := service.LinkRequest{Source: src, Registry: r.PathValue("project"), Collection: r.PathValue("name"),
		Aliases: body.Aliases, RunID: body.RunID}
	if l, ok := c.api.(authz.Linker); ok {
		res, err := l.Link(r.Context(), req)
		if err != nil {
			return nil, err
		}
		if res.Created {
			return created{res.Version}, nil
		}
		return res.Version, nil
	}
	v, err := c.api.LinkArtifact(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return created{v}, nil
}

func (s *Server) links(r *http.Request, c *caller) (any, error) {
	vs, err := c.api.Links(r.Context(), versionRef(r))
	return nonNil(vs), err
}

// The admins of a registry are account data (authz.Accounts), like team
// members.

func (s *Server) registryAdmins(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	return a.RegistryAdmins(r.Context(), c.p, r.PathValue("registry"))
}

func (s *Server) addRegistryAdmin(r *http.Request, c *caller) (any, error) {
	return s.setRegistryAdmin(r, c, true)
}

func (s *Server) removeRegistryAdmin(r *http.Request, c *caller) (any, error) {
	return s.setRegistryAdmin(r, c, false)
}

func (s *Server) setRegistryAdmin(r *http.Request, c *caller, admin bool) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	if err := core.ValidateEntity(r.PathValue("user")); err != nil {
		return nil, err
	}
	if err := a.SetRegistryAdmin(r.Context(), c.p, r.PathValue("registry"), r.PathValue("user"), admin); err != nil {
		return nil, err
	}
	return noContent{}, nil
}
