package server

import (
	"context"
	"net/http"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// GC options as the admin endpoint and the CLI take them.

// ParseGrace reads the grace period of a GC request: "" is the service's
// default (0), "0s" or any zero duration is none (-1, see
// service.GCOptions.Grace). A negative or malformed duration is
// core.ErrInvalid.
func ParseGrace(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, core.Errorf(core.ErrInvalid, "grace %q: want a duration such as 1h or 0s", s)
	}
	if d == 0 {
		return -1, nil
	}
	return d, nil
}

// collectGarbage runs a garbage collection for a site admin.
func (s *Server) collectGarbage(r *http.Request, c *caller) (any, error) {
	if !c.p.User.Admin {
		return nil, core.Errorf(core.ErrPermission, "only site administrators may collect garbage")
	}
	var req wire.GCRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	grace, err := ParseGrace(req.Grace)
	if err != nil {
		return nil, err
	}
	return s.runGC(r.Context(), service.GCOptions{DryRun: req.DryRun, Grace: grace})
}

// runGC runs one garbage collection on the unrestricted service, and counts
// it.
func (s *Server) runGC(ctx context.Context, o service.GCOptions) (service.GCReport, error) {
	m, ok := s.svc.(service.Maintainer)
	if !ok {
		return service.GCReport{}, core.Errorf(core.ErrConflict, "this server cannot collect garbage")
	}
	rep, err := m.GC(ctx, o)
	if err != nil {
		return rep, err
	}
	if !o.DryRun {
		s.metrics.gcRuns.Inc()
		s.metrics.gcFreedBytes.Add(float64(rep.FreedBytes))
	}
	return rep, nil
}

// CollectGarbage runs a garbage collection every interval until ctx ends,
// logging each report; a failed run is logged and the next one tried at the
// next tick. It returns nil when ctx ends, so that it can run under the
// server's errgroup. interval <= 0 returns at once. Several replicas may
// run it at once (see service.Maintainer).
func (s *Server) CollectGarbage(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		rep, err := s.runGC(ctx, service.GCOptions{})
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.log.Warn("garbage collection failed", "err", err)
		default:
			s.log.Info("garbage collected", "freed", rep.Freed, "freed_bytes", rep.FreedBytes, "kept", rep.Kept,
				"live", rep.Live, "scanned", rep.Scanned, "finished", rep.Finished, "duration", rep.Duration)
		}
	}
}
