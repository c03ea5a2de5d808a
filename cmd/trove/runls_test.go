package main

import (
	"slices"
	"strings"
	"testing"
)

// TestRunLsFilters: trove run ls lists newest first, selects by job type
// and state, keeps the newest N, and refuses bad values with a clear error
// that changes nothing — embedded and against a server as a user who is
// not an administrator (there the server selects).
func TestRunLsFilters(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		for _, r := range []struct{ name, jobType, cmd string }{
			{"prep-1", "preprocess", "true"},
			{"train-1", "train", "true"},
			{"train-2", "train", "exit 3"},
			{"eval-1", "evaluate", "true"},
		} {
			e.trove("exec", "--name", r.name, "-j", r.jobType, "--", "sh", "-c", r.cmd)
		}
		names := func(args ...string) []string {
			t.Helper()
			var out []string
			for _, r := range jsonOf[[]runJSON](t, e.ok(append([]string{"run", "ls", "--json"}, args...)...)) {
				out = append(out, r.Name)
			}
			return out
		}
		for _, c := range []struct {
			args []string
			want []string
		}{
			{nil, []string{"eval-1", "train-2", "train-1", "prep-1"}},
			{[]string{"--job-type", "train"}, []string{"train-2", "train-1"}},
			{[]string{"-j", "train", "--state", "finished"}, []string{"train-1"}},
			{[]string{"--state", "failed"}, []string{"train-2"}},
			{[]string{"--state", "crashed"}, nil},
			{[]string{"--limit", "2"}, []string{"eval-1", "train-2"}},
			{[]string{"--job-type", "train", "--limit", "1"}, []string{"train-2"}},
			{[]string{"--job-type", "nosuch"}, nil},
		} {
			if got := names(c.args...); !slices.Equal(got, c.want) {
				t.Errorf("run ls %v = %v, want %v", c.args, got, c.want)
			}
		}
		if got := e.ok("run", "ls", "--limit", "1").stdout; !strings.Contains(got, "eval-1") || strings.Contains(got, "train-2") || strings.Count(got, "\n") != 2 {
			t.Errorf("run ls --limit 1 (table) = %q, want eval-1 only", got)
		}

		before := e.ok("run", "ls", "--json").stdout
		e.fails("want one of running, finished, failed, crashed", "run", "ls", "--state", "done")
		e.fails("--limit 0: want at least 1", "run", "ls", "--limit", "0")
		e.fails("--limit -2: want at least 1", "run", "ls", "--limit", "-2")
		e.fails("invalid argument", "run", "ls", "--limit", "many")
		e.fails("--job-type: empty value", "run", "ls", "--job-type", "")
		e.fails("--state: empty value", "run", "ls", "--state", "")
		if after := e.ok("run", "ls", "--json").stdout; after != before {
			t.Errorf("refused run ls changed the runs:\n%s\nwas\n%s", after, before)
		}
	})
}
