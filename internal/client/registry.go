package client

import (
	"context"
	"net/http"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// LinkArtifact implements service.API.
func (c *Client) LinkArtifact(ctx context.Context, req service.LinkRequest) (core.Version, error) {
	res, err := c.Link(ctx, req)
	return res.Version, err
}

// Link is LinkArtifact that also says whether the link is new (the server
// answers 201 for a new link, 200 for an existing one). Linking is
// idempotent, so it is retried like an idempotent request; a retry after a
// lost answer may report a link the first try made as not new.
func (c *Client) Link(ctx context.Context, req service.LinkRequest) (service.LinkResult, error) {
	var res service.LinkResult
	p, err := projectPath(core.RegistryEntity, req.Registry, "/artifacts/%s/links", seg{"collection name", req.Collection})
	if err != nil {
		return res, err
	}
	status := 0
	body := wire.LinkRequest{Source: req.Source.String(), Aliases: req.Aliases, RunID: req.RunID}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: body, retry: retryIdempotent, out: &res.Version, status: &status})
	res.Created = status == http.StatusCreated
	return res, err
}

// Registries implements service.API.
func (c *Client) Registries(ctx context.Context) ([]core.Registry, error) {
	var rs []core.Registry
	err := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/registries", retry: retryIdempotent, out: &rs})
	return rs, err
}

// CreateRegistry implements service.API.
func (c *Client) CreateRegistry(ctx context.Context, r core.Registry) (core.Registry, error) {
	var out core.Registry
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/registries", body: r, retry: retryUnsent, out: &out})
	return out, err
}

// UpdateRegistry implements service.API.
func (c *Client) UpdateRegistry(ctx context.Context, r core.Registry) (core.Registry, error) {
	var out core.Registry
	p, err := pathf("/api/v1/registries/%s", seg{"registry name", r.Name})
	if err != nil {
		return out, err
	}
	err = c.do(ctx, call{method: http.MethodPatch, path: p, body: r, retry: retryIdempotent, out: &out})
	return out, err
}

// Links implements service.API.
func (c *Client) Links(ctx context.Context, ref core.Ref) ([]core.Version, error) {
	var vs []core.Version
	err := c.getVersion(ctx, ref, "/links", nil, &vs)
	return vs, err
}

// RegistryAdmins lists the users listed as admins of registry.
func (c *Client) RegistryAdmins(ctx context.Context, registry string) ([]string, error) {
	p, err := pathf("/api/v1/registries/%s/admins", seg{"registry name", registry})
	if err != nil {
		return nil, err
	}
	var names []string
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &names})
	return names, err
}

// SetRegistryAdmin makes user an admin of registry, or (admin false) no
// longer one.
func (c *Client) SetRegistryAdmin(ctx context.Context, registry, user string, admin bool) error {
	p, err := pathf("/api/v1/registries/%s/admins/%s", seg{"registry name", registry}, seg{"user name", user})
	if err != nil {
		return err
	}
	if admin {
		return c.do(ctx, call{method: http.MethodPut, path: p, retry: retryIdempotent})
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p, retry: retryUnsent})
}
