package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

var _ service.RunFinder = (*Client)(nil)

// FindRuns implements service.RunFinder: the server selects and orders the
// runs (query parameters job_type, state, order, limit), so that only
// those asked for travel. q is checked here first, so that a bad one costs
// no request.
func (c *Client) FindRuns(ctx context.Context, entity, project string, q service.RunQuery) ([]core.Run, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	p, err := projectPath(entity, project, "/runs")
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	if q.JobType != "" {
		v.Set("job_type", q.JobType)
	}
	if q.State != "" {
		v.Set("state", string(q.State))
	}
	if q.Newest {
		v.Set("order", "newest")
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var runs []core.Run
	if err := c.do(ctx, call{method: http.MethodGet, path: p, query: v, retry: retryIdempotent, out: &runs}); err != nil {
		return nil, err
	}
	// A server older than these parameters ignores them and answers every
	// run in start order: applying q again costs little and changes
	// nothing in a newer server's answer.
	return q.Apply(runs), nil
}
