package main

import (
	"testing"

	"github.com/troveml/trove/internal/service"
)

// TestProjectLsEmbedded: embedded, trove project ls lists every project of
// the store with its visibility and counts; -e keeps one entity's; bad
// input is refused and changes nothing.
func TestProjectLsEmbedded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if got := e.ok("project", "ls", "--json").stdout; got != "[]\n" {
		t.Errorf("project ls of an empty store = %q, want []", got)
	}
	e.write("a.txt", "a")
	e.ok("artifact", "put", "a.txt", "-n", "a", "-t", "dataset", "-p", "one")
	e.ok("artifact", "put", "a.txt", "-n", "b", "-t", "dataset", "-p", "one")
	e.ok("exec", "-p", "two", "-j", "train", "--", "true")
	e.ok("artifact", "put", "a.txt", "-n", "c", "-t", "dataset", "-p", "three", "-e", "other")
	want := []service.ProjectInfo{
		{Entity: "other", Name: "three", Artifacts: 1, Runs: 1},
		{Entity: "tester", Name: "one", Artifacts: 2, Runs: 2},
		{Entity: "tester", Name: "two", Artifacts: 0, Runs: 1},
	}
	if got := jsonOf[[]service.ProjectInfo](t, e.ok("project", "ls", "--json")); !equalProjects(got, want) {
		t.Errorf("project ls = %+v, want %+v", got, want)
	}
	if got := jsonOf[[]service.ProjectInfo](t, e.ok("project", "ls", "-e", "tester", "--json")); !equalProjects(got, want[1:]) {
		t.Errorf("project ls -e tester = %+v, want %+v", got, want[1:])
	}
	if got := e.ok("project", "ls").stdout; got != "PROJECT      VISIBILITY  ARTIFACTS  RUNS\nother/three  private     1          1\ntester/one   private     2          2\ntester/two   private     0          1\n" {
		t.Errorf("project ls table:\n%s", got)
	}
	before := e.ok("project", "ls", "--json").stdout
	e.fails("entity name", "project", "ls", "-e", "a/b")
	e.fails("-e/--entity: empty value", "project", "ls", "-e", "")
	e.fails("unknown command", "project", "ls", "extra")
	if after := e.ok("project", "ls", "--json").stdout; after != before {
		t.Errorf("refused project ls changed the projects:\n%s\nwas\n%s", after, before)
	}
}

// TestProjectLsServer: against a server, a user who is not an
// administrator sees their own projects, their teams', and public ones —
// never another user's private projects, not even with -e.
func TestProjectLsServer(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	alice, bob := s.user("alice"), s.user("bob")
	alice.write("a.txt", "a")
	alice.ok("artifact", "put", "a.txt", "-n", "a", "-t", "dataset", "-p", "secret")
	alice.ok("artifact", "put", "a.txt", "-n", "a", "-t", "dataset", "-p", "shared")
	alice.ok("project", "visibility", "shared", "public")
	bob.write("b.txt", "b")
	bob.ok("artifact", "put", "b.txt", "-n", "b", "-t", "dataset", "-p", "mine")
	alice.ok("team", "create", "lab")
	alice.ok("team", "add-member", "lab", "bob", "--role", "viewer")
	alice.ok("artifact", "put", "a.txt", "-n", "a", "-t", "dataset", "-p", "lab-work", "-e", "lab")
	alice.ok("team", "create", "hidden") // bob is not a member
	alice.ok("artifact", "put", "a.txt", "-n", "a", "-t", "dataset", "-p", "plans", "-e", "hidden")

	want := []service.ProjectInfo{
		{Entity: "alice", Name: "shared", Public: true, Artifacts: 1, Runs: 1},
		{Entity: "bob", Name: "mine", Artifacts: 1, Runs: 1},
		{Entity: "lab", Name: "lab-work", Artifacts: 1, Runs: 1},
	}
	if got := jsonOf[[]service.ProjectInfo](t, bob.ok("project", "ls", "--json")); !equalProjects(got, want) {
		t.Errorf("bob's project ls = %+v, want %+v", got, want)
	}
	if got := jsonOf[[]service.ProjectInfo](t, bob.ok("project", "ls", "-e", "alice", "--json")); !equalProjects(got, want[:1]) {
		t.Errorf("bob's project ls -e alice = %+v, want only the public one", got)
	}
	for _, ent := range []string{"nosuch", "hidden"} {
		if got := bob.ok("project", "ls", "-e", ent, "--json").stdout; got != "[]\n" {
			t.Errorf("bob's project ls -e %s = %q, want []", ent, got)
		}
	}
	all := jsonOf[[]service.ProjectInfo](t, alice.ok("project", "ls", "--json"))
	if len(all) != 4 || all[0].Entity+"/"+all[0].Name != "alice/secret" || all[2].Entity != "hidden" || all[3].Entity != "lab" {
		t.Errorf("alice's project ls = %+v, want her two projects and her teams'", all)
	}
}

func equalProjects(a, b []service.ProjectInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
