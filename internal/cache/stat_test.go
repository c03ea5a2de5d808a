package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// writeFiles creates n files under dir (in subdirectories of 100) and
// returns their paths; file i holds "content <i>".
func writeFiles(t testing.TB, dir string, n int) []string {
	t.Helper()
	paths := make([]string, n)
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		paths[i] = filepath.Join(sub, fmt.Sprintf("f%05d.bin", i))
		if err := os.WriteFile(paths[i], fileContent(i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

func fileContent(i int) []byte { return []byte("content " + strconv.Itoa(i)) }

// settle waits until files written so far are older than the racy window,
// so that recording them is allowed.
func settle() { time.Sleep(2 * racyWindow) }

func lstat(t testing.TB, p string) fs.FileInfo {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func openStat(t testing.TB, path string) *StatCache {
	t.Helper()
	c, err := OpenStatCache(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recordAll records every path with its real digest, as a caller would
// after hashing.
func recordAll(t testing.TB, c *StatCache, paths []string) {
	t.Helper()
	for i, p := range paths {
		fi := lstat(t, p)
		c.Record(p, fi, core.DigestOf(fileContent(i)), time.Now())
	}
}

func TestStatCacheHitAfterReopen(t *testing.T) {
	dir := t.TempDir()
	paths := writeFiles(t, filepath.Join(dir, "tree"), 50)
	settle()
	db := filepath.Join(dir, "cache", "stat.db")
	c := openStat(t, db)
	recordAll(t, c, paths)
	// Entries are visible in-process before any Flush.
	if _, ok := c.Lookup(paths[0], lstat(t, paths[0])); !ok {
		t.Fatal("recorded entry not found before Flush")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	for _, preload := range []bool{false, true} {
		t.Run(fmt.Sprintf("preload=%v", preload), func(t *testing.T) {
			c := openStat(t, db)
			if preload {
				if err := c.Preload(context.Background(), filepath.Join(dir, "tree")); err != nil {
					t.Fatal(err)
				}
			}
			for i, p := range paths {
				d, ok := c.Lookup(p, lstat(t, p))
				if !ok {
					t.Fatalf("Lookup(%s) missed", p)
				}
				if want := core.DigestOf(fileContent(i)); d != want {
					t.Fatalf("Lookup(%s) = %s, want %s", p, d, want)
				}
			}
			if _, ok := c.Lookup(filepath.Join(dir, "tree", "absent"), lstat(t, paths[0])); ok {
				t.Fatal("Lookup of an unrecorded path hit")
			}
		})
	}
}

func TestStatCacheRacyEntryNotRecorded(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stat.db")
	p := filepath.Join(dir, "fresh.txt")
	c := openStat(t, db)

	if err := os.WriteFile(p, []byte("just written"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi := lstat(t, p)
	// Hashing starts right after the write: the same timestamp tick.
	c.Record(p, fi, core.DigestOf([]byte("just written")), time.Now())
	if _, ok := c.Lookup(p, fi); ok {
		t.Fatal("racy entry was recorded")
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, c); n != 0 {
		t.Fatalf("stat table has %d rows after a racy Record, want 0", n)
	}

	// The same file, hashed once the window has passed, is recorded.
	settle()
	c.Record(p, fi, core.DigestOf([]byte("just written")), time.Now())
	if _, ok := c.Lookup(p, fi); !ok {
		t.Fatal("settled entry was not recorded")
	}
}

func TestIsRacy(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	ns := func(d time.Duration) int64 { return start.Add(d).UnixNano() }
	whole := func(d time.Duration) int64 { return start.Add(d).Truncate(time.Second).UnixNano() }
	tests := []struct {
		name string
		k    statKey
		want bool
	}{
		{"old", statKey{mtime: ns(-time.Hour), ctime: ns(-time.Hour)}, false},
		{"mtime in window", statKey{mtime: ns(-racyWindow / 2), ctime: ns(-time.Hour)}, true},
		{"ctime in window", statKey{mtime: ns(-time.Hour), ctime: ns(-racyWindow / 2)}, true},
		{"mtime at window edge", statKey{mtime: ns(-racyWindow), ctime: ns(-time.Hour)}, true},
		{"just outside window", statKey{mtime: ns(-racyWindow - 1), ctime: ns(-racyWindow - 1)}, false},
		{"mtime in the future", statKey{mtime: ns(time.Minute), ctime: ns(-time.Hour)}, true},
		{"no ctime, old", statKey{mtime: ns(-time.Second)}, false},
		{"no ctime, in window", statKey{mtime: ns(-time.Millisecond)}, true},
		// Whole-second timestamps: a file system with 1-2 s ticks.
		// start is at .5 s, so whole(-1s) is 1.5 s before it.
		{"coarse, 1.5s ago", statKey{mtime: whole(-time.Second), ctime: whole(-time.Second)}, true},
		{"coarse, 2.5s ago", statKey{mtime: whole(-2 * time.Second), ctime: whole(-2 * time.Second)}, false},
		{"coarse mtime only, 1.5s ago", statKey{mtime: whole(-time.Second)}, true},
		// A whole-second mtime set by tar on a fine-grained file system does
		// not widen the window: ctime shows the real granularity.
		{"tar mtime, fine ctime", statKey{mtime: whole(-time.Hour), ctime: ns(-time.Second)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isRacy(tt.k, start); got != tt.want {
				t.Errorf("isRacy = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStatCacheChangeIsMiss(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, p string)
	}{
		{"unchanged", func(*testing.T, string) {}},
		{"size", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("more")
			f.Close()
		}},
		{"mtime", func(t *testing.T, p string) {
			fi := lstat(t, p)
			if err := os.Chtimes(p, fi.ModTime(), fi.ModTime().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
		}},
		{"inode, same size and mtime", func(t *testing.T, p string) {
			// Another file with the same length and mtime renamed over the
			// original, as an editor's atomic save does.
			fi := lstat(t, p)
			repl := p + ".new"
			if err := os.WriteFile(repl, []byte("other   content"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(repl, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(repl, p); err != nil {
				t.Fatal(err)
			}
		}},
		{"ctime only", func(t *testing.T, p string) {
			// Content rewritten, then size and mtime restored by hand:
			// only the change time tells.
			fi := lstat(t, p)
			if err := os.WriteFile(p, []byte("CHANGED CONTENT"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	dir := t.TempDir()
	c := openStat(t, filepath.Join(dir, "stat.db"))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("file%d", i))
			content := []byte("original content"[:15])
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
			settle()
			c.Record(p, lstat(t, p), core.DigestOf(content), time.Now())
			if err := c.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			// A sleep makes the change land in a later timestamp tick,
			// which is what the racy window guarantees in real use.
			time.Sleep(racyWindow)
			tt.change(t, p)
			_, hit := c.Lookup(p, lstat(t, p))
			if wantHit := tt.name == "unchanged"; hit != wantHit {
				t.Fatalf("Lookup after %s change: hit = %v, want %v", tt.name, hit, wantHit)
			}
		})
	}
}

func TestStatCacheSkipsNonRegular(t *testing.T) {
	dir := t.TempDir()
	c := openStat(t, filepath.Join(dir, "stat.db"))
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(sub, link); err != nil {
		t.Fatal(err)
	}
	settle()
	d := core.DigestOf([]byte("x"))
	for _, p := range []string{sub, link} {
		c.Record(p, lstat(t, p), d, time.Now())
		if _, ok := c.Lookup(p, lstat(t, p)); ok {
			t.Errorf("non-regular %s was recorded", p)
		}
	}
	// A relative path is not a key: it would mean another file elsewhere.
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("x"), 0o644)
	settle()
	c.Record("f", lstat(t, f), d, time.Now())
	if n := len(c.pending); n != 0 {
		t.Errorf("relative path recorded: %d pending", n)
	}
}

func TestStatCachePreloadRange(t *testing.T) {
	dir := t.TempDir()
	// "b" must not pull in its sibling "bc" although "b" is a prefix of it.
	a := writeFiles(t, filepath.Join(dir, "b"), 3)
	bc := writeFiles(t, filepath.Join(dir, "bc"), 3)
	settle()
	db := filepath.Join(dir, "stat.db")
	w := openStat(t, db)
	recordAll(t, w, a)
	recordAll(t, w, bc)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	c := openStat(t, db)
	if err := c.Preload(context.Background(), filepath.Join(dir, "b")+"/"); err != nil {
		t.Fatal(err)
	}
	if len(c.entries) != len(a) {
		t.Fatalf("Preload loaded %d entries, want %d", len(c.entries), len(a))
	}
	for _, p := range a {
		if _, ok := c.entries[p]; !ok {
			t.Errorf("Preload did not load %s", p)
		}
	}
	// Outside the preloaded directory, Lookup falls back to a point query.
	if _, ok := c.Lookup(bc[0], lstat(t, bc[0])); !ok {
		t.Error("point query missed an entry outside the preloaded directory")
	}
	// Under a preloaded directory, an entry unknown at Preload time is a
	// miss without a query, even if another process records it since.
	other := openStat(t, db)
	extra := filepath.Join(dir, "b", "late.txt")
	os.WriteFile(extra, []byte("late"), 0o644)
	settle()
	other.Record(extra, lstat(t, extra), core.DigestOf([]byte("late")), time.Now())
	if err := other.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(extra, lstat(t, extra)); ok {
		t.Error("Lookup under a preloaded directory queried the database")
	}
	if err := c.Preload(context.Background(), "relative"); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("Preload(relative) = %v, want ErrInvalid", err)
	}
}

func TestStatCacheConcurrentUse(t *testing.T) {
	dir := t.TempDir()
	paths := writeFiles(t, filepath.Join(dir, "tree"), 400)
	settle()
	c := openStat(t, filepath.Join(dir, "stat.db"))
	if err := c.Preload(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(paths); i += 4 {
				fi, err := os.Lstat(paths[i])
				if err != nil {
					errs <- err
					return
				}
				want := core.DigestOf(fileContent(i))
				c.Record(paths[i], fi, want, time.Now())
				if d, ok := c.Lookup(paths[i], fi); !ok || d != want {
					errs <- fmt.Errorf("Lookup(%s) right after Record = %s, %v", paths[i], d, ok)
					return
				}
				if i%50 == 0 {
					if err := c.Flush(context.Background()); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, c); n != len(paths) {
		t.Fatalf("%d rows after concurrent Records, want %d", n, len(paths))
	}
}

// TestStatCacheTwoProcesses runs two copies of the test binary that record
// and look up entries in one stat.db at the same time, flushing often.
func TestStatCacheTwoProcesses(t *testing.T) {
	if os.Getenv("TROVE_STATCACHE_CHILD") != "" {
		statCacheChild(t)
		return
	}
	dir := t.TempDir()
	const perChild = 300
	paths := writeFiles(t, filepath.Join(dir, "tree"), 2*perChild)
	settle()
	db := filepath.Join(dir, "stat.db")

	cmds := make([]*exec.Cmd, 2)
	outs := make([][]byte, 2)
	var wg sync.WaitGroup
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStatCacheTwoProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			"TROVE_STATCACHE_CHILD="+strconv.Itoa(i),
			"TROVE_STATCACHE_DB="+db,
			"TROVE_STATCACHE_TREE="+filepath.Join(dir, "tree"),
			"TROVE_STATCACHE_N="+strconv.Itoa(perChild))
		cmds[i] = cmd
		wg.Go(func() {
			out, err := cmd.CombinedOutput()
			outs[i] = out
			if err != nil {
				outs[i] = append(outs[i], []byte("\nexit: "+err.Error())...)
			}
		})
	}
	wg.Wait()
	for i, cmd := range cmds {
		if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
			t.Fatalf("child %d failed:\n%s", i, outs[i])
		}
	}

	c := openStat(t, db)
	if n := countRows(t, c); n != len(paths) {
		t.Fatalf("%d rows after both children, want %d", n, len(paths))
	}
	for i, p := range paths {
		if d, ok := c.Lookup(p, lstat(t, p)); !ok || d != core.DigestOf(fileContent(i)) {
			t.Fatalf("Lookup(%s) = %s, %v after the children wrote it", p, d, ok)
		}
	}
}

// statCacheChild is one of the processes of TestStatCacheTwoProcesses: it
// records its half of the files, flushing every 10, and looks up the other
// half as it goes.
func statCacheChild(t *testing.T) {
	id, _ := strconv.Atoi(os.Getenv("TROVE_STATCACHE_CHILD"))
	n, _ := strconv.Atoi(os.Getenv("TROVE_STATCACHE_N"))
	tree := os.Getenv("TROVE_STATCACHE_TREE")
	c, err := OpenStatCache(context.Background(), os.Getenv("TROVE_STATCACHE_DB"))
	if err != nil {
		t.Fatal(err)
	}
	path := func(i int) string {
		return filepath.Join(tree, fmt.Sprintf("d%03d", i/100), fmt.Sprintf("f%05d.bin", i))
	}
	for j := range n {
		i := id*n + j
		c.Record(path(i), lstat(t, path(i)), core.DigestOf(fileContent(i)), time.Now())
		if j%10 == 9 {
			if err := c.Flush(context.Background()); err != nil {
				t.Fatalf("child %d: Flush: %v", id, err)
			}
		}
		// Reads of what the other process may be writing right now must
		// not fail or see wrong digests.
		o := (1-id)*n + j
		if d, ok := c.Lookup(path(o), lstat(t, path(o))); ok && d != core.DigestOf(fileContent(o)) {
			t.Fatalf("child %d: wrong digest for %s", id, path(o))
		}
	}
	if err := c.Close(); err != nil {
		t.Fatalf("child %d: Close: %v", id, err)
	}
}

func TestStatCachePrune(t *testing.T) {
	dir := t.TempDir()
	c := openStat(t, filepath.Join(dir, "stat.db"))
	now := time.Now()
	c.now = func() time.Time { return now }
	ctx := context.Background()
	d := core.DigestOf([]byte("x"))
	insert := func(p string, used time.Time) {
		t.Helper()
		if _, err := c.db.Exec(`INSERT INTO stat VALUES (?, ?, ?)`, p, statEntry{digest: d}.marshal(), used.Unix()); err != nil {
			t.Fatal(err)
		}
	}
	insert("/old", now.Add(-31*24*time.Hour))
	insert("/recent", now.Add(-29*24*time.Hour))

	paths := writeFiles(t, dir, 2)
	settle()
	recordAll(t, c, paths[:1])
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if exists(t, c, "/old") || !exists(t, c, "/recent") || !exists(t, c, paths[0]) {
		t.Fatal("first Flush did not prune exactly the entry unused for 30 days")
	}

	// Within a day of the last prune, Flush does not prune again.
	insert("/old2", now.Add(-40*24*time.Hour))
	now = now.Add(time.Hour)
	recordAll(t, c, paths[1:])
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if !exists(t, c, "/old2") {
		t.Fatal("Flush pruned again within a day")
	}
	now = now.Add(pruneEvery)
	c.Record(paths[1], lstat(t, paths[1]), d, time.Now())
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if exists(t, c, "/old2") {
		t.Fatal("Flush a day later did not prune")
	}
}

func TestStatCacheHitRefreshesUsed(t *testing.T) {
	dir := t.TempDir()
	paths := writeFiles(t, dir, 2)
	settle()
	db := filepath.Join(dir, "stat.db")
	c := openStat(t, db)
	recordAll(t, c, paths)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openStat(t, db)
	old := time.Now().Add(-10 * 24 * time.Hour).Unix()
	if _, err := c.db.Exec("UPDATE stat SET used = ?", old); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(paths[0], lstat(t, paths[0])); !ok {
		t.Fatal("miss")
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	used := func(p string) int64 {
		var u int64
		if err := c.db.QueryRow("SELECT used FROM stat WHERE path = ?", p).Scan(&u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	if u := used(paths[0]); u <= old {
		t.Errorf("hit entry's used time not refreshed: %d", u)
	}
	if u := used(paths[1]); u != old {
		t.Errorf("unused entry's used time changed: %d", u)
	}
}

func TestOpenStatCacheCorrupt(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stat.db")
	garbage := make([]byte, 8192)
	for i := range garbage {
		garbage[i] = byte(i * 7)
	}
	if err := os.WriteFile(db, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := OpenStatCache(context.Background(), db)
	if !errors.Is(err, core.ErrCorrupt) {
		t.Fatalf("OpenStatCache(garbage) = %v, want ErrCorrupt", err)
	}
	// The caller carries on with the nil cache.
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("x"), 0o644)
	settle()
	c.Record(p, lstat(t, p), core.DigestOf([]byte("x")), time.Now())
	if _, ok := c.Lookup(p, lstat(t, p)); ok {
		t.Error("nil cache hit")
	}
	if err := c.Preload(context.Background(), dir); err != nil {
		t.Error(err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Error(err)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

func TestStatCacheFlushFailureKeepsEntries(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stat.db")
	paths := writeFiles(t, filepath.Join(dir, "tree"), 5)
	settle()
	c := openStat(t, db)

	// Another process holds the write lock.
	other, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	recordAll(t, c, paths)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Flush(ctx); err == nil {
		t.Fatal("Flush succeeded while another process held the write lock")
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	// The failed entries are written by the next Flush.
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, c); n != len(paths) {
		t.Fatalf("%d rows after the retried Flush, want %d", n, len(paths))
	}
}

func countRows(t testing.TB, c *StatCache) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow("SELECT count(*) FROM stat").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func exists(t testing.TB, c *StatCache, p string) bool {
	t.Helper()
	var n int
	if err := c.db.QueryRow("SELECT count(*) FROM stat WHERE path = ?", p).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// BenchmarkLookup10k measures what a re-log of an unchanged tree of 10,000
// files costs the stat cache: open, lstat and Lookup of every file, close.
// Each op is the whole tree.
func BenchmarkLookup10k(b *testing.B) {
	dir := b.TempDir()
	tree := filepath.Join(dir, "tree")
	paths := writeFiles(b, tree, 10_000)
	settle()
	db := filepath.Join(dir, "stat.db")
	c, err := OpenStatCache(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	recordAll(b, c, paths)
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	for _, preload := range []bool{true, false} {
		name := "preload"
		if !preload {
			name = "pointquery"
		}
		b.Run(name, func(b *testing.B) {
			// The process's CPU time is reported too: wall time swings with
			// whatever else the machine runs.
			cpu0 := processCPU()
			for b.Loop() {
				c, err := OpenStatCache(context.Background(), db)
				if err != nil {
					b.Fatal(err)
				}
				if preload {
					if err := c.Preload(context.Background(), tree); err != nil {
						b.Fatal(err)
					}
				}
				for _, p := range paths {
					fi, err := os.Lstat(p)
					if err != nil {
						b.Fatal(err)
					}
					if _, ok := c.Lookup(p, fi); !ok {
						b.Fatalf("miss on %s", p)
					}
				}
				if err := c.Close(); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
