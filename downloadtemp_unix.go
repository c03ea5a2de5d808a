//go:build unix

package trove

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockTemp takes an exclusive lock on a new temporary file, held until the
// file is closed or its process dies. It reports false when a cleaner (see
// removeStale) got to the file first and removed it. A file system without
// locks leaves the file unlocked: cleaners cannot lock it either, and leave
// it alone.
func lockTemp(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return true
	}
	var lerr, serr error
	var st unix.Stat_t
	rc.Control(func(fd uintptr) {
		lerr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
		serr = unix.Fstat(int(fd), &st)
	})
	if errors.Is(lerr, unix.EWOULDBLOCK) {
		return false // a cleaner holds it, and removes it
	}
	return serr != nil || st.Nlink > 0
}

// removeStale removes the temporary file at name when no live download
// holds its lock, and reports whether it did.
func removeStale(root *os.Root, name string) bool {
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB) }); err != nil || lerr != nil {
		return false // held: a download is writing it
	}
	// Removed while the lock is held, so that a download that created it
	// just now and locks it next sees it unlinked and starts over.
	return root.Remove(name) == nil
}
