package main

import (
	"strings"
	"testing"
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
