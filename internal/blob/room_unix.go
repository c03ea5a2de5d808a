//go:build unix

package blob

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/troveml/trove/internal/core"
)

// checkRoom refuses, before a byte of it is read, a blob of size bytes that
// the file system under the store has no room for, with the error a full
// disk gives (see diskErr): a server then answers before the client sends
// the body, instead of breaking the connection off in its middle. A size
// below 0 (unknown), or a file system that cannot say, passes: the write
// itself still fails cleanly when the disk fills.
func (b *Bucket) checkRoom(what string, size int64) error {
	if size <= 0 || b.root == "" {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(b.root, &st); err != nil {
		return nil
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if free < 0 || size <= free {
		return nil
	}
	return &core.Error{Kind: core.ErrUnavailable, Err: syscall.ENOSPC,
		Msg: what + ": no space left on device (" + mib(size) + " to store, " + mib(free) + " free)"}
}

// mib prints a byte count in MiB, as people read free space.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
