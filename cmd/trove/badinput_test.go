package main

import (
	"strings"
	"testing"
)

// TestBadInput: every malformed command line gets a one-line reason, a
// non-zero exit, and changes nothing in the store.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.write("data/a.txt", "a")
	e.ok("artifact", "put", "data", "-n", "good", "-t", "dataset")
	before := e.ok("artifact", "versions", "good", "--json").stdout
	runsBefore := e.ok("run", "ls", "--json").stdout

	cases := []struct {
		want string
		args []string
	}{
		{"only letters", []string{"artifact", "put", "data", "-n", "bad name", "-t", "dataset"}},
		{"not allowed", []string{"artifact", "put", "data", "-n", "..", "-t", "dataset"}},
		{"'/' and ':'", []string{"artifact", "put", "data", "-n", "x", "-t", "a/b"}},
		{"reserved", []string{"artifact", "put", "data", "-n", "x", "-t", "trove-x"}},
		{"JSON object", []string{"artifact", "put", "data", "-n", "x", "-m", `{"a":`}},
		{"JSON object", []string{"artifact", "put", "data", "-n", "x", "-m", `[1]`}},
		{"reserved", []string{"artifact", "put", "data", "-n", "x", "-a", "v3"}},
		{"no such file", []string{"artifact", "put", "missing", "-n", "x"}},
		{"type dataset, not model", []string{"artifact", "put", "data", "-n", "good", "-t", "model"}},
		{"not found", []string{"artifact", "info", "good:v7"}},
		{"not found", []string{"artifact", "info", "nothing"}},
		{"leading zeros", []string{"artifact", "info", "good:v01"}},
		{"expected [[entity/]project/]name", []string{"artifact", "get", "a/b/c/d"}},
		{"not found", []string{"artifact", "get", "good:nope"}},
		{"managed", []string{"artifact", "alias", "good:v0", "--remove", "latest"}},
		{"has no alias", []string{"artifact", "alias", "good:v0", "--remove", "nope"}},
		{"nothing to do", []string{"artifact", "alias", "good:v0"}},
		{"JSON object", []string{"artifact", "update", "good:v0", "-m", "nope"}},
		{"alias", []string{"artifact", "delete", "good:v0"}},
		{"want upstream, downstream or both", []string{"lineage", "good:v0", "--direction", "sideways"}},
		{"want text, json, dot or mermaid", []string{"lineage", "good:v0", "--format", "xml"}},
		{"0 (unlimited) or more", []string{"lineage", "good:v0", "--depth", "-1"}},
		{"not found", []string{"lineage", "run:nope"}},
		{"not found", []string{"run", "info", "nope"}},
		{"NAME:TYPE=PATH", []string{"exec", "--log", "nope", "--", "true"}},
		{"valid environment variable", []string{"exec", "--use", "good=1X", "--", "true"}},
		{"JSON object", []string{"exec", "--config", "[]", "--", "true"}},
		{"does not start with a number", []string{"artifact", "cache", "cleanup", "lots"}},
		{"unknown command", []string{"artifact", "frobnicate"}},
		{"unknown command", []string{"frobnicate"}},
		{"unknown command", []string{"run", "frobnicate"}},
	}
	for _, tc := range cases {
		e.fails(tc.want, tc.args...)
	}
	if after := e.ok("artifact", "versions", "good", "--json").stdout; after != before {
		t.Errorf("bad input changed the versions:\n%s\nwas\n%s", after, before)
	}
	if runs := e.ok("run", "ls", "--json").stdout; runs != runsBefore {
		t.Errorf("bad input created runs:\n%s", runs)
	}
	if cols := e.ok("artifact", "ls", "--json").stdout; strings.Count(cols, `"name"`) != 1 {
		t.Errorf("bad input created artifacts:\n%s", cols)
	}
}

// TestBadDataDir: an unusable TROVE_URL is a clear error.
func TestBadDataDir(t *testing.T) {
	e := newEnv(t)
	e.vars = append(e.vars, "TROVE_URL=s3://bucket/x")
	e.fails("TROVE_URL", "artifact", "ls")
	f := e.write("plainfile", "x")
	e.vars = append(e.vars, "TROVE_URL="+f)
	e.fails("data directory", "artifact", "ls")
}
