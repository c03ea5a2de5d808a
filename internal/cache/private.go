package cache

import (
	"errors"
	"os"
)

// privateDB makes the SQLite database at abs readable by its owner only:
// it creates the file with mode 0600 when it is missing (SQLite creates the
// -wal and -shm files with the mode of the database file), and takes group
// and other permissions away from an existing one and its -wal and -shm
// files, which older versions created 0644.
func privateDB(abs string) error {
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, os.ErrExist):
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		tighten(abs + suffix)
	}
	return nil
}

// tighten takes group and other permissions away from the file or
// directory at path, if it has any: the cache and its files are the user's
// alone. Failures (another owner's file, a file system without modes) are
// ignored.
func tighten(path string) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(path, fi.Mode().Perm()&^0o077)
	}
}
