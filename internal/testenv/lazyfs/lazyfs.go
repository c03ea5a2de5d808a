//go:build linux

// Package lazyfs is a FUSE file system for tests only: it keeps what was
// not made durable in memory and drops it on a simulated power loss, in
// the manner of LazyFS and CrashMonkey, so that a test can prove that what
// a program acknowledged survives a power cut.
//
// Everything lives in memory. Every operation applies to a volatile state;
// fsync(2) or fdatasync(2) of a file makes that file's current content
// durable, fsync of a directory makes that directory's current entries
// (names to inodes: creations, renames and removals alike) durable. A new
// file's name is therefore durable only once its parent directory was
// fsynced, and a rename only once both directories were: the weakest
// guarantees of ext4 and XFS (no auto_da_alloc, no ordered-data luck).
// [FS.Cut] is the power loss: the volatile state becomes a copy of the
// durable one, and every handle open until then fails with EIO. The test
// then unmounts and mounts again, which drops the kernel's caches, and sees
// exactly what a disk would hold after the cut. Attributes other than the
// size (mode, times) are not modelled: they survive a cut as they are.
// Hard links and symbolic links are not supported.
//
// File locks are the kernel's (the locks are not forwarded to the file
// system), which is right for processes on one machine; shared writable
// mmap works through the kernel's page cache, as on any FUSE file system,
// and its pages reach the file system as writes, durable like any other
// only when the file is fsynced (SQLite never fsyncs its -shm file, and
// rebuilds it after a crash).
//
// Keep the program under test in another process than the one serving the
// mount: a Go process must not fault on a page mapped from its own FUSE
// mount (SQLite maps its -shm file), since the garbage collector's
// stop-the-world then waits for the faulting thread while the goroutines
// that would answer the fault wait for the world. Plain system calls on the
// mount (mkdir, stat) from the serving process are fine.
package lazyfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// An inode is a file or a directory, with its volatile and durable state.
type inode struct {
	id    uint64
	mode  uint32 // syscall.S_IFREG or S_IFDIR, with the permission bits
	mtime time.Time

	data, ddata []byte            // file content: volatile, durable
	kids, dkids map[string]*inode // directory entries: volatile, durable
}

func (in *inode) isDir() bool { return in.mode&syscall.S_IFMT == syscall.S_IFDIR }

// Stats counts what the file system was asked to do since it was created.
type Stats struct {
	Cuts, FileSyncs, DirSyncs, Writes int
	// LastOp describes the last operation that changed the volatile state
	// or made something durable, such as "write store/trove.db-wal" or
	// "fsync dir store/blobs/sha256/ab": where the last Cut struck.
	LastOp string
}

// FS is the in-memory file system; the zero value is not usable, see New.
type FS struct {
	mu     sync.Mutex
	root   *inode
	next   uint64
	epoch  uint64 // bumped by Cut: nodes of an older epoch are dead
	stats  Stats
	server *fuse.Server
	dir    string

	trigger func(op string) bool // see CutWhen
	fired   chan struct{}
}

// New returns an empty file system whose root directory is durable.
func New() *FS {
	f := &FS{next: 1}
	f.root = f.newInode(syscall.S_IFDIR | 0o755)
	f.root.dkids = map[string]*inode{}
	return f
}

func (f *FS) newInode(mode uint32) *inode {
	f.next++
	in := &inode{id: f.next, mode: mode, mtime: time.Now()}
	if in.isDir() {
		in.kids = map[string]*inode{}
	}
	return in
}

// Mount serves the current volatile state at dir (an existing directory)
// until Unmount.
func (f *FS) Mount(dir string) error {
	f.mu.Lock()
	if f.server != nil {
		f.mu.Unlock()
		return errors.New("lazyfs: already mounted")
	}
	root := &node{lfs: f, in: f.root, epoch: f.epoch}
	f.mu.Unlock()
	zero := time.Duration(0)
	srv, err := fs.Mount(dir, root, &fs.Options{
		// No kernel caching of names and attributes across operations:
		// the state changes under the kernel at each Cut.
		EntryTimeout:    &zero,
		AttrTimeout:     &zero,
		NegativeTimeout: &zero,
		MountOptions: fuse.MountOptions{
			FsName:            "lazyfs",
			Name:              "lazyfs",
			DirectMountStrict: true,
			MaxWrite:          1 << 20,
		},
	})
	if err != nil {
		return fmt.Errorf("lazyfs: mount %s: %w", dir, err)
	}
	f.mu.Lock()
	f.server, f.dir = srv, dir
	f.mu.Unlock()
	return nil
}

// Unmount unmounts the file system, retrying for a few seconds while the
// kernel still counts it busy (a killed process's files close
// asynchronously), then detaching it lazily.
func (f *FS) Unmount() error {
	f.mu.Lock()
	srv, dir := f.server, f.dir
	f.server = nil
	f.mu.Unlock()
	if srv == nil {
		return nil
	}
	var err error
	for i := 0; i < 50; i++ {
		if err = srv.Unmount(); err == nil {
			srv.Wait()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	if derr := syscall.Unmount(dir, syscall.MNT_DETACH); derr != nil {
		return fmt.Errorf("lazyfs: unmount %s: %w (detach: %v)", dir, err, derr)
	}
	return nil
}

// Cut simulates a power loss: whatever was not durable is gone, and every
// file or directory opened through the current mount fails with EIO from
// now on. Unmount and Mount again to see the state a disk would hold.
func (f *FS) Cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutLocked()
}

// CutWhen arms a cut at a chosen point: the power goes right after the
// first operation for which match returns true, called with the
// operation's description as in Stats.LastOp (under the file system's
// lock: match must not call FS methods). The operation itself completes;
// the returned channel is closed when the cut happened. A later CutWhen
// replaces the trigger; CutWhen(nil) disarms it and returns nil.
func (f *FS) CutWhen(match func(op string) bool) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trigger, f.fired = match, nil
	if match == nil {
		return nil
	}
	f.fired = make(chan struct{})
	return f.fired
}

// did records op as the last operation and cuts the power if the armed
// trigger matches it.
func (f *FS) did(op string) {
	f.stats.LastOp = op
	if f.trigger != nil && f.trigger(op) {
		f.cutLocked()
		close(f.fired)
		f.trigger, f.fired = nil, nil
	}
}

func (f *FS) cutLocked() {
	f.epoch++
	f.stats.Cuts++
	seen := map[*inode]bool{}
	var restore func(in *inode)
	restore = func(in *inode) {
		if seen[in] {
			return
		}
		seen[in] = true
		in.data = slices.Clone(in.ddata)
		if in.isDir() {
			in.kids = make(map[string]*inode, len(in.dkids))
			for name, k := range in.dkids {
				in.kids[name] = k
				restore(k)
			}
		}
	}
	restore(f.root)
}

// Sync makes the whole volatile state durable, as sync(2) does.
func (f *FS) Sync() {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[*inode]bool{}
	var sync func(in *inode)
	sync = func(in *inode) {
		if seen[in] {
			return
		}
		seen[in] = true
		in.ddata = slices.Clone(in.data)
		if in.isDir() {
			in.dkids = make(map[string]*inode, len(in.kids))
			for name, k := range in.kids {
				in.dkids[name] = k
				sync(k)
			}
		}
	}
	sync(f.root)
}

// Stats returns the counts so far.
func (f *FS) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// node is an inode as the kernel sees it through one mount.
type node struct {
	fs.Inode
	lfs   *FS
	in    *inode
	epoch uint64
}

var (
	_ fs.NodeLookuper   = (*node)(nil)
	_ fs.NodeGetattrer  = (*node)(nil)
	_ fs.NodeSetattrer  = (*node)(nil)
	_ fs.NodeReaddirer  = (*node)(nil)
	_ fs.NodeMkdirer    = (*node)(nil)
	_ fs.NodeCreater    = (*node)(nil)
	_ fs.NodeUnlinker   = (*node)(nil)
	_ fs.NodeRmdirer    = (*node)(nil)
	_ fs.NodeRenamer    = (*node)(nil)
	_ fs.NodeOpener     = (*node)(nil)
	_ fs.NodeReader     = (*node)(nil)
	_ fs.NodeWriter     = (*node)(nil)
	_ fs.NodeFsyncer    = (*node)(nil)
	_ fs.NodeFlusher    = (*node)(nil)
	_ fs.NodeAllocater  = (*node)(nil)
	_ fs.NodeStatfser   = (*node)(nil)
	_ fs.NodeOpendirer  = (*node)(nil)
	_ fs.NodeReleaser   = (*node)(nil)
	_ fs.NodeLinker     = (*node)(nil)
	_ fs.NodeSymlinker  = (*node)(nil)
	_ fs.NodeReadlinker = (*node)(nil)
)

// lock takes the file system's lock and reports whether the node is still
// alive (not from before a Cut); on false the lock is released.
func (n *node) lock() bool {
	n.lfs.mu.Lock()
	if n.epoch != n.lfs.epoch {
		n.lfs.mu.Unlock()
		return false
	}
	return true
}

func (n *node) unlock() { n.lfs.mu.Unlock() }

// pathOf names the node for Stats.LastOp.
func (n *node) pathOf(name string) string {
	p := n.Path(nil)
	if name != "" {
		if p != "" {
			p += "/"
		}
		p += name
	}
	return p
}

func fill(in *inode, a *fuse.Attr) {
	a.Ino = in.id
	a.Mode = in.mode
	a.Nlink = 1
	if in.isDir() {
		a.Nlink = 2
	}
	a.Size = uint64(len(in.data))
	a.Blocks = (a.Size + 511) / 512
	a.Blksize = 4096
	a.SetTimes(&in.mtime, &in.mtime, &in.mtime)
}

func (n *node) child(ctx context.Context, in *inode, out *fuse.EntryOut) *fs.Inode {
	fill(in, &out.Attr)
	return n.NewInode(ctx, &node{lfs: n.lfs, in: in, epoch: n.epoch},
		fs.StableAttr{Mode: in.mode & syscall.S_IFMT, Ino: in.id})
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if !n.lock() {
		return nil, syscall.EIO
	}
	defer n.unlock()
	k, ok := n.in.kids[name]
	if !ok {
		return nil, syscall.ENOENT
	}
	return n.child(ctx, k, out), 0
}

func (n *node) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	defer n.unlock()
	fill(n.in, &out.Attr)
	return 0
}

func (n *node) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	defer n.unlock()
	if m, ok := in.GetMode(); ok {
		n.in.mode = n.in.mode&syscall.S_IFMT | m&0o7777
	}
	if sz, ok := in.GetSize(); ok {
		if n.in.isDir() {
			return syscall.EISDIR
		}
		n.in.data = resize(n.in.data, int(sz))
		n.in.mtime = time.Now()
		n.lfs.did("truncate " + n.pathOf(""))
	}
	if mt, ok := in.GetMTime(); ok {
		n.in.mtime = mt
	}
	fill(n.in, &out.Attr)
	return 0
}

// resize returns b cut or zero-extended to size.
func resize(b []byte, size int) []byte {
	if size <= len(b) {
		return b[:size]
	}
	return append(b, make([]byte, size-len(b))...)
}

func (n *node) Opendir(ctx context.Context) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	n.unlock()
	return 0
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	if !n.lock() {
		return nil, syscall.EIO
	}
	defer n.unlock()
	names := make([]string, 0, len(n.in.kids))
	for name := range n.in.kids {
		names = append(names, name)
	}
	slices.Sort(names)
	list := make([]fuse.DirEntry, 0, len(names))
	for _, name := range names {
		k := n.in.kids[name]
		list = append(list, fuse.DirEntry{Name: name, Ino: k.id, Mode: k.mode & syscall.S_IFMT})
	}
	return fs.NewListDirStream(list), 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if !n.lock() {
		return nil, syscall.EIO
	}
	defer n.unlock()
	if _, ok := n.in.kids[name]; ok {
		return nil, syscall.EEXIST
	}
	k := n.lfs.newInode(syscall.S_IFDIR | mode&0o7777)
	n.in.kids[name] = k
	n.in.mtime = time.Now()
	n.lfs.did("mkdir " + n.pathOf(name))
	return n.child(ctx, k, out), 0
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if !n.lock() {
		return nil, nil, 0, syscall.EIO
	}
	defer n.unlock()
	k, ok := n.in.kids[name]
	switch {
	case ok && flags&syscall.O_EXCL != 0:
		return nil, nil, 0, syscall.EEXIST
	case ok && k.isDir():
		return nil, nil, 0, syscall.EISDIR
	case ok:
		if flags&syscall.O_TRUNC != 0 {
			k.data = k.data[:0]
		}
	default:
		k = n.lfs.newInode(syscall.S_IFREG | mode&0o7777)
		n.in.kids[name] = k
		n.in.mtime = time.Now()
	}
	n.lfs.did("create " + n.pathOf(name))
	return n.child(ctx, k, out), nil, 0, 0
}

func (n *node) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.ENOTSUP
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.ENOTSUP
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	return nil, syscall.EINVAL
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	return n.remove(name, false)
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	return n.remove(name, true)
}

func (n *node) remove(name string, dir bool) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	defer n.unlock()
	k, ok := n.in.kids[name]
	switch {
	case !ok:
		return syscall.ENOENT
	case dir && !k.isDir():
		return syscall.ENOTDIR
	case !dir && k.isDir():
		return syscall.EISDIR
	case dir && len(k.kids) > 0:
		return syscall.ENOTEMPTY
	}
	delete(n.in.kids, name)
	n.in.mtime = time.Now()
	n.lfs.did("remove " + n.pathOf(name))
	return 0
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	defer n.unlock()
	np, ok := newParent.(*node)
	if !ok || np.epoch != n.epoch {
		return syscall.EIO
	}
	src, ok := n.in.kids[name]
	if !ok {
		return syscall.ENOENT
	}
	dst, exists := np.in.kids[newName]
	const noReplace, exchange = 1, 2 // RENAME_NOREPLACE, RENAME_EXCHANGE
	switch {
	case flags&exchange != 0:
		if !exists {
			return syscall.ENOENT
		}
		n.in.kids[name], np.in.kids[newName] = dst, src
	case exists && flags&noReplace != 0:
		return syscall.EEXIST
	case exists && dst == src:
		return 0
	case exists && dst.isDir() != src.isDir():
		if dst.isDir() {
			return syscall.EISDIR
		}
		return syscall.ENOTDIR
	case exists && dst.isDir() && len(dst.kids) > 0:
		return syscall.ENOTEMPTY
	default:
		delete(n.in.kids, name)
		np.in.kids[newName] = src
	}
	now := time.Now()
	n.in.mtime, np.in.mtime = now, now
	n.lfs.did("rename " + n.pathOf(name) + " " + np.pathOf(newName))
	return 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if !n.lock() {
		return nil, 0, syscall.EIO
	}
	defer n.unlock()
	if flags&syscall.O_TRUNC != 0 && flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		n.in.data = n.in.data[:0]
		n.lfs.did("truncate " + n.pathOf(""))
	}
	return nil, 0, 0
}

func (n *node) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if !n.lock() {
		return nil, syscall.EIO
	}
	defer n.unlock()
	if off >= int64(len(n.in.data)) {
		return fuse.ReadResultData(nil), 0
	}
	c := copy(dest, n.in.data[off:])
	return fuse.ReadResultData(dest[:c]), 0
}

func (n *node) Write(ctx context.Context, fh fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	if !n.lock() {
		return 0, syscall.EIO
	}
	defer n.unlock()
	end := int(off) + len(data)
	if end > len(n.in.data) {
		n.in.data = resize(n.in.data, end)
	}
	copy(n.in.data[off:], data)
	n.in.mtime = time.Now()
	n.lfs.stats.Writes++
	n.lfs.did("write " + n.pathOf(""))
	return uint32(len(data)), 0
}

// Allocate is fallocate(2): mode 0 extends the file with zeros.
func (n *node) Allocate(ctx context.Context, fh fs.FileHandle, off, size uint64, mode uint32) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	defer n.unlock()
	if mode != 0 {
		return syscall.EOPNOTSUPP
	}
	if end := int(off + size); end > len(n.in.data) {
		n.in.data = resize(n.in.data, end)
		n.lfs.did("allocate " + n.pathOf(""))
	}
	return 0
}

// Fsync makes the file's content, or the directory's entries, durable.
// The kernel sends it for fsync(2), fdatasync(2) and the fsync of a
// directory alike.
func (n *node) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	defer n.unlock()
	if n.in.isDir() {
		n.in.dkids = make(map[string]*inode, len(n.in.kids))
		for name, k := range n.in.kids {
			n.in.dkids[name] = k
		}
		n.lfs.stats.DirSyncs++
		n.lfs.did("fsync dir " + n.pathOf(""))
		return 0
	}
	n.in.ddata = slices.Clone(n.in.data)
	n.lfs.stats.FileSyncs++
	n.lfs.did("fsync " + n.pathOf(""))
	return 0
}

func (n *node) Flush(ctx context.Context, fh fs.FileHandle) syscall.Errno {
	if !n.lock() {
		return syscall.EIO
	}
	n.unlock()
	return 0
}

func (n *node) Release(ctx context.Context, fh fs.FileHandle) syscall.Errno { return 0 }

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	// Room enough: the data lives in memory and tests keep it small.
	out.Bsize = 4096
	out.Frsize = 4096
	out.Blocks = 1 << 24
	out.Bfree = 1 << 24
	out.Bavail = 1 << 24
	out.Files = 1 << 20
	out.Ffree = 1 << 20
	out.NameLen = 255
	return 0
}

// Supported reports whether this machine can mount a lazyfs: /dev/fuse
// exists and the process may mount (it is root).
func Supported() bool {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return false
	}
	return os.Geteuid() == 0
}
