package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGC runs trove gc on an embedded store and against a server, where
// only site administrators may run it.
func TestGC(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.write("data/a.txt", "kept by v1")
		e.write("data/b.txt", "only in v0")
		e.ok("artifact", "put", "data", "-n", "gcds", "-t", "dataset")
		e.write("data/b.txt", "only in v1")
		e.ok("artifact", "put", "data", "-n", "gcds", "-t", "dataset")
		e.ok("artifact", "delete", "gcds:v0")

		check := func() {
			t.Helper()
			dir := e.ok("artifact", "get", "gcds:v1", "--root", filepath.Join(e.dir, "get")).lastLine()
			if got := e.read(filepath.Join(dir, "b.txt")); got != "only in v1" {
				t.Errorf("v1 after GC: b.txt = %q", got)
			}
		}
		defer check()
		if strings.HasPrefix(strings.Join(e.vars, " "), "TROVE_URL=http") {
			user := e.vars[1]
			defer func() { e.vars[1] = user }()
			e.fails("administrators", "gc", "--grace", "0")
			e.vars[1] = "TROVE_API_KEY=" + adminKey(t, filepath.Join(e.dir, "server"))
		}
		e.fails("must not be negative", "gc", "--grace", "-1h")
		// v0's own blob is not live; it is younger than the default
		// grace period (the lease time), which keeps it.
		r := e.ok("gc", "--dry-run")
		if got := r.lastLine(); got != "would free 0 blobs, 0.0 MiB; kept 1" {
			t.Errorf("trove gc --dry-run printed %q", got)
		}
		rep := jsonOf[map[string]any](t, e.ok("gc", "--dry-run", "--json"))
		if rep["grace_seconds"] != 3600.0 || rep["kept"] != 1.0 {
			t.Errorf("trove gc --dry-run --json = %v; want grace_seconds 3600, 1 kept", rep)
		}
		// The leases of the log ended with its commit: without a grace
		// period the blob goes at once.
		rep = jsonOf[map[string]any](t, e.ok("gc", "--grace", "0", "--json"))
		if rep["scanned"] != 3.0 || rep["live"] != 2.0 || rep["kept"] != 0.0 || rep["freed"] != 1.0 || rep["dry_run"] != false {
			t.Errorf("trove gc --json = %v; want 3 scanned, 2 live, 1 freed", rep)
		}
		if _, ok := rep["duration_seconds"].(float64); !ok || rep["grace_seconds"] != 0.0 {
			t.Errorf("trove gc --json = %v; want grace_seconds 0 and duration_seconds", rep)
		}
		if _, ok := rep["duration"]; ok {
			t.Errorf("trove gc --json = %v: a duration without a unit", rep)
		}
	})
}
