package trove

import (
	"context"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// GCOptions tune a garbage collection: DryRun counts what would be freed
// and changes nothing; Grace spares blobs written less than Grace ago (0:
// the store's lease time, one hour by default; negative: none).
type GCOptions = service.GCOptions

// GCReport is what a garbage collection did: blobs scanned, live, freed
// (and their bytes), kept (leased or young), and how long it took.
type GCReport = service.GCReport

// GC frees the blobs no live version needs (those only deleted versions
// held, and orphans), without ever deleting a blob a live version or a
// log in progress needs: a blob is a candidate only when it is older than
// Grace, and every upload leases the blobs it relies on until its commit
// ends, so a collection racing a log never frees what the log commits. On
// an embedded store it runs in-process; against a server it asks the
// server, and only site administrators may (core.ErrPermission).
func (c *Client) GC(ctx context.Context, o GCOptions) (GCReport, error) {
	m, ok := c.api.(service.Maintainer)
	if !ok {
		return GCReport{}, core.Errorf(core.ErrConflict, "this store cannot collect garbage")
	}
	return m.GC(ctx, o)
}
