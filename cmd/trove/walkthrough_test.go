package main

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestWalkthrough follows artifacts-walkthrough.md with the CLI: v0,
// unchanged content still v0, changed content v1, latest and custom aliases
// move, get of v0 returns v0's bytes, delete refused while aliased.
func TestWalkthrough(t *testing.T) { modes(t, testWalkthrough) }

func testWalkthrough(t *testing.T, e *env) {
	e.write("data/bicycle-data.h5", "wheels: 2\n")
	e.write("data/images/cat.png", "meow")

	r := e.ok("artifact", "put", "data", "-n", "bike-dataset", "-t", "dataset", "-a", "best", "-d", "first cut", "-m", `{"rows": 2}`)
	if got := r.lastLine(); got != "tester/walkthrough/bike-dataset:v0" {
		t.Fatalf("first put printed %q", got)
	}
	r = e.ok("artifact", "put", "data", "-n", "bike-dataset", "-t", "dataset")
	if got := r.lastLine(); got != "tester/walkthrough/bike-dataset:v0" {
		t.Fatalf("unchanged put printed %q, want v0 again", got)
	}
	if want := "trove: content unchanged: bike-dataset:v0 kept\n"; !strings.HasSuffix(r.stderr, want) {
		t.Errorf("unchanged put: stderr %q, want it to end with %q", r.stderr, want)
	}
	// Metadata and description given with unchanged content are not
	// applied, and the notice says so; the same ones are not reported.
	r = e.ok("artifact", "put", "data", "-n", "bike-dataset", "-t", "dataset", "-m", `{"rows": 3}`)
	if want := "trove: content unchanged: bike-dataset:v0 kept; its metadata was not changed (use trove artifact update)\n"; !strings.HasSuffix(r.stderr, want) {
		t.Errorf("unchanged put with -m: stderr %q, want it to end with %q", r.stderr, want)
	}
	r = e.ok("artifact", "put", "data", "-n", "bike-dataset", "-t", "dataset", "-d", "second cut", "-m", `{"rows": 3}`)
	if want := "its description and metadata were not changed (use trove artifact update)\n"; !strings.HasSuffix(r.stderr, want) {
		t.Errorf("unchanged put with -d -m: stderr %q, want it to end with %q", r.stderr, want)
	}
	r = e.ok("artifact", "put", "data", "-n", "bike-dataset", "-t", "dataset", "-d", "first cut", "-m", `{"rows": 2}`)
	if want := "trove: content unchanged: bike-dataset:v0 kept\n"; !strings.HasSuffix(r.stderr, want) {
		t.Errorf("unchanged put with the same -d -m: stderr %q, want it to end with %q", r.stderr, want)
	}
	if info := jsonOf[map[string]any](t, e.ok("artifact", "info", "bike-dataset:v0", "--json")); info["description"] != "first cut" || info["metadata"].(map[string]any)["rows"] != float64(2) {
		t.Errorf("v0 after unchanged puts: %v %v", info["description"], info["metadata"])
	}
	e.write("data/bicycle-data.h5", "wheels: 3\n")
	if got := e.ok("artifact", "put", "data", "-n", "bike-dataset", "-t", "dataset").lastLine(); got != "tester/walkthrough/bike-dataset:v1" {
		t.Fatalf("changed put printed %q, want v1", got)
	}

	info := jsonOf[map[string]any](t, e.ok("artifact", "info", "bike-dataset:latest", "--json"))
	if info["version"] != "v1" || !slices.Equal(anyStrings(info["aliases"]), []string{"latest"}) {
		t.Fatalf("latest = %v %v", info["version"], info["aliases"])
	}
	for _, key := range []string{"entity", "project", "name", "type", "version", "digest", "aliases", "description", "metadata", "size", "file_count", "state", "created_at", "logged_by", "used_by"} {
		if _, ok := info[key]; !ok {
			t.Errorf("artifact info --json lacks %q", key)
		}
	}

	// The custom alias moves from v0 to v1.
	e.ok("artifact", "alias", "bike-dataset:v1", "--add", "best")
	v0 := jsonOf[map[string]any](t, e.ok("artifact", "info", "bike-dataset:v0", "--json"))
	if len(anyStrings(v0["aliases"])) != 0 {
		t.Fatalf("v0 still has aliases %v", v0["aliases"])
	}
	if got := jsonOf[map[string]any](t, e.ok("artifact", "info", "bike-dataset:best", "--json"))["version"]; got != "v1" {
		t.Fatalf("best is on %v", got)
	}

	// get of v0 returns v0's bytes; the last line is the directory.
	dir := e.ok("artifact", "get", "bike-dataset:v0").lastLine()
	if want := filepath.Join(e.work, "artifacts", "bike-dataset:v0"); dir != want {
		t.Fatalf("get printed %q, want %q", dir, want)
	}
	if got := e.read(filepath.Join(dir, "bicycle-data.h5")); got != "wheels: 2\n" {
		t.Fatalf("v0 content %q", got)
	}
	// A second get keeps valid files and repairs a damaged one.
	os.WriteFile(filepath.Join(dir, "images", "cat.png"), []byte("woof"), 0o644)
	e.ok("artifact", "get", "bike-dataset:v0")
	if got := e.read(filepath.Join(dir, "images", "cat.png")); got != "meow" {
		t.Fatalf("damaged file not repaired: %q", got)
	}
	custom := e.ok("artifact", "get", "bike-dataset:best", "--root", "elsewhere").lastLine()
	if got := e.read(filepath.Join(custom, "bicycle-data.h5")); got != "wheels: 3\n" || custom != filepath.Join(e.work, "elsewhere") {
		t.Fatalf("get --root: %q in %s", got, custom)
	}

	// Delete is refused while aliased, allowed with --delete-aliases; v0 has
	// none. The refusal names the aliases, says what deleting them does
	// (latest cannot be removed by hand: it moves) and how to ask for it.
	e.fails("tester/walkthrough/bike-dataset:v1 has aliases best, latest: deleting it with its aliases removes best and moves latest to v0 (trove artifact delete --delete-aliases)",
		"artifact", "delete", "bike-dataset:v1")
	e.ok("artifact", "info", "bike-dataset:v1")
	e.ok("artifact", "delete", "bike-dataset:v0")
	e.fails("not found", "artifact", "info", "bike-dataset:v0")
	e.fails("bike-dataset:v1 has aliases best, latest: deleting it with its aliases removes them: no version of bike-dataset remains (trove artifact delete --delete-aliases)",
		"artifact", "delete", "bike-dataset:v1")
	if got := jsonOf[[]map[string]any](t, e.ok("artifact", "ls", "--json")); len(got) != 1 || got[0]["name"] != "bike-dataset" {
		t.Fatalf("artifact ls before deleting the last version = %v", got)
	}
	e.ok("artifact", "delete", "bike-dataset:v1", "--delete-aliases")
	e.fails("not found", "artifact", "info", "bike-dataset:latest")
	// An artifact whose versions are all deleted is not listed.
	if got := jsonOf[[]map[string]any](t, e.ok("artifact", "ls", "--json")); len(got) != 0 {
		t.Fatalf("artifact ls after deleting every version = %v, want []", got)
	}
	if got := e.ok("artifact", "ls").stdout; strings.Contains(got, "bike-dataset") {
		t.Fatalf("artifact ls after deleting every version lists it:\n%s", got)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestMnistExec builds the mnist pipeline of model-lineage.md with trove
// exec and checks that trove lineage gives exactly that graph.
func TestMnistExec(t *testing.T) { modes(t, testMnistExec) }

func testMnistExec(t *testing.T, e *env) {
	e.vars = append(e.vars, "TROVE_PROJECT=mnist")
	e.ok("exec", "--name", "jumping-monkey-1", "-j", "preprocess", "--log", "mnist_dataset:dataset=./data",
		"--", "sh", "-c", "mkdir -p data && printf 'label,pixels\\n5,0\\n' > data/train_table.csv")
	e.ok("exec", "--name", "vague-morning-5", "-j", "train_model", "--config", `{"optimizer":"adam","epochs":5}`,
		"--use", "mnist_dataset:v0", "--log", "mnist_model:model=./model.h5",
		"--", "sh", "-c", `test -f "$TROVE_INPUT_MNIST_DATASET/train_table.csv" && echo weights > model.h5`)
	e.ok("exec", "--name", "serene-haze-6", "-j", "evaluate", "--use", "mnist_model:v0=MODEL",
		"--", "sh", "-c", `grep -q weights "$MODEL/model.h5"`)

	runs := e.runIDs("mnist")
	out := e.ok("lineage", "mnist_model:v0", "--format", "json").stdout
	golden(t, "lineage_mnist.json", out, runs)

	g := jsonOf[struct {
		Nodes []map[string]any
		Edges []struct{ From, To string }
	}](t, result{stdout: out})
	name := map[string]string{}
	for _, n := range g.Nodes {
		name[n["id"].(string)] = n["name"].(string)
	}
	var edges []string
	for _, ed := range g.Edges {
		edges = append(edges, name[ed.From]+" -> "+name[ed.To])
	}
	sort.Strings(edges)
	want := []string{
		"jumping-monkey-1 -> mnist_dataset:v0",
		"mnist_dataset:v0 -> vague-morning-5",
		"mnist_model:v0 -> serene-haze-6",
		"vague-morning-5 -> mnist_model:v0",
	}
	if len(g.Nodes) != 5 || !slices.Equal(edges, want) {
		t.Fatalf("lineage: %d nodes, edges %v", len(g.Nodes), edges)
	}
	info := jsonOf[runInfoJSON](t, e.ok("run", "info", "vague-morning-5", "--json"))
	if info.State != "finished" || info.JobType != "train_model" || !slices.Equal(info.Inputs, []string{"tester/mnist/mnist_dataset:v0"}) || !slices.Equal(info.Outputs, []string{"tester/mnist/mnist_model:v0"}) {
		t.Fatalf("run info = %+v", info)
	}
	golden(t, "run_info.json", e.ok("run", "info", "vague-morning-5", "--json").stdout, runs)
	golden(t, "run_ls.json", e.ok("run", "ls", "--json").stdout, runs)
	golden(t, "artifact_info.json", e.ok("artifact", "info", "mnist_dataset:v0", "--json").stdout, runs)
	golden(t, "artifact_files.json", e.ok("artifact", "files", "mnist_dataset:v0", "--json").stdout, runs)
	golden(t, "artifact_ls.json", e.ok("artifact", "ls", "--json").stdout, runs)
	golden(t, "artifact_versions.json", e.ok("artifact", "versions", "mnist_model", "--json").stdout, runs)
	golden(t, "lineage_mnist.dot", e.ok("lineage", "mnist_model:v0", "--format", "dot").stdout, runs)
	golden(t, "lineage_mnist.mermaid", e.ok("lineage", "mnist_model:v0", "--format", "mermaid").stdout, runs)
	golden(t, "lineage_dataset_depth1.json", e.ok("lineage", "mnist_dataset:v0", "--direction", "downstream", "--depth", "1", "--format", "json").stdout, runs)
}

// TestExecFailure: a failing command logs nothing, fails the run and passes
// on its exit code.
func TestExecFailure(t *testing.T) { modes(t, testExecFailure) }

func testExecFailure(t *testing.T, e *env) {
	r := e.trove("exec", "-j", "train", "--log", "out:model=out.txt", "--", "sh", "-c", "echo partial > out.txt; exit 3")
	if r.code != 3 {
		t.Fatalf("exit code %d, want 3 (stderr %s)", r.code, r.stderr)
	}
	runs := jsonOf[[]runJSON](t, e.ok("run", "ls", "--json"))
	if len(runs) != 1 || runs[0].State != "failed" {
		t.Fatalf("runs = %+v", runs)
	}
	if got := e.ok("artifact", "ls", "--json").stdout; strings.TrimSpace(got) != "[]" {
		t.Fatalf("a failed run logged %s", got)
	}
	if r := e.trove("exec", "--", "no-such-command-xyz"); r.code != 127 {
		t.Fatalf("missing command: exit %d, want 127", r.code)
	}
	// An output path that is missing after success fails the run.
	e.fails("no such file", "exec", "--log", "x:dataset=missing", "--", "true")
}

// TestConcurrentPut: 8 processes log different content to one artifact at
// once; the result is v0…v7, no gaps, no errors.
func TestConcurrentPut(t *testing.T) { modes(t, testConcurrentPut) }

func testConcurrentPut(t *testing.T, e *env) {
	const n = 8
	for i := range n {
		e.write(filepath.Join("part", string(rune('a'+i)), "data.txt"), strings.Repeat(string(rune('a'+i)), 1000+i))
	}
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Go(func() {
			results[i] = e.trove("artifact", "put", filepath.Join("part", string(rune('a'+i))), "-n", "shared", "-t", "dataset")
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("writer %d failed: %s", i, r.stderr)
		}
		seen[r.lastLine()] = true
	}
	if len(seen) != n {
		t.Fatalf("writers got %d distinct versions: %v", len(seen), seen)
	}
	vs := jsonOf[[]versionJSON](t, e.ok("artifact", "versions", "shared", "--json"))
	if len(vs) != n {
		t.Fatalf("%d versions, want %d", len(vs), n)
	}
	for i, v := range vs {
		if v.Version != "v"+string(rune('0'+i)) {
			t.Fatalf("versions are not v0…v7: %v", vs)
		}
		if want := i == n-1; slices.Contains(v.Aliases, "latest") != want {
			t.Fatalf("latest on the wrong version: %+v", v)
		}
	}
}
