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

// sweepExpired expires due versions every expirySweep until ctx ends.
func sweepExpired(ctx context.Context, svc *service.Service, log *slog.Logger) error {
	t := time.NewTicker(expirySweep)
	defer t.Stop()
	for {
		if n, err := svc.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			log.Warn("expiring versions", "err", err)
		} else if n > 0 {
			log.Info("expired versions", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
