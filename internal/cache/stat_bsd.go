//go:build darwin || freebsd || netbsd

package cache

import (
	"io/fs"
	"syscall"
)

// sysIdentity fills the fields of k that only the platform's stat carries.
func sysIdentity(fi fs.FileInfo, k *statKey) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st == nil {
		return
	}
	k.ctime = st.Ctimespec.Nano()
	k.ino = uint64(st.Ino)
	k.dev = uint64(st.Dev)
}
