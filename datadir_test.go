package trove

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestDataDir pins the rule that tells a TROVE_URL naming a directory from
// a server address missing its scheme.
func TestDataDir(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { return filepath.Join(wd, p) }
	for _, tc := range []struct {
		in, want string // want "" means core.ErrInvalid
	}{
		// Server addresses without http://.
		{"localhost:18080", ""},
		{"localhost:18080/", ""},
		{"trove.example.com:443/api", ""},
		{"10.0.0.5:8080", ""},
		{"[::1]:8080", ""},
		{":8080", ""},
		{"data:1", ""},
		// Schemes that are not directories.
		{"http://localhost:8080", ""},
		{"ftp://host/x", ""},
		{"file://host/x", ""},
		// Directories.
		{"./data:1", abs("data:1")},
		{"data", abs("data")},
		{"data:v1", abs("data:v1")},
		{"data:", abs("data:")},
		{"store/localhost:8080", abs("store/localhost:8080")},
		{"my_store:1", abs("my_store:1")},
		{`C:\data`, abs(`C:\data`)},
		{"C:/data", abs("C:/data")},
		{"/srv/trove", "/srv/trove"},
		{"/srv/host:80", "/srv/host:80"},
		{"file:///srv/trove", "/srv/trove"},
		{"file://localhost/srv/a:1", "/srv/a:1"},
	} {
		got, err := DataDir(tc.in)
		switch {
		case tc.want == "" && !errors.Is(err, core.ErrInvalid):
			t.Errorf("DataDir(%q) = %q, %v; want invalid", tc.in, got, err)
		case tc.want != "" && (err != nil || got != filepath.Clean(tc.want)):
			t.Errorf("DataDir(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err = DataDir("localhost:18080"); err == nil || !strings.Contains(err.Error(), "http://localhost:18080") || !strings.Contains(err.Error(), "./localhost:18080") {
		t.Errorf("error %v does not suggest http://localhost:18080 and ./localhost:18080", err)
	}
}

// TestOpenRefusesHostPort: Open with a scheme-less server address fails and
// creates no directory named after it.
func TestOpenRefusesHostPort(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	_, err := Open(context.Background(), Options{URL: "localhost:18080", CacheDir: filepath.Join(dir, "cache"), Entity: "tester"})
	if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "http://localhost:18080") {
		t.Fatalf("Open(localhost:18080): %v, want invalid suggesting http://localhost:18080", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "localhost:18080")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a directory named localhost:18080 was created (%v)", err)
	}
}

// TestEmbeddedFileModes: while an embedded store is open, its database and
// the -wal and -shm files SQLite makes beside it, the blobs and the stat
// cache are 0600 in 0700 directories.
func TestEmbeddedFileModes(t *testing.T) {
	c, work := testClient(t)
	write(t, filepath.Join(work, "src", "a.txt"), "alpha")
	a := NewArtifact("modes", "dataset")
	if err := a.AddDir(filepath.Join(work, "src")); err != nil {
		t.Fatal(err)
	}
	if _, err := startRun(t, c).LogArtifact(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(work)
	seen := map[string]bool{}
	for _, dir := range []string{filepath.Join(root, "data"), filepath.Join(root, "cache")} {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			want := os.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s is %v, want %v", p, fi.Mode().Perm(), want)
			}
			seen[d.Name()] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"trove.db", "trove.db-wal", "trove.db-shm", "trove.db.lock", "stat.db", "stat.db-wal"} {
		if !seen[name] {
			t.Errorf("no %s to check", name)
		}
	}
}

// FuzzDataDir: DataDir never panics; whatever it accepts is an absolute
// path, and a value whose first segment is HOST:PORT with a numeric port is
// never taken for a directory.
func FuzzDataDir(f *testing.F) {
	for _, s := range []string{"localhost:18080", "./data:1", "data", "file:///tmp/x", "http://h:1", "[::1]:8080", "C:\\data", ":80/x", "a:b:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		if u == "" {
			return // the default directory: depends on the environment
		}
		dir, err := DataDir(u)
		if err != nil {
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("DataDir(%q): %v, not invalid", u, err)
			}
			return
		}
		if !filepath.IsAbs(dir) {
			t.Fatalf("DataDir(%q) = %q, not absolute", u, dir)
		}
		if !strings.Contains(u, "://") && looksLikeHostPort(u) {
			t.Fatalf("DataDir(%q) = %q for a host:port", u, dir)
		}
		first, _, _ := strings.Cut(u, "/")
		if host, port, ok := strings.Cut(first, ":"); ok && !strings.Contains(u, "://") && port != "" && strings.Trim(port, "0123456789") == "" && strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789.-") == "" {
			t.Fatalf("DataDir(%q) = %q: %q reads as host:port", u, dir, first)
		}
	})
}
