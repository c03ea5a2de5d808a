package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

var _ service.Searcher = (*Client)(nil)

// Search implements service.Searcher: what the caller may read, as the
// server finds it.
func (c *Client) Search(ctx context.Context, text string, limit int) ([]service.SearchHit, error) {
	if text == "" {
		return nil, core.Errorf(core.ErrInvalid, "search text is empty")
	}
	if limit < 0 || limit > service.MaxSearchLimit {
		return nil, core.Errorf(core.ErrInvalid, "search limit %d: want 1 to %d", limit, service.MaxSearchLimit)
	}
	q := url.Values{"q": {text}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []service.SearchHit
	err := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/search", query: q, retry: retryIdempotent, out: &out})
	return out, err
}
