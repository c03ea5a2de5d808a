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
