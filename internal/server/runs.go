package server

import (
	"net/url"
	"strconv"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// ParseRunQuery reads the query parameters of a run listing: job_type,
// state, order (oldest, the default, is start order; newest) and limit (at
// least 1). With none of them the query selects every run in start order,
// as the listing did before they existed. A parameter given twice, empty,
// or with a bad value is core.ErrInvalid, naming the valid values.
func ParseRunQuery(v url.Values) (service.RunQuery, error) {
	var q service.RunQuery
	for _, name := range []string{"job_type", "state", "limit", "order"} {
		switch vs, ok := v[name]; {
		case !ok:
		case len(vs) > 1:
			return q, core.Errorf(core.ErrInvalid, "query parameter %s given %d times", name, len(vs))
		case vs[0] == "":
			return q, core.Errorf(core.ErrInvalid, "query parameter %s is empty", name)
		}
	}
	q.JobType = v.Get("job_type")
	q.State = core.RunState(v.Get("state"))
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, core.Errorf(core.ErrInvalid, "query parameter limit %.40q: want an integer of at least 1", s)
		}
		q.Limit = n
	}
	switch o := v.Get("order"); o {
	case "", "oldest":
	case "newest":
		q.Newest = true
	default:
		return q, core.Errorf(core.ErrInvalid, "query parameter order %.40q: want oldest or newest", o)
	}
	return q, q.Check()
}
