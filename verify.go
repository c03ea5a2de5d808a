package trove

import (
	"context"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// VerifyReport is what Client.Verify found: the blobs checked and the bytes
// read, and the corrupt and the missing blobs, each by digest.
type VerifyReport = service.VerifyReport

// VerifyProblem is a corrupt or missing blob, with the full names of the
// versions whose manifests reference it.
type VerifyProblem = service.Problem

// VerifyOptions tune Client.Verify.
type VerifyOptions struct {
	// Workers is how many blobs are read at once; 0 means GOMAXPROCS (of
	// the server, against a server).
	Workers int
	// Progress, when set, is called after each blob with the blobs and
	// bytes checked so far and the number to check, one call at a time.
	// Embedded stores only: a server answers once, at the end.
	Progress func(checked, total int, bytes int64)
}

// Verify re-reads and re-hashes every blob a committed version references
// and reports the corrupt and the missing ones; it changes nothing. Against
// a server it needs a site administrator (ErrPermission otherwise).
func (c *Client) Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	v, ok := c.api.(service.Verifier)
	if !ok {
		return VerifyReport{}, core.Errorf(core.ErrInvalid, "this store cannot be verified")
	}
	return v.Verify(ctx, service.VerifyOptions{Workers: opts.Workers, Progress: opts.Progress})
}
