package python_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// example is one script of examples/, with what its output must show.
type example struct {
	script string
	mnist  bool     // part of the mnist chain: runs with TROVE_PROJECT=mnist (and entity tester when embedded)
	want   []string // regular expressions, each matching a line of stdout (in any order)
}

// examples are the scripts of examples/ in the order examples/README.md
// gives: some use what earlier ones logged.
var examples = []example{
	{script: "walkthrough_1_log.py", want: []string{
		`^logged bike-dataset:v0 sha256:[0-9a-f]{64}$`,
		`^logged again bike-dataset:v0$`,
		`^logged race:v0 index 0$`,
		`^logged race:v9 index 9$`,
		`^run [a-z]+-[a-z]+-\d+ finished$`,
	}},
	{script: "walkthrough_2_use.py", want: []string{
		`^logged \S+/my-project/bike-model:v0$`,
		`^used bike-dataset:v0 downloaded to artifacts/bike-dataset:v0$`,
		`^files \['bicycle-data.h5'\]$`,
		`^used \S+/my-project/bike-model:v0$`,
		`^used object \S+/uncategorized/bike-model:v0$`,
		`^used object again \S+/uncategorized/bike-model:v0$`,
		`^inputs \['\S+/my-project/bike-model:v0', '\S+/uncategorized/bike-dataset:v0', '\S+/uncategorized/bike-model:v0'\]$`,
	}},
	{script: "walkthrough_3_aliases.py", want: []string{
		`^used bike-dataset:v0 aliases \['latest'\]$`,
		`^logged run-3nq3ctyy-bike-model:v0 aliases \['best-ap50', 'latest'\]$`,
		`^best-ap50 is run-3nq3ctyy-bike-model:v0$`,
	}},
	{script: "walkthrough_4_construct.py", want: []string{
		`^logged bike-dataset:v1$`,
		`^ +hello.txt $`,
		`^ +optional-name $`,
		`^ +optional-prefix/cat.png $`,
		`^ +optional-prefix/dog.png $`,
		`^ +optional-ref-name file:///\S+/my-bucket/checkpoints/model.h5$`,
		`^artifact.add_file\('model.h5'\) -> project-files:v0: model.h5$`,
		`^artifact.add_file\('checkpoints/model.h5'\) -> project-files:v1: model.h5$`,
		`^artifact.add_file\('model.h5', name='models/mymodel.h5'\) -> project-files:v2: models/mymodel.h5$`,
		`^artifact.add_dir\('images'\) -> project-files:v3: cat.png dog.png$`,
		`^artifact.add_dir\('images', name='images'\) -> project-files:v4: images/cat.png images/dog.png$`,
		`^artifact.new_file\('hello.txt'\) -> project-files:v5: hello.txt$`,
		`^artifact.add_reference\('s3://my-bucket/model.h5'\) -> bucket-references:v0: model.h5$`,
		`^artifact.add_reference\('s3://my-bucket/checkpoints/model.h5'\) -> bucket-references:v1: model.h5$`,
		`^artifact.add_reference\('s3://my-bucket/model.h5', name='models/mymodel.h5'\) -> bucket-references:v2: models/mymodel.h5$`,
		`^artifact.add_reference\('s3://my-bucket/images'\) -> bucket-references:v3: cat.png dog.png$`,
		`^artifact.add_reference\('s3://my-bucket/images', name='images'\) -> bucket-references:v4: images/cat.png images/dog.png$`,
	}},
	{script: "walkthrough_5_parallel.py", want: []string{
		`^finished parallel-artifact:v0$`,
		`^ +parts/table_0\S*$`,
		`^ +parts/table_4\S*$`,
		`^ +distributed_table\S*$`,
		`^table_0 c = \[1\]$`,
		`^table_4 c = \[16\]$`,
	}},
	{script: "walkthrough_6_download.py", want: []string{
		`^downloaded bike-dataset:v1 to artifacts/bike-dataset:v1 \['hello.txt', 'optional-name', 'optional-prefix', 'optional-ref-name'\]$`,
		`^entry bicycle-data.h5 ref '' first line station,bikes$`,
		`^reference entry images/cat.png ref True$`,
		`^used reference-model:v0$`,
		`^versions of reference-model \['reference-model:v0'\]$`,
		`^downloaded \S+/uncategorized/bike-dataset:v1 to artifacts/bike-dataset:v1$`,
	}},
	{script: "walkthrough_7_update.py", want: []string{
		`^before bike-dataset:v1 '' \{\} \['latest'\]$`,
		`^after bike-dataset:v1 'My new description' \{'newKey': 'new value'\} \['latest', 'replaced'\]$`,
		`^replaced is bike-dataset:v1$`,
	}},
	{script: "walkthrough_8_traverse.py", want: []string{
		`^bike-dataset:v0 logged by a train run$`,
		`^used by \['evaluate', 'evaluate', 'train'\]$`,
		`^that run logged \['bike-dataset:v0', 'race:v0', .*'race:v9'\]$`,
		`^and used \[\]$`,
	}},
	{script: "walkthrough_9_cleanup.py", want: []string{
		`^left \[\('race:v9', \['latest'\]\)\]$`,
	}},
	{script: "mnist_1_preprocess.py", mnist: true, want: []string{
		`^logged \S+/mnist/mnist_dataset:v0$`,
	}},
	{script: "mnist_2_train.py", mnist: true, want: []string{
		`^validation accuracy 1.0$`,
		`^linked registry/model/MNIST-dev:v0$`,
		`^model \S+/mnist/mnist_model:v0$`,
	}},
	{script: "mnist_3_evaluate.py", mnist: true, want: []string{
		`^used mnist_model:v0 a nearest-centroid model of 10 classes$`,
	}},
	{script: "registry_1_log_output.py", want: []string{
		`^logged \S+/zoo/split_zoo_dataset:v0$`,
	}},
	{script: "registry_2_use_input.py", want: []string{
		`^used \S+/zoo/split_zoo_dataset:v0$`,
		`^linked registry/dataset/zoo-splits:v0$`,
		`^edge run -> split_zoo_dataset:v0$`,
		`^edge split_zoo_dataset:v0 -> run$`,
	}},
	{script: "explore_graphs.py", want: []string{
		`^logged image-samples:v0 by run True$`,
		`^used by 0 runs$`,
		`^used by \[True\]$`,
	}},
}

// TestExamplesListed: every script of examples/ is run by TestExamples and
// named in examples/README.md.
func TestExamplesListed(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("examples", "*.py"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("examples", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, e := range examples {
		listed = append(listed, e.script)
	}
	for _, s := range scripts {
		name := filepath.Base(s)
		if !slices.Contains(listed, name) {
			t.Errorf("examples/%s is not run by TestExamples", name)
		}
		if !bytes.Contains(readme, []byte(name)) {
			t.Errorf("examples/README.md does not mention %s", name)
		}
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("import trove as wandb\n")) {
			t.Errorf("examples/%s does not start with `import trove as wandb`", name)
		}
	}
	for _, name := range listed {
		if _, err := os.Stat(filepath.Join("examples", name)); err != nil {
			t.Errorf("TestExamples runs %s: %v", name, err)
		}
	}
}

// exampleStore is where and how runExamples runs the scripts.
type exampleStore struct {
	env    []string // TROVE_URL and, for a server, TROVE_API_KEY
	entity string   // of the mnist chain: TROVE_ENTITY ("" = the key's user, on a server)
	user   string   // the user of the API key, on a server
	// python and base, when set, are the interpreter and the environment
	// (before env) to run the scripts with, e.g. those of a virtual
	// environment the wheel is installed in; default python3(t) and pyEnv(t).
	python string
	base   []string
}

// TestExamples runs every script of examples/ in order, on a fresh embedded
// store and against a trove server as the non-admin user alice, checks what
// each prints and what they leave in the store, and that the mnist chain's
// lineage is the one the CLI tests build (cmd/trove/testdata/lineage_mnist.json.golden).
func TestExamples(t *testing.T) {
	python3(t)
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		store := filepath.Join(t.TempDir(), "store")
		runExamples(t, exampleStore{env: []string{"TROVE_URL=" + store}, entity: "tester"})
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		s := startServer(t)
		key := s.newUser(t, "alice")
		runExamples(t, exampleStore{env: []string{"TROVE_URL=" + s.URL, "TROVE_API_KEY=" + key}, user: "alice"})
	})
}

// runExamples runs the scripts of examples/ in order in one work directory
// and checks their output, what they leave in the store and the lineage of
// the mnist chain.
func runExamples(t *testing.T, st exampleStore) {
	work := t.TempDir()
	if st.python == "" {
		st.python = python3(t)
	}
	if st.base == nil {
		st.base = pyEnv(t)
	}
	env := append(slices.Clone(st.base), st.env...)
	mnistEnv := append(slices.Clone(env), "TROVE_PROJECT=mnist")
	if st.entity != "" {
		mnistEnv = append(mnistEnv, "TROVE_ENTITY="+st.entity)
	}
	dir, err := filepath.Abs("examples")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		e := env
		if ex.mnist {
			e = mnistEnv
		}
		stdout := runScript(t, st.python, filepath.Join(dir, ex.script), work, e)
		lines := strings.Split(stdout, "\n")
		for _, w := range ex.want {
			re := regexp.MustCompile(w)
			if !slices.ContainsFunc(lines, re.MatchString) {
				t.Errorf("%s: no line of its output matches %s; it printed:\n%s", ex.script, w, stdout)
			}
		}
		if t.Failed() {
			t.FailNow() // the next scripts build on this one
		}
	}

	// What the scripts left in the store, seen by the CLI.
	var race []struct {
		Version string
		Aliases []string
	}
	jsonInto(t, troveJSON(t, env, "", "artifact", "versions", "race", "--json"), &race)
	if len(race) != 1 || race[0].Version != "v9" || !slices.Equal(race[0].Aliases, []string{"latest"}) {
		t.Errorf("race after walkthrough_9_cleanup.py: %+v, want only v9 (latest)", race)
	}
	var bike struct {
		Version     string
		Description string
		Metadata    map[string]any
		Aliases     []string
	}
	jsonInto(t, troveJSON(t, env, "", "artifact", "info", "bike-dataset:replaced", "--json"), &bike)
	if bike.Version != "v1" || bike.Description != "My new description" || fmt.Sprint(bike.Metadata) != "map[newKey:new value]" {
		t.Errorf("bike-dataset:replaced after walkthrough_7_update.py: %+v", bike)
	}
	var parallel []struct{ Path string }
	jsonInto(t, troveJSON(t, env, "", "artifact", "files", "parallel-artifact:v0", "--json"), &parallel)
	if len(parallel) != 6 {
		t.Errorf("parallel-artifact:v0 holds %d files, want 5 tables and the partitioned table: %+v", len(parallel), parallel)
	}
	var link struct{ Source string }
	jsonInto(t, troveJSON(t, env, "", "artifact", "info", "registry/model/MNIST-dev:v0", "--json"), &link)
	mnistEntity := st.entity
	if mnistEntity == "" {
		mnistEntity = st.user
	}
	if want := mnistEntity + "/mnist/mnist_model:v0"; link.Source != want {
		t.Errorf("registry/model/MNIST-dev:v0 links %q, want %q", link.Source, want)
	}

	// The mnist chain's lineage is the CLI tests' one, but for run ids and names.
	got := troveJSON(t, mnistEnv, "", "lineage", "mnist_model:v0", "--format", "json")
	golden, err := os.ReadFile(filepath.Join("..", "cmd", "trove", "testdata", "lineage_mnist.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.ReplaceAll(golden, []byte(`"tester"`), []byte(`"`+mnistEntity+`"`))
	want = bytes.ReplaceAll(want, []byte(`:tester/`), []byte(":"+mnistEntity+"/"))
	gotNodes, gotEdges := lineageShape(t, got)
	wantNodes, wantEdges := lineageShape(t, want)
	if !slices.Equal(gotNodes, wantNodes) || !slices.Equal(gotEdges, wantEdges) {
		t.Errorf("lineage of mnist_model:v0 built by the examples:\n  nodes %s\n  edges %s\nwant (the CLI's, %s):\n  nodes %s\n  edges %s",
			strings.Join(gotNodes, "\n        "), strings.Join(gotEdges, "\n        "), "cmd/trove/testdata/lineage_mnist.json.golden",
			strings.Join(wantNodes, "\n        "), strings.Join(wantEdges, "\n        "))
	}
}

// runScript runs the interpreter python on script with args, in dir with
// env, and returns its stdout; a failure ends the test with its output.
func runScript(t *testing.T, python, script, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{script}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s: %.2f s", filepath.Base(script), time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("python3 %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(script), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// troveJSON runs the trove binary with env (in dir, "" = a temporary one)
// and returns its stdout; a failure ends the test.
func troveJSON(t testing.TB, env []string, dir string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, troveBinary(t), args...)
	cmd.Env = env
	if dir == "" {
		dir = t.TempDir()
	}
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("trove %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

func jsonInto(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
}

// lineageShape returns the nodes and edges of a lineage graph in JSON with
// what is random taken out: a run node's id becomes run:<job type> (unique
// in the mnist chain), and its run_id and name are dropped. Nodes are their
// JSON (keys sorted), edges "from -> to"; both sorted.
func lineageShape(t *testing.T, b []byte) (nodes, edges []string) {
	t.Helper()
	var g struct {
		Nodes []map[string]any
		Edges []struct{ From, To string }
	}
	jsonInto(t, b, &g)
	ids := map[string]string{}
	for _, n := range g.Nodes {
		id, _ := n["id"].(string)
		if n["kind"] == "run" {
			n["id"] = fmt.Sprintf("run:%v", n["job_type"])
			delete(n, "run_id")
			delete(n, "name")
		}
		ids[id] = n["id"].(string)
		j, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, string(j))
	}
	for _, e := range g.Edges {
		edges = append(edges, ids[e.From]+" -> "+ids[e.To])
	}
	sort.Strings(nodes)
	sort.Strings(edges)
	return nodes, edges
}
