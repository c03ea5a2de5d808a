package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// privateTree checks that every directory under dir (dir included) is 0700
// and every file 0600, and returns how many files it saw.
func privateTree(t *testing.T, dir string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestFileModes: a fresh data directory (embedded or a server's) and the
// client cache are the user's alone: directories 0700, files 0600 — the
// SQLite database with its -wal and -shm, blobs, keys, the stat and blob
// caches. An existing store made with looser modes is tightened when it is
// opened.
func TestFileModes(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		data := filepath.Join(e.dir, "data")
		embedded := true
		if _, err := os.Stat(filepath.Join(e.dir, "server")); err == nil {
			data, embedded = filepath.Join(e.dir, "server"), false
		}
		cache := filepath.Join(e.dir, "cache")
		writeTree(t, filepath.Join(e.work, "src"), 5, 3, 64<<10)
		e.ok("artifact", "put", "src", "-n", "modes", "-t", "dataset")
		e.ok("artifact", "get", "modes:v0", "--root", filepath.Join(e.work, "out"))
		// SQLite removes -wal and -shm when the last process closes the
		// database: only the server's are there to see (the SDK's test of
		// modes sees the embedded ones while open).
		for _, f := range []string{"trove.db", "trove.db-wal", "trove.db-shm"} {
			if _, err := os.Stat(filepath.Join(data, f)); err != nil && (!embedded || f == "trove.db") {
				t.Errorf("%s: %v", f, err)
			}
		}
		if _, err := os.Stat(filepath.Join(cache, "stat.db")); err != nil {
			t.Errorf("stat cache: %v", err)
		}
		if n := privateTree(t, data); n < 5 {
			t.Errorf("%d files in the data directory, want the database and the blobs", n)
		}
		privateTree(t, cache)

		// A store from before: loose modes, tightened on open.
		loose := map[string]fs.FileMode{cache: 0o755, filepath.Join(cache, "stat.db"): 0o644}
		if embedded {
			loose[data] = 0o755
			loose[filepath.Join(data, "trove.db")] = 0o644
		}
		for p, m := range loose {
			if err := os.Chmod(p, m); err != nil {
				t.Fatal(err)
			}
		}
		e.ok("artifact", "put", "src", "-n", "modes", "-t", "dataset")
		for p := range loose {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s not tightened on open: %v, %v", p, fi.Mode().Perm(), err)
			}
		}
	})
}

// TestServerTightensDataDir: a server started on a data directory made with
// looser modes takes group and other permissions away.
func TestServerTightensDataDir(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, nil, "--data", data)
	s.stop()
	for p, m := range map[string]fs.FileMode{data: 0o755, filepath.Join(data, "trove.db"): 0o644, filepath.Join(data, "trove.db.lock"): 0o644} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	s.restart()
	privateTree(t, data)
}
