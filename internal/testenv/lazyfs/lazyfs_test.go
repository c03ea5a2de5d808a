//go:build linux

package lazyfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/troveml/trove/internal/testenv"
)

// mount mounts a new FS in a temporary directory, unmounted at the end.
func mount(t *testing.T) (*FS, string) {
	t.Helper()
	testenv.Require(t, "FUSE (/dev/fuse, root)", Supported())
	dir := t.TempDir()
	f := New()
	if err := f.Mount(dir); err != nil {
		testenv.Require(t, "a FUSE mount ("+err.Error()+")", false)
	}
	t.Cleanup(func() {
		if err := f.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return f, dir
}

// powerCut cuts power and mounts the durable state again.
func powerCut(t *testing.T, f *FS, dir string) {
	t.Helper()
	f.Cut()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	if err := f.Mount(dir); err != nil {
		t.Fatal(err)
	}
}

func syncPath(t *testing.T, p string) {
	t.Helper()
	fd, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if err := fd.Sync(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, content string, sync bool) {
	t.Helper()
	fd, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fd.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := fd.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := fd.Close(); err != nil {
		t.Fatal(err)
	}
}

// want checks p's content after a cut; "" with gone means missing.
func want(t *testing.T, p string, content string, present bool) {
	t.Helper()
	b, err := os.ReadFile(p)
	switch {
	case !present && err == nil:
		t.Errorf("%s survived the cut with %q; want it gone", filepath.Base(p), b)
	case !present && !errors.Is(err, os.ErrNotExist):
		t.Errorf("%s: %v; want not exist", filepath.Base(p), err)
	case present && err != nil:
		t.Errorf("%s: %v; want %q", filepath.Base(p), err, content)
	case present && string(b) != content:
		t.Errorf("%s = %q after the cut; want %q", filepath.Base(p), b, content)
	}
}

func TestCutFiles(t *testing.T) {
	f, dir := mount(t)
	p := func(name string) string { return filepath.Join(dir, name) }

	writeFile(t, p("synced"), "kept", true)
	writeFile(t, p("unsynced"), "lost", false)
	writeFile(t, p("nodirsync"), "data synced, name not", true)
	syncPath(t, dir) // names so far: synced, unsynced, nodirsync
	writeFile(t, p("late"), "created after the dir sync", true)
	// Content synced, then changed without a sync: the synced content stays.
	writeFile(t, p("synced"), "newer, unsynced", false)
	// An unsynced file whose name is durable keeps its durable (empty)
	// content, as on ext4 after a crash.
	powerCut(t, f, dir)

	want(t, p("synced"), "kept", true)
	want(t, p("unsynced"), "", true)
	want(t, p("nodirsync"), "data synced, name not", true)
	want(t, p("late"), "", false)
	if st := f.Stats(); st.Cuts != 1 || st.FileSyncs < 3 || st.DirSyncs != 1 {
		t.Errorf("stats %+v; want 1 cut, 3+ file syncs, 1 dir sync", st)
	}
}

func TestCutRenameAndUnlink(t *testing.T) {
	f, dir := mount(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	if err := os.Mkdir(p("d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p("d/a"), "A", true)
	writeFile(t, p("d/b"), "B", true)
	writeFile(t, p("d/gone"), "G", true)
	syncPath(t, p("d"))
	syncPath(t, dir)

	// Renamed without a dir sync: the old name stays, the new is lost.
	if err := os.Rename(p("d/a"), p("d/a2")); err != nil {
		t.Fatal(err)
	}
	// Unlinked without a dir sync: back after the cut.
	if err := os.Remove(p("d/gone")); err != nil {
		t.Fatal(err)
	}
	// A temp file renamed over b, then the dir synced: the new b is durable.
	writeFile(t, p("tmp"), "B2", true)
	syncPath(t, dir)
	if err := os.Rename(p("tmp"), p("d/b")); err != nil {
		t.Fatal(err)
	}
	// A new directory with a synced file, its own entries synced, but
	// not its name in the parent: all of it lost.
	if err := os.Mkdir(p("new"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p("new/x"), "X", true)
	syncPath(t, p("new"))
	powerCut(t, f, dir)

	want(t, p("d/a"), "A", true)
	want(t, p("d/a2"), "", false)
	want(t, p("d/gone"), "G", true)
	want(t, p("d/b"), "B", true)
	want(t, p("tmp"), "B2", true) // the root was synced with tmp in it
	want(t, p("new/x"), "", false)

	// Now with the dir sync: the rename and the unlink are durable.
	if err := os.Rename(p("tmp"), p("d/b")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p("d/gone")); err != nil {
		t.Fatal(err)
	}
	syncPath(t, p("d"))
	powerCut(t, f, dir)
	want(t, p("d/b"), "B2", true)
	want(t, p("d/gone"), "", false)
	// tmp's removal from the root was not synced: the name comes back,
	// the same inode as d/b.
	want(t, p("tmp"), "B2", true)
}

// A handle opened before a cut is dead after it, even before the unmount.
func TestCutKillsHandles(t *testing.T) {
	f, dir := mount(t)
	fd, err := os.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	f.Cut()
	if _, err := fd.Write([]byte("x")); !errors.Is(err, syscall.EIO) {
		t.Errorf("write after the cut: %v; want EIO", err)
	}
}

// Writes at offsets, truncation and fdatasync, as SQLite does them.
func TestWriteAtTruncateDatasync(t *testing.T) {
	f, dir := mount(t)
	p := filepath.Join(dir, "db")
	fd, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	syncPath(t, dir)
	fd.WriteAt([]byte("hello world"), 0)
	fd.WriteAt([]byte("W"), 6)
	fd.WriteAt([]byte("!"), 20) // a hole of zeros
	if err := syscall.Fdatasync(int(fd.Fd())); err != nil {
		t.Fatal(err)
	}
	if err := fd.Truncate(5); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "hello" {
		t.Errorf("before the cut: %q; want the truncated %q", b, "hello")
	}
	fd.Close()
	powerCut(t, f, dir)
	b, _ = os.ReadFile(p)
	if w := "hello World\x00\x00\x00\x00\x00\x00\x00\x00\x00!"; !bytes.Equal(b, []byte(w)) {
		t.Errorf("after the cut: %q; want the fdatasynced %q", b, w)
	}
}

// CutWhen cuts right after the chosen operation: it completes, the next
// one fails, and only what was durable then is left.
func TestCutWhen(t *testing.T) {
	f, dir := mount(t)
	writeFile(t, filepath.Join(dir, "a"), "A", true)
	syncPath(t, dir)
	fired := f.CutWhen(func(op string) bool { return op == "fsync b" })
	fd, err := os.Create(filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	fd.WriteString("B")
	select {
	case <-fired:
		t.Fatal("cut before the chosen operation")
	default:
	}
	if err := fd.Sync(); err != nil {
		t.Fatalf("the chosen operation: %v; want it to complete", err)
	}
	<-fired
	if _, err := fd.WriteString("more"); !errors.Is(err, syscall.EIO) {
		t.Errorf("write after the cut: %v; want EIO", err)
	}
	fd.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	if err := f.Mount(dir); err != nil {
		t.Fatal(err)
	}
	want(t, filepath.Join(dir, "a"), "A", true)
	want(t, filepath.Join(dir, "b"), "", false) // its name was never synced
	if f.CutWhen(nil) != nil {
		t.Error("CutWhen(nil) returned a channel")
	}
}
