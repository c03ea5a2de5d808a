package client

import (
	"context"
	"net/http"

	"github.com/troveml/trove/internal/service"
)

var _ service.Verifier = (*Client)(nil)

// Verify asks the server to verify its metadata database and blob store,
// and with opts.Repair to repair the damaged blobs (site administrators
// only: core.ErrPermission otherwise). opts.Progress is not called.
func (c *Client) Verify(ctx context.Context, opts service.VerifyOptions) (service.VerifyReport, error) {
	var rep service.VerifyReport
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/admin/verify",
		body: service.VerifyOptions{Workers: opts.Workers, Repair: opts.Repair}, retry: retryIdempotent, out: &rep})
	return rep, err
}
