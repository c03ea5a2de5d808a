package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// distributedModes runs f embedded (one data directory shared by every
// process) and against two trove server replicas on one PostgreSQL
// database, the writers spread over both.
func distributedModes(t *testing.T, f func(t *testing.T, e *env, urls []string)) {
	t.Run("embedded", func(t *testing.T) {
		e := newEnv(t)
		f(t, e, []string{""})
	})
	t.Run("server-postgres", func(t *testing.T) {
		db := postgresURL(t)
		dir := t.TempDir()
		blobs := "file://" + filepath.Join(dir, "blobs")
		e, s1 := newServerEnv(t, "--db", db, "--blobs", blobs)
		s2 := startServer(t, nil, "--data", filepath.Join(dir, "data2"), "--db", db, "--blobs", blobs)
		f(t, e, []string{s1.url, s2.url})
	})
}

// start starts the CLI without waiting for it; url, when set, replaces
// TROVE_URL (another server replica).
func (e *env) start(url string, out *bytes.Buffer, args ...string) *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), envCLI+"=1"), e.vars...)
	if url != "" {
		cmd.Env = append(cmd.Env, "TROVE_URL="+url)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	return cmd
}

// TestDistributedProcesses is the walkthrough's "adding files from
// parallel runs": 5 processes, started together, each upsert
// parts/table_i.json into parallel-artifact under one distributed id; a
// sixth finishes it with distributed_table.json. There must be exactly one
// version, v0, of the 6 files, downloading intact, whose producers in the
// lineage are the 5 writer runs and the finisher.
func TestDistributedProcesses(t *testing.T) {
	distributedModes(t, func(t *testing.T, e *env, urls []string) {
		const id, writers = "writer-group-1", 5
		want := map[string]string{"distributed_table.json": `{"type":"partitioned-table","parts":"parts"}`}
		for i := range writers {
			p := fmt.Sprintf("parts/table_%d.json", i)
			want[p] = fmt.Sprintf(`{"columns":["a","b","c"],"data":[[%d,%d,%d]]}`, i, 2*i, 1<<i)
			e.write(filepath.Join(fmt.Sprintf("writer%d", i), p), want[p])
		}
		e.write("finisher/distributed_table.json", want["distributed_table.json"])

		cmds := make([]*exec.Cmd, writers)
		outs := make([]bytes.Buffer, writers)
		for i := range writers {
			cmds[i] = e.start(urls[i%len(urls)], &outs[i], "artifact", "upsert", fmt.Sprintf("writer%d", i),
				"-n", "parallel-artifact", "-t", "dataset", "--id", id)
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatalf("writer %d: %v\n%s", i, err, outs[i].String())
			}
		}
		// Nothing is a version before the finish.
		e.fails("not found", "artifact", "info", "parallel-artifact", "--json")

		got := e.ok("artifact", "finish", "finisher", "-n", "parallel-artifact", "-t", "dataset", "--id", id).lastLine()
		if !strings.HasSuffix(got, "/parallel-artifact:v0") {
			t.Fatalf("finish printed %q, want …/parallel-artifact:v0", got)
		}
		vs := jsonOf[[]versionJSON](t, e.ok("artifact", "versions", "parallel-artifact", "--json"))
		if len(vs) != 1 || vs[0].Version != "v0" || vs[0].FileCount != writers+1 {
			t.Fatalf("versions = %+v, want only v0 of %d files", vs, writers+1)
		}
		dir := e.ok("artifact", "get", "parallel-artifact:v0", "--root", filepath.Join(e.dir, "got")).lastLine()
		for p, content := range want {
			if b := e.read(filepath.Join(dir, filepath.FromSlash(p))); b != content {
				t.Errorf("downloaded %s = %q, want %q", p, b, content)
			}
		}

		type node struct {
			Kind    string `json:"kind"`
			RunID   string `json:"run_id"`
			JobType string `json:"job_type"`
		}
		g := jsonOf[struct {
			Nodes []node `json:"nodes"`
		}](t, e.ok("lineage", "parallel-artifact:v0", "--direction", "upstream", "--format", "json"))
		var producers []string
		for _, n := range g.Nodes {
			if n.Kind == "run" {
				producers = append(producers, n.RunID)
			}
		}
		var runs []string
		for _, r := range jsonOf[[]runJSON](t, e.ok("run", "ls", "--json")) {
			if r.Group != id || r.JobType != "upload" || r.State != "finished" {
				t.Errorf("run %+v: want a finished upload run of group %s", r, id)
			}
			runs = append(runs, r.ID)
		}
		slices.Sort(producers)
		slices.Sort(runs)
		if len(runs) != writers+1 || !slices.Equal(producers, runs) {
			t.Fatalf("producers in the lineage %v, want the %d runs %v", producers, writers+1, runs)
		}
	})
}

// TestDistributedRefusals: conflicting content, late upserts, second
// finishes, type mismatches and missing ids are refused and change nothing.
func TestDistributedRefusals(t *testing.T) {
	distributedModes(t, func(t *testing.T, e *env, _ []string) {
		e.write("a/x.json", "first")
		e.write("b/x.json", "second")
		e.write("b/y.json", "y")
		e.write("c/x.json", "first")
		e.write("late/z.json", "z")
		e.ok("artifact", "upsert", "a", "-n", "parts", "--id", "g1")
		e.fails("other content", "artifact", "upsert", "b", "-n", "parts", "--id", "g1")
		e.ok("artifact", "upsert", "c", "-n", "parts", "--id", "g1") // the same content again
		e.fails("is of type dataset, not model", "artifact", "upsert", "late", "-n", "parts", "-t", "model", "--id", "g1")
		e.fails("--id ID is required", "artifact", "upsert", "late", "-n", "parts")
		e.ok("artifact", "finish", "-n", "parts", "--id", "g1")

		e.fails("was finished as", "artifact", "upsert", "late", "-n", "parts", "--id", "g1")
		e.fails("was finished as", "artifact", "finish", "late", "-n", "parts", "--id", "g1")
		e.fails("--allow-empty", "artifact", "finish", "-n", "parts", "--id", "g2")
		e.fails("is of type dataset, not model", "artifact", "upsert", "late", "-n", "parts", "-t", "model", "--id", "g3")

		vs := jsonOf[[]versionJSON](t, e.ok("artifact", "versions", "parts", "--json"))
		if len(vs) != 1 || vs[0].FileCount != 1 {
			t.Fatalf("versions after refusals = %+v, want v0 of one file", vs)
		}
		files := jsonOf[[]fileJSON](t, e.ok("artifact", "files", "parts:v0", "--json"))
		if len(files) != 1 || files[0].Path != "x.json" || files[0].Size != int64(len("first")) {
			t.Fatalf("files of v0 = %+v, want the first writer's x.json only", files)
		}
		dir := e.ok("artifact", "get", "parts:v0", "--root", filepath.Join(e.dir, "got")).lastLine()
		if b := e.read(filepath.Join(dir, "x.json")); b != "first" {
			t.Fatalf("x.json = %q, want the first writer's", b)
		}
	})
}
