package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

var _ service.ProjectLister = (*Client)(nil)

// ProjectInfos implements service.ProjectLister: the projects the caller
// may read, as the server lists them.
func (c *Client) ProjectInfos(ctx context.Context, entity string) ([]service.ProjectInfo, error) {
	q := url.Values{}
	if entity != "" {
		if err := core.ValidateEntity(entity); err != nil {
			return nil, err
		}
		q.Set("entity", entity)
	}
	var out []service.ProjectInfo
	err := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/projects", query: q, retry: retryIdempotent, out: &out})
	return out, err
}
