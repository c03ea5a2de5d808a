package trove

import (
	"context"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// VerifyReport is what Client.Verify found: the integrity of the metadata
// database, the blobs checked and the bytes read, and the corrupt and the
// missing blobs, each by digest. Damaged reports whether anything is wrong.
type VerifyReport = service.VerifyReport

// VerifyDatabase is the integrity check of the metadata database in a
// VerifyReport.
type VerifyDatabase = service.DatabaseReport

// VerifyProblem is a corrupt or missing blob, with the full names of the
// versions whose manifests reference it.
type VerifyProblem = service.Problem

// VerifyOptions tune Client.Verify.
type VerifyOptions struct {
	// Workers is how many blobs are read at once; 0 means GOMAXPROCS (of
	// the server, against a server).
	Workers int
	// Repair moves corrupt blobs aside (under the blob store's
	// quarantine/ prefix, kept for inspection) and records every corrupt
	// or missing blob as missing, so that the next upload of its content —
	// logging it again — restores it for every version that uses it.
	// Against a server, a site administrator only.
	Repair bool
	// Progress, when set, is called after each blob with the blobs and
	// bytes checked so far and the number to check, one call at a time.
	// Embedded stores only: a server answers once, at the end.
	Progress func(checked, total int, bytes int64)
}

// Verify checks the metadata database (SQLite: quick_check; PostgreSQL: a
// catalog check), re-reads and re-hashes every blob a committed version
// references, and reports the corrupt and the missing ones; it changes
// nothing unless opts.Repair. Against a server it needs a site
// administrator (ErrPermission otherwise).
func (c *Client) Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	v, ok := c.api.(service.Verifier)
	if !ok {
		return VerifyReport{}, core.Errorf(core.ErrInvalid, "this store cannot be verified")
	}
	return v.Verify(ctx, service.VerifyOptions{Workers: opts.Workers, Repair: opts.Repair, Progress: opts.Progress})
}
