package cache

import (
	"os"
	"path/filepath"

	"github.com/troveml/trove/internal/core"
)

// DefaultDir returns the client cache directory: $TROVE_CACHE_DIR, else
// $XDG_CACHE_HOME/trove, else ~/.cache/trove. It does not create it.
func DefaultDir() (string, error) {
	if d := os.Getenv("TROVE_CACHE_DIR"); d != "" {
		// Made absolute now so that a later chdir cannot move the cache.
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", core.Errorf(core.ErrInvalid, "TROVE_CACHE_DIR %q: %w", d, err)
		}
		return abs, nil
	}
	// The XDG base directory spec says relative paths are invalid and must
	// be ignored.
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "trove"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", core.Errorf(core.ErrInvalid, "cannot place the client cache (set TROVE_CACHE_DIR): %w", err)
	}
	return filepath.Join(home, ".cache", "trove"), nil
}
