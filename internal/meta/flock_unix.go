//go:build unix

package meta

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/troveml/trove/internal/core"
)

// lockFile takes an exclusive flock on path, creating the file if needed, and
// returns the function that releases it. It waits while another process
// holds the lock, until ctx is done. The file itself is never removed:
// removing it would let two processes lock two different files of one name.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "opening lock file: %w", err)
	}
	fd := int(f.Fd())
	// Polling with LOCK_NB rather than blocking in flock keeps the wait
	// cancellable; migrations take milliseconds, so the poll interval stays
	// short.
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() {
				_ = unix.Flock(fd, unix.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			_ = f.Close()
			return nil, core.Errorf(core.ErrUnavailable, "locking %s: %w", path, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
