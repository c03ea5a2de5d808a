package trove

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// A download writes each file to a temporary file next to it, named
// .trove-<16 hex digits>.tmp, and renames it into place once its bytes are
// verified: the same directory is the same file system, so the rename is
// atomic, and a file is either absent, old or complete. While it is written
// the temporary file is locked (see lockTemp), so that a download killed
// halfway leaves a temporary file nobody holds: the next download of a
// version into that directory removes it (cleanTemps), and AddDir never
// logs one.

const (
	tempPrefix = ".trove-"
	tempSuffix = ".tmp"
	tempHex    = 16
)

// isDownloadTemp reports whether a file name is one of a download's
// temporary files.
func isDownloadTemp(name string) bool {
	hex, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return false
	}
	if hex, ok = strings.CutSuffix(hex, tempSuffix); !ok || len(hex) != tempHex {
		return false
	}
	return strings.Trim(hex, "0123456789abcdef") == ""
}

// createTemp creates and locks a new temporary file in dir (relative to
// root) for a download.
func createTemp(root *os.Root, dir string) (*os.File, string, error) {
	for range 4 {
		name := filepath.Join(dir, tempPrefix+randomHex()+tempSuffix)
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, "", err
		}
		if lockTemp(f) {
			return f, name, nil
		}
		// A cleaner took the file for a stale one between its creation
		// and the lock, and removed it: start over with another.
		f.Close()
	}
	return nil, "", errors.New("new temporary files keep being removed")
}

// cleanTemps removes the temporary files that killed downloads left in the
// directories of entries: those no live download holds. Errors are ignored:
// a temporary file left is untidy, not wrong.
func cleanTemps(root *os.Root, entryPaths []string) int {
	dirs := map[string]bool{".": true}
	for _, p := range entryPaths {
		for d := path.Dir(p); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	removed := 0
	for d := range dirs {
		dir := filepath.FromSlash(d)
		f, err := root.Open(dir)
		if err != nil {
			continue
		}
		names, _ := f.Readdirnames(-1)
		f.Close()
		for _, n := range names {
			if !isDownloadTemp(n) {
				continue
			}
			if removeStale(root, filepath.Join(dir, n)) {
				removed++
			}
		}
	}
	return removed
}
