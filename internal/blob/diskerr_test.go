package blob

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestDiskErr: a write that fails for want of space says so in one line
// without the store's paths, of kind unavailable, the cause kept; other
// failures keep their message.
func TestDiskErr(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		cause := &fs.PathError{Op: "write", Path: "/srv/trove/blobs/tmp/123", Err: errno}
		err := diskErr("blob: writing", cause)
		if err.Error() != "blob: writing: no space left on device" || !errors.Is(err, core.ErrUnavailable) || !errors.Is(err, errno) {
			t.Errorf("%v: %q (kind %v), want \"blob: writing: no space left on device\", unavailable, wrapping the cause", errno, err, core.KindOf(err))
		}
	}
	cause := &fs.PathError{Op: "write", Path: "/x", Err: syscall.EIO}
	if err := diskErr("blob: writing", cause); err.Error() != "blob: writing: write /x: input/output error" || !errors.Is(err, core.ErrUnavailable) || !errors.Is(err, syscall.EIO) {
		t.Errorf("EIO: %q", err)
	}
}
