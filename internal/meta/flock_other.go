//go:build !unix

package meta

import (
	"context"

	"github.com/troveml/trove/internal/core"
)

// lockFile is not implemented off Unix: without it, processes could race on
// migrations, so opening fails rather than risk that.
func lockFile(ctx context.Context, path string) (func(), error) {
	return nil, core.Errorf(core.ErrUnavailable, "cross-process lock %s: not supported on this system", path)
}
