package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pendingJSON is what trove artifact pending ls/show --json print.
type pendingJSON struct {
	Name          string     `json:"name"`
	DistributedID string     `json:"distributed_id"`
	State         string     `json:"state"`
	FileCount     int        `json:"file_count"`
	Runs          []string   `json:"runs"`
	ExpiresAt     *time.Time `json:"expires_at"`
	Entries       []fileJSON `json:"entries"`
}

// TestPendingCLI: a distributed artifact made stuck-proof — a path that
// would be both a file and a directory is refused at the upsert; what is
// pending is listed, shown and abandoned; the id then starts afresh.
func TestPendingCLI(t *testing.T) {
	distributedModes(t, func(t *testing.T, e *env, _ []string) {
		e.write("w1/x/y.txt", "below x")
		e.write("w1/z.txt", "z")
		e.write("w2/x", "x as a file")
		e.ok("artifact", "upsert", "w1", "-n", "parts", "--id", "g1")
		e.fails(`"x/y.txt" is pending already, so "x" is a directory and cannot be added as a file`,
			"artifact", "upsert", "w2", "-n", "parts", "--id", "g1")

		ps := jsonOf[[]pendingJSON](t, e.ok("artifact", "pending", "ls", "--json"))
		if len(ps) != 1 || ps[0].Name != "parts" || ps[0].DistributedID != "g1" || ps[0].FileCount != 2 || len(ps[0].Runs) != 1 || ps[0].ExpiresAt == nil {
			t.Fatalf("pending ls = %+v", ps)
		}
		if out := e.ok("artifact", "pending", "ls").stdout; !strings.Contains(out, "parts") || !strings.Contains(out, "g1") {
			t.Errorf("pending ls printed %q", out)
		}
		p := jsonOf[pendingJSON](t, e.ok("artifact", "pending", "show", "parts", "--id", "g1", "--json"))
		if p.State != "open" || len(p.Entries) != 2 || p.Entries[0].Path != "x/y.txt" {
			t.Fatalf("pending show = %+v", p)
		}
		if out := e.ok("artifact", "pending", "show", "parts", "--id", "g1").stdout; !strings.Contains(out, "x/y.txt") || !strings.Contains(out, "open") {
			t.Errorf("pending show printed %q", out)
		}
		e.fails("not found", "artifact", "pending", "show", "parts", "--id", "nope")
		e.fails("--id ID is required", "artifact", "pending", "abandon", "parts")

		r := e.ok("artifact", "pending", "abandon", "parts", "--id", "g1")
		if !strings.Contains(r.stderr, "abandoned") || !strings.Contains(r.stderr, "2 files") {
			t.Errorf("abandon said %q", r.stderr)
		}
		if ps := jsonOf[[]pendingJSON](t, e.ok("artifact", "pending", "ls", "--json")); len(ps) != 0 {
			t.Fatalf("pending ls after abandon = %+v", ps)
		}
		e.fails("not found", "artifact", "pending", "abandon", "parts", "--id", "g1")
		// A fresh start under the same id, where x is a file.
		e.ok("artifact", "upsert", "w2", "-n", "parts", "--id", "g1")
		got := e.ok("artifact", "finish", "-n", "parts", "--id", "g1").lastLine()
		if !strings.HasSuffix(got, "/parts:v0") {
			t.Fatalf("finish printed %q", got)
		}
		files := jsonOf[[]fileJSON](t, e.ok("artifact", "files", "parts:v0", "--json"))
		if len(files) != 1 || files[0].Path != "x" {
			t.Fatalf("files of v0 = %+v, want only x", files)
		}
		e.fails("was finished as", "artifact", "pending", "abandon", "parts", "--id", "g1")
	})
}

// TestEmptyCLI: trove artifact put of an empty directory is refused before
// its upload run exists, unless --allow-empty; trove artifact finish judges
// what the writers added; trove exec --log of an empty output fails the run
// unless --allow-empty.
func TestEmptyCLI(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		empty := filepath.Join(e.work, "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			t.Fatal(err)
		}
		e.fails("artifact empty has no files or references: add some, or allow an empty version with --allow-empty",
			"artifact", "put", empty, "-n", "empty")
		if runs := jsonOf[[]runJSON](t, e.ok("run", "ls", "--json")); len(runs) != 0 {
			t.Fatalf("a refused empty put left runs %+v", runs)
		}
		if got := e.ok("artifact", "put", empty, "-n", "empty", "--allow-empty").lastLine(); !strings.HasSuffix(got, "/empty:v0") {
			t.Fatalf("put --allow-empty printed %q", got)
		}

		e.fails("--allow-empty", "artifact", "finish", "-n", "dist", "--id", "g")
		e.ok("artifact", "finish", "-n", "dist", "--id", "g", "--allow-empty")

		e.fails("--allow-empty", "exec", "--log", "out:dataset="+empty, "--", "true")
		e.ok("exec", "--allow-empty", "--log", "out:dataset="+empty, "--", "true")
		vs := jsonOf[[]versionJSON](t, e.ok("artifact", "versions", "out", "--json"))
		if len(vs) != 1 || vs[0].FileCount != 0 {
			t.Fatalf("versions of out = %+v", vs)
		}
	})
}

// TestPendingTTL: a server abandons a distributed artifact nobody upserted
// to for its --pending-ttl when it collects garbage, and its blob is live
// no more: the lease of its upload ended with the upsert, so a GC without
// grace frees it at once.
func TestPendingTTL(t *testing.T) {
	e, _ := newServerEnv(t, "--pending-ttl", "1ms", "--gc-interval", "0")
	e.write("w/part.txt", "a part nobody finishes")
	e.ok("artifact", "upsert", "w", "-n", "parts", "--id", "g")
	time.Sleep(50 * time.Millisecond)
	e.vars[1] = "TROVE_API_KEY=" + adminKey(t, filepath.Join(e.dir, "server"))
	rep := jsonOf[map[string]any](t, e.ok("gc", "--grace", "0", "--json"))
	if rep["live"] != 0.0 || rep["kept"] != 0.0 || rep["freed"] != 1.0 {
		t.Errorf("trove gc = %v; want the abandoned part's blob freed (not live, its upload's lease ended with the upsert)", rep)
	}
	if ps := jsonOf[[]pendingJSON](t, e.ok("artifact", "pending", "ls", "-e", "tester", "--json")); len(ps) != 0 {
		t.Fatalf("pending after the TTL and a GC: %+v", ps)
	}
	e.fails("--pending-ttl", "server", "--pending-ttl", "-1s", "--data", filepath.Join(e.dir, "other"))
}
