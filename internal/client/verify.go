package client

import (
	"context"
	"net/http"

	"github.com/troveml/trove/internal/service"
)

var _ service.Verifier = (*Client)(nil)

// Verify asks the server to verify its blob store (site administrators
// only: core.ErrPermission otherwise). opts.Progress is not called.
func (c *Client) Verify(ctx context.Context, opts service.VerifyOptions) (service.VerifyReport, error) {
	var rep service.VerifyReport
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/admin/verify",
		body: service.VerifyOptions{Workers: opts.Workers}, retry: retryIdempotent, out: &rep})
	return rep, err
}
