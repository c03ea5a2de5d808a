package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/troveml/trove/internal/service"
)

// expirySweep is how often a server expires due versions on its own.
// Lookups expire them anyway when they run (see service.ExpireDue); the
// sweep is for versions nobody looks at, so that their blobs become
// garbage in time.
const expirySweep = time.Minute

// sweepExpired expires due versions, abandons stale distributed artifacts
// and removes the leftovers of interrupted commits every expirySweep until
// ctx ends.
func sweepExpired(ctx context.Context, svc *service.Service, log *slog.Logger) error {
	t := time.NewTicker(expirySweep)
	defer t.Stop()
	for {
		if n, err := svc.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			log.Warn("expiring versions", "err", err)
		} else if n > 0 {
			log.Info("expired versions", "count", n)
		}
		// Distributed artifacts untouched for --pending-ttl, and what
		// interrupted commits of large manifests staged (both log what
		// they remove).
		if _, err := svc.AbandonStale(ctx); err != nil && ctx.Err() == nil {
			log.Warn("abandoning stale distributed artifacts", "err", err)
		}
		if _, err := svc.CleanStaged(ctx); err != nil && ctx.Err() == nil {
			log.Warn("removing staged entries of interrupted commits", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
