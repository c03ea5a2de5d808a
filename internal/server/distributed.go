package server

import (
	"net/http"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// pendingP is a pending (distributed) artifact, keyed by its collection and
// distributed id.
const pendingP = projectP + "/artifacts/{name}/pending/{distributed_id}"

// upsertBody is an UpsertRequest whose manifest entries are decoded
// strictly, like logBody.
type upsertBody struct {
	service.UpsertRequest
	Manifest []core.Entry `json:"manifest"`
}

func (s *Server) upsertArtifact(r *http.Request, c *caller) (any, error) {
	req, err := s.upsertRequest(r)
	if err != nil {
		return nil, err
	}
	return c.api.UpsertArtifact(r.Context(), req)
}

func (s *Server) finishArtifact(r *http.Request, c *caller) (any, error) {
	req, err := s.upsertRequest(r)
	if err != nil {
		return nil, err
	}
	return c.api.FinishArtifact(r.Context(), req)
}

// upsertRequest decodes the body of a route under pendingP; names in the
// body must agree with the URL.
func (s *Server) upsertRequest(r *http.Request) (service.UpsertRequest, error) {
	var body upsertBody
	if err := s.decode(r, &body); err != nil {
		return service.UpsertRequest{}, err
	}
	req := body.UpsertRequest
	for _, f := range []struct {
		what string
		body *string
		path string
	}{
		{"entity", &req.Entity, r.PathValue("entity")},
		{"project", &req.Project, r.PathValue("project")},
		{"name", &req.Name, r.PathValue("name")},
		{"distributed id", &req.DistributedID, r.PathValue("distributed_id")},
	} {
		if err := sameOrFill(f.what, f.body, f.path); err != nil {
			return service.UpsertRequest{}, err
		}
	}
	m, err := core.NewManifest(body.Manifest)
	if err != nil {
		return service.UpsertRequest{}, core.Errorf(core.ErrInvalid, "manifest: %w", err)
	}
	req.Manifest = m
	return req, nil
}

// pendingManager returns the caller's API as a service.PendingManager.
func pendingManager(c *caller) (service.PendingManager, error) {
	pm, ok := c.api.(service.PendingManager)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this server cannot list or abandon pending artifacts")
	}
	return pm, nil
}

// pendingRef is the pending artifact a route under pendingP names.
func pendingRef(r *http.Request) service.PendingRef {
	return service.PendingRef{Entity: r.PathValue("entity"), Project: r.PathValue("project"),
		Name: r.PathValue("name"), DistributedID: r.PathValue("distributed_id")}
}

func (s *Server) pendingArtifacts(r *http.Request, c *caller) (any, error) {
	pm, err := pendingManager(c)
	if err != nil {
		return nil, err
	}
	ps, err := pm.PendingArtifacts(r.Context(), r.PathValue("entity"), r.PathValue("project"))
	return nonNil(ps), err
}

func (s *Server) pendingArtifact(r *http.Request, c *caller) (any, error) {
	pm, err := pendingManager(c)
	if err != nil {
		return nil, err
	}
	p, err := pm.PendingArtifact(r.Context(), pendingRef(r))
	if err != nil {
		return nil, err
	}
	p.Entries, p.Runs = nonNil(p.Entries), nonNil(p.Runs)
	return p, nil
}

func (s *Server) abandonArtifact(r *http.Request, c *caller) (any, error) {
	pm, err := pendingManager(c)
	if err != nil {
		return nil, err
	}
	return pm.AbandonArtifact(r.Context(), pendingRef(r))
}
