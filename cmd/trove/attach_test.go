package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestExecAttach: a trove command started by trove exec (artifact put, a
// nested exec) attaches to the exec's run through TROVE_RUN_ID, so the
// project holds one run whose outputs are what the commands logged.
func TestExecAttach(t *testing.T) { modes(t, testExecAttach) }

func testExecAttach(t *testing.T, e *env) {
	e.write("data.txt", "data")
	// The command is this test binary as trove (TROVE_TEST_BE_CLI reaches it).
	script := `"$1" artifact put data.txt -n data -t dataset && "$1" exec -j ignored --log more:dataset=more.txt -- sh -c 'echo more > more.txt'`
	r := e.ok("exec", "--name", "outer-run-1", "-j", "train", "--", "sh", "-c", script, "sh", os.Args[0])
	if !strings.Contains(r.stderr, "trove: attached to run outer-run-1") {
		t.Errorf("nested exec does not say it attached: %s", r.stderr)
	}
	runs := jsonOf[[]runJSON](t, e.ok("run", "ls", "--json"))
	if len(runs) != 1 || runs[0].Name != "outer-run-1" || runs[0].State != "finished" || runs[0].JobType != "train" {
		t.Fatalf("runs = %+v, want the exec's run only, finished", runs)
	}
	info := jsonOf[runInfoJSON](t, e.ok("run", "info", "outer-run-1", "--json"))
	want := []string{"tester/walkthrough/data:v0", "tester/walkthrough/more:v0"}
	if !slices.Equal(info.Outputs, want) {
		t.Fatalf("outputs of the exec's run = %v, want %v", info.Outputs, want)
	}

	// A command that asks for another project than the run's is refused,
	// naming TROVE_RUN_ID, and the exec's run fails with it.
	r = e.trove("exec", "--name", "outer-run-2", "--", os.Args[0], "artifact", "put", "data.txt", "-n", "data", "-t", "dataset", "-p", "elsewhere")
	if r.code == 0 || !strings.Contains(r.stderr, "TROVE_RUN_ID=") || !strings.Contains(r.stderr, "not tester/elsewhere") {
		t.Fatalf("put to another project under exec: exit %d, stderr %s", r.code, r.stderr)
	}
	runs = jsonOf[[]runJSON](t, e.ok("run", "ls", "--json"))
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2 (no run of the refused put)", len(runs))
	}
	// Outside exec, a stale TROVE_RUN_ID is an error that names it.
	e.vars = append(e.vars, "TROVE_RUN_ID="+info.ID)
	e.fails("TROVE_RUN_ID="+info.ID, "artifact", "put", "data.txt", "-n", "data", "-t", "dataset")
}
