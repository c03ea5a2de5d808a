package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/troveml/trove/internal/testenv"
)

// mountSmall mounts a file system of the given size (tmpfs: "16m") on a new
// directory and unmounts it at the end of the test. It needs root: the test
// is skipped without, and fails under TROVE_REQUIRE_ALL=1 (CI runs as
// root).
func mountSmall(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Logf("mount -t tmpfs: %v: %s", err, out)
	}
	testenv.Require(t, "a small file system to fill (mount -t tmpfs, as root)", err == nil)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill appends to the file at path until the file system is full, then
// frees leave bytes of it.
func fill(t *testing.T, path string, leave int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for n := len(buf); n > 0; n /= 2 {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	if leave > 0 {
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(fi.Size() - leave); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiskFull fills the disk under a store, embedded and behind a server:
// a put that does not fit and a metadata write that does not fit fail at
// once, in one line saying why ("no space left on device", "database is
// full"); nothing of them is left, the store stays sound, and once space is
// freed the same put succeeds and verifies.
func TestDiskFull(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		small := mountSmall(t, "64m")
		e := newEnv(t)
		e.vars[0] = "TROVE_URL=" + filepath.Join(small, "data")
		diskFull(t, e, small)
	})
	t.Run("server", func(t *testing.T) {
		small := mountSmall(t, "64m")
		e := newEnv(t)
		data := filepath.Join(small, "data")
		s := startServer(t, nil, "--data", data)
		e.vars = []string{
			"TROVE_URL=" + s.url,
			"TROVE_API_KEY=" + adminKey(t, data),
			"TROVE_CACHE_DIR=" + filepath.Join(e.dir, "cache"),
			"TROVE_CONFIG=" + filepath.Join(e.dir, "config.json"),
			"TROVE_PROJECT=walkthrough",
		}
		diskFull(t, e, small)
	})
}

func diskFull(t *testing.T, e *env, small string) {
	e.t = t
	e.write("ok/a.txt", "fits")
	e.ok("artifact", "put", "ok", "-n", "ok", "-t", "dataset")
	blobs := countFiles(t, filepath.Join(small, "data", "blobs"))

	// Blobs that do not fit, one of them larger than streamUploadMin (a
	// server takes it streamed), with 1 MiB left for the metadata.
	big := filepath.Join(e.work, "big")
	writeTree(t, big, 8, 2, 4<<20)
	writeTree(t, filepath.Join(e.dir, "huge"), 7, 1, 34<<20)
	if err := os.Rename(filepath.Join(e.dir, "huge", "part-000.bin"), filepath.Join(big, "huge.bin")); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(small, "filler")
	fill(t, filler, 1<<20)
	start := time.Now()
	r := e.fails("no space left on device", "artifact", "put", "big", "-n", "big", "-t", "dataset")
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a put on a full disk failed after %v, want at once", took)
	}
	if strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "retrying") || !strings.Contains(r.stderr, "blob") {
		t.Errorf("stderr %q: want the one line, about a blob", r.stderr)
	}
	t.Logf("put on a full disk: %s", r.stderr)
	e.fails("not found", "artifact", "versions", "big")
	if n := countFiles(t, filepath.Join(small, "data", "blobs")); n != blobs {
		t.Errorf("%d blob files after the failed put, want the %d there were", n, blobs)
	}

	// Metadata writes once not a byte is left: descriptions grow the
	// database until one does not fit.
	fill(t, filler, 0)
	var failed result
	for i := range 300 {
		desc := make([]byte, 16<<10)
		rand.Read(desc)
		r := e.trove("artifact", "update", "ok:v0", "-d", hex.EncodeToString(desc))
		if r.code != 0 {
			failed = r
			t.Logf("metadata write %d failed: %s", i, r.stderr)
			break
		}
	}
	if failed.code == 0 {
		t.Fatal("300 metadata writes of 32 KiB fitted on a full disk")
	}
	if lines := strings.Split(strings.TrimSpace(failed.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "database is full") {
		t.Errorf("metadata write on a full disk: stderr %q, want one line saying the database is full", failed.stderr)
	}

	// Space again: the store is sound and takes the put.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("artifact", "put", "big", "-n", "big", "-t", "dataset").lastLine(); !strings.HasSuffix(got, "/big:v0") {
		t.Errorf("put once space is freed printed %q, want big:v0", got)
	}
	e.checkDownload("big:v0", "big")
	e.checkDownload("ok:v0", "ok")
	if r := e.ok("verify"); !strings.Contains(r.stdout+r.stderr, " 0 corrupt, 0 missing") {
		t.Errorf("verify after the full disk: %s%s", r.stdout, r.stderr)
	}
}

// countFiles counts the regular files under dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}
