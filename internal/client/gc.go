package client

import (
	"context"
	"net/http"

	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

var _ service.Maintainer = (*Client)(nil)

// GC implements service.Maintainer by asking the server to collect garbage
// (site administrators only: core.ErrPermission otherwise). o.Now is the
// server's business and ignored. A collection is safe to repeat, but it
// may run long, so it is retried only when the request never reached the
// server.
func (c *Client) GC(ctx context.Context, o service.GCOptions) (service.GCReport, error) {
	req := wire.GCRequest{DryRun: o.DryRun}
	switch {
	case o.Grace < 0:
		req.Grace = "0s"
	case o.Grace > 0:
		req.Grace = o.Grace.String()
	}
	var rep service.GCReport
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/admin/gc", body: req, retry: retryUnsent, out: &rep})
	return rep, err
}
