package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEmptyFlagValue: an explicitly empty value (an unset shell variable,
// -n "$NAME") is refused, never replaced by the default the absent flag
// would get.
func TestEmptyFlagValue(t *testing.T) {
	e := newEnv(t)
	e.write("data.csv", "a,b\n")
	for _, c := range []struct {
		want string
		args []string
	}{
		{"-n/--name: empty value (unset shell variable?)", []string{"artifact", "put", "data.csv", "-n", ""}},
		{"-n/--name: empty value", []string{"artifact", "put", "data.csv", "--name="}},
		{"-t/--type: empty value", []string{"artifact", "put", "data.csv", "-t", ""}},
		{"--ttl: empty value", []string{"artifact", "put", "data.csv", "--ttl", ""}},
		{"-p/--project: empty value", []string{"artifact", "put", "data.csv", "-p", ""}},
		{"-e/--entity: empty value", []string{"artifact", "-e", "", "ls"}},
		{"-t/--type: empty value", []string{"artifact", "ls", "-t", ""}},
		{"--root: empty value", []string{"artifact", "get", "data.csv", "--root", ""}},
		{"--name: empty value", []string{"exec", "--name", "", "--", "true"}},
		{"-j/--job-type: empty value", []string{"exec", "-j", "", "--", "true"}},
		{"-p/--project: empty value", []string{"exec", "-p", "", "--", "true"}},
		{"--id: empty value", []string{"artifact", "upsert", "data.csv", "-n", "d", "--id", ""}},
		{"--data: empty value", []string{"server", "--data", ""}},
	} {
		e.fails(c.want, c.args...)
	}
	// Without -n the base name is still the default.
	if got := e.ok("artifact", "put", "data.csv").lastLine(); got != "tester/walkthrough/data.csv:v0" {
		t.Fatalf("put without -n: %q", got)
	}
	if runs := jsonOf[[]runJSON](t, e.ok("run", "ls", "--json")); len(runs) != 1 {
		t.Fatalf("%d runs, want 1 (the upload): the refusals must create none", len(runs))
	}
}

// TestExecUseResolvedFirst: trove exec resolves every --use before it
// creates the run, so a misspelt input leaves no failed run behind.
func TestExecUseResolvedFirst(t *testing.T) {
	e := newEnv(t)
	e.write("data.csv", "a,b\n")
	e.ok("artifact", "put", "data.csv", "-n", "ds")
	before := jsonOf[[]runJSON](t, e.ok("run", "ls", "--json"))
	r := e.fails("--use dss:latest: ", "exec", "-j", "train", "--use", "ds:latest", "--use", "dss:latest", "--", "sh", "-c", "echo ran")
	if !strings.Contains(r.stderr, "not found") || strings.Contains(r.stdout, "ran") || strings.Contains(r.stderr, "started") {
		t.Fatalf("exec with a misspelt --use: stdout %q stderr %q", r.stdout, r.stderr)
	}
	e.fails("--use ds:v7: ", "exec", "--use", "ds:v7", "--", "true")
	if after := jsonOf[[]runJSON](t, e.ok("run", "ls", "--json")); len(after) != len(before) {
		t.Fatalf("%d runs after refused execs, want %d: %+v", len(after), len(before), after)
	}
	// A good input is still downloaded and recorded.
	got := e.ok("exec", "-j", "train", "--use", "ds:latest=DATA", "--", "sh", "-c", `cat "$DATA/data.csv"`).stdout
	if got != "a,b\n" {
		t.Fatalf("exec with a good --use printed %q", got)
	}
}

// TestTTLDaysWeeks: every --ttl takes days and weeks, alone or with Go's
// units.
func TestTTLDaysWeeks(t *testing.T) {
	e := newEnv(t)
	e.write("d/f", "0")
	expiry := func(r result) time.Duration {
		t.Helper()
		info := jsonOf[map[string]any](t, r)
		created, _ := time.Parse(time.RFC3339Nano, info["created_at"].(string))
		expires, _ := time.Parse(time.RFC3339Nano, info["expires_at"].(string))
		return expires.Sub(created)
	}
	if got := expiry(e.ok("artifact", "put", "d", "-n", "d", "--ttl", "30d", "--json")); got != 720*time.Hour {
		t.Errorf("put --ttl 30d: expires %v after creation, want 720h", got)
	}
	if got := expiry(e.ok("artifact", "update", "d:v0", "--ttl", "1w2d12h", "--json")); got != 228*time.Hour {
		t.Errorf("update --ttl 1w2d12h: expires %v after creation, want 228h", got)
	}
	if got := expiry(e.ok("artifact", "update", "d:v0", "--ttl", "2w", "--json")); got != 336*time.Hour {
		t.Errorf("update --ttl 2w: expires %v after creation, want 336h", got)
	}
	for _, ttl := range []string{"3x", "2d-1h", "6000w", "d", "1.2.3d", "0d"} {
		e.fails("--ttl", "artifact", "update", "d:v0", "--ttl", ttl)
	}
	// The server's --pending-ttl too: it is read, and the start fails later.
	e.fails("go together", "server", "--pending-ttl", "2w", "--data", filepath.Join(e.dir, "s"), "--tls-cert", "c.pem")
	e.fails("pending-ttl", "server", "--pending-ttl", "2x", "--data", filepath.Join(e.dir, "s"))
}

func TestParseTTL(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"30d": 720 * time.Hour, "2w": 336 * time.Hour, "1w2d12h": 228 * time.Hour, "1.5d": 36 * time.Hour,
		"90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "0": 0, "0d": 0, "1d1µs": day + time.Microsecond,
	} {
		if got, err := parseTTL(s); err != nil || got != want {
			t.Errorf("parseTTL(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "d", "1", "-1d", "+1d", "1x", "1d-", "5300w", "36501d", "1e3d", "..d", "1dd"} {
		if got, err := parseTTL(s); err == nil {
			t.Errorf("parseTTL(%q) = %v, want an error", s, got)
		}
	}
}

// TestTypoSuggestions: a misspelt command gets cobra's suggestions, on the
// one line of the reason.
func TestTypoSuggestions(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		want string
		args []string
	}{
		{`unknown command "artifcat" for "trove"; did you mean "artifact"?`, []string{"artifcat"}},
		{`did you mean "artifact"?`, []string{"artifcat", "ls"}},
		{`unknown command "lss" for "trove artifact"; did you mean "ls"?`, []string{"artifact", "lss"}},
		{`did you mean "versions"?`, []string{"artifact", "version", "d"}},
		{`unknown command "frobnicate" for "trove run"; see trove run --help`, []string{"run", "frobnicate"}},
	} {
		r := e.fails(c.want, c.args...)
		if n := strings.Count(r.stderr, "\n"); n != 1 {
			t.Errorf("trove %s: %d lines on stderr, want 1: %q", strings.Join(c.args, " "), n, r.stderr)
		}
	}
}

// TestSizeLine: the size line of artifact info counts files in English.
func TestSizeLine(t *testing.T) {
	e := newEnv(t)
	e.write("one.txt", "0123456789")
	e.write("two/a", "a")
	e.write("two/b", "b")
	e.ok("artifact", "put", "one.txt", "-n", "one")
	e.ok("artifact", "put", "two", "-n", "two")
	for ref, want := range map[string]string{"one": "10 B in 1 file\n", "two": "2 B in 2 files\n"} {
		out := e.ok("artifact", "info", ref).stdout
		i := strings.Index(out, "size:")
		if i < 0 || !strings.HasSuffix(strings.SplitAfter(out[i:], "\n")[0], " "+want) {
			t.Errorf("artifact info %s: want a size line ending in %q:\n%s", ref, want, out)
		}
	}
}
