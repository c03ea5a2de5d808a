package server

import (
	"net/http"
	"strconv"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/wire"
)

// Account routes map onto authz.Accounts, which checks that the caller may.

func (s *Server) accounts() (*authz.Accounts, error) {
	a := s.auth.Accounts()
	if a == nil {
		return nil, core.Errorf(core.ErrNotFound, "this server has no account management")
	}
	return a, nil
}

func (s *Server) whoAmI(r *http.Request, c *caller) (any, error) {
	return c.p.User, nil
}

func (s *Server) createUser(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	var req wire.CreateUserRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	u, key, err := a.CreateUser(r.Context(), c.p, req.Name, req.Admin)
	if err != nil {
		return nil, err
	}
	return created{wire.CreateUserResponse{User: u, APIKey: key}}, nil
}

func (s *Server) listUsers(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	us, err := a.ListUsers(r.Context(), c.p)
	return nonNil(us), err
}

func (s *Server) createKey(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	var req wire.CreateKeyRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	k, key, err := a.CreateKey(r.Context(), c.p, r.PathValue("user"), req.Label)
	if err != nil {
		return nil, err
	}
	return created{wire.CreateKeyResponse{Key: k, APIKey: key}}, nil
}

func (s *Server) listKeys(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	ks, err := a.ListKeys(r.Context(), c.p, r.PathValue("user"))
	return nonNil(ks), err
}

func (s *Server) revokeKey(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, core.Errorf(core.ErrInvalid, "key id %.40q: want a positive integer", r.PathValue("id"))
	}
	if err := a.RevokeKey(r.Context(), c.p, r.PathValue("user"), id); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (s *Server) createTeam(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	var req wire.CreateTeamRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	e, err := a.CreateTeam(r.Context(), c.p, req.Name)
	if err != nil {
		return nil, err
	}
	return created{e}, nil
}

func (s *Server) members(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	ms, err := a.Members(r.Context(), c.p, r.PathValue("team"))
	return nonNil(ms), err
}

func (s *Server) setMember(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	var req wire.SetMemberRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := a.SetMember(r.Context(), c.p, r.PathValue("team"), r.PathValue("user"), req.Role); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (s *Server) removeMember(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	if err := a.RemoveMember(r.Context(), c.p, r.PathValue("team"), r.PathValue("user")); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (s *Server) setVisibility(r *http.Request, c *caller) (any, error) {
	a, err := s.accounts()
	if err != nil {
		return nil, err
	}
	var req wire.VisibilityRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if req.Public == nil {
		return nil, core.Errorf(core.ErrInvalid, "request body: field public (true or false) is required")
	}
	if err := a.SetProjectPublic(r.Context(), c.p, r.PathValue("entity"), r.PathValue("project"), *req.Public); err != nil {
		return nil, err
	}
	return noContent{}, nil
}
