package client

import (
	"context"
	"net/http"

	"github.com/troveml/trove/internal/service"
)

// pendingPath is the URL of a pending (distributed) artifact.
func pendingPath(req service.UpsertRequest, rest string) (string, error) {
	return projectPath(req.Entity, req.Project, "/artifacts/%s/pending/%s"+rest,
		seg{"artifact name", req.Name}, seg{"distributed id", req.DistributedID})
}

// UpsertArtifact implements service.API. It is retried like an idempotent
// request: entries pending already with the same content are no conflict.
func (c *Client) UpsertArtifact(ctx context.Context, req service.UpsertRequest) (service.LogResult, error) {
	var res service.LogResult
	p, err := pendingPath(req, "")
	if err != nil {
		return res, err
	}
	err = c.do(ctx, call{method: http.MethodPut, path: p, body: req, retry: retryIdempotent, out: &res})
	return res, err
}

// FinishArtifact implements service.API. It is retried only when the
// request never reached the server: a second finish is refused, so a retry
// after a lost answer would report a conflict for a finish that worked.
func (c *Client) FinishArtifact(ctx context.Context, req service.UpsertRequest) (service.LogResult, error) {
	var res service.LogResult
	p, err := pendingPath(req, "/finish")
	if err != nil {
		return res, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: req, retry: retryUnsent, out: &res})
	return res, err
}

var _ service.PendingManager = (*Client)(nil)

// refPath is the URL of the pending artifact ref names.
func refPath(ref service.PendingRef) (string, error) {
	return projectPath(ref.Entity, ref.Project, "/artifacts/%s/pending/%s",
		seg{"artifact name", ref.Name}, seg{"distributed id", ref.DistributedID})
}

// PendingArtifacts implements service.PendingManager.
func (c *Client) PendingArtifacts(ctx context.Context, entity, project string) ([]service.PendingArtifact, error) {
	var ps []service.PendingArtifact
	p, err := projectPath(entity, project, "/pending")
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &ps})
	return ps, err
}

// PendingArtifact implements service.PendingManager.
func (c *Client) PendingArtifact(ctx context.Context, ref service.PendingRef) (service.PendingDetail, error) {
	var pd service.PendingDetail
	p, err := refPath(ref)
	if err != nil {
		return pd, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &pd})
	return pd, err
}

// AbandonArtifact implements service.PendingManager. It is retried only
// when the request never reached the server: a retry after a lost answer
// would find nothing to abandon.
func (c *Client) AbandonArtifact(ctx context.Context, ref service.PendingRef) (service.PendingArtifact, error) {
	var pa service.PendingArtifact
	p, err := refPath(ref)
	if err != nil {
		return pa, err
	}
	err = c.do(ctx, call{method: http.MethodDelete, path: p, retry: retryUnsent, out: &pa})
	return pa, err
}
