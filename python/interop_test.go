package python_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/troveml/trove"
)

// pyLog logs the directory argv[3] as artifact argv[1] of type argv[2] in a
// run of job type argv[4], and prints the version as JSON.
const pyLog = `
import json, sys
import trove
name, type_, path, job_type = sys.argv[1:5]
with trove.init(job_type=job_type) as run:
    artifact = trove.Artifact(name, type=type_)
    artifact.add_dir(path)
    run.log_artifact(artifact)
print(json.dumps({"ref": artifact.qualified_name, "digest": artifact.digest, "run": run.id}))
`

// pyUse uses from-cli:v0 (downloaded into argv[1]) and the file f.bin of
// from-go:latest (downloaded into argv[2]) in a run of job type
// py-consume, and prints what it got as JSON.
const pyUse = `
import json, sys
import trove
with trove.init(job_type="py-consume") as run:
    cli = run.use_artifact("from-cli:v0")
    cli_dir = cli.download(root=sys.argv[1])
    go = run.use_artifact("from-go:latest", type="model")
    go_file = go.get_path("f.bin").download(root=sys.argv[2])
print(json.dumps({
    "run": run.id,
    "cli": {"ref": cli.qualified_name, "digest": cli.digest, "dir": cli_dir, "logged_by": cli.logged_by().job_type},
    "go": {"ref": go.qualified_name, "digest": go.digest, "file": go_file, "logged_by": go.logged_by().job_type},
}))
`

// interopStore is the store of one TestInterop subtest.
type interopStore struct {
	url, key, entity string
}

// TestInterop: in one store (embedded, and a server as the non-admin
// alice), an artifact logged from Python is used by `trove exec --use` and
// by the Go SDK; artifacts logged by the CLI and the Go SDK are used and
// downloaded from Python; the lineage has the edges of all of them; and the
// same content logged from Python, the CLI and the Go SDK is one version with
// one digest, whichever client logs it first.
func TestInterop(t *testing.T) {
	python3(t)
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		testInterop(t, interopStore{url: filepath.Join(t.TempDir(), "store"), entity: "tester"})
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		s := startServer(t)
		testInterop(t, interopStore{url: s.URL, key: s.newUser(t, "alice"), entity: "alice"})
	})
}

func testInterop(t *testing.T, st interopStore) {
	ctx := t.Context()
	env := pyEnv(t, "TROVE_URL="+st.url, "TROVE_ENTITY="+st.entity, "TROVE_PROJECT=interop")
	if st.key != "" {
		env = append(env, "TROVE_API_KEY="+st.key)
	}
	c, err := trove.Open(ctx, trove.Options{URL: st.url, APIKey: st.key, Entity: st.entity, Project: "interop", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	work := t.TempDir()
	qualified := func(name string) string { return st.entity + "/interop/" + name }

	// Python -> trove exec and the Go SDK.
	pyData := writeTree(t, filepath.Join(work, "pydata"), map[string][]byte{"a.txt": []byte("logged from Python\n"), "sub/b.bin": randomBytes(t, 200_000)})
	var logged struct{ Ref, Digest, Run string }
	jsonInto(t, pythonOut(t, env, work, pyLog, "from-python", "dataset", pyData, "py-produce"), &logged)
	if logged.Ref != qualified("from-python:v0") {
		t.Fatalf("Python logged %s, want %s", logged.Ref, qualified("from-python:v0"))
	}
	out := troveJSON(t, env, work, "exec", "-j", "cli-consume", "--use", "from-python:v0=DATA", "--",
		"sh", "-c", `cat "$DATA/a.txt" && cmp "$DATA/sub/b.bin" "$0"`, filepath.Join(pyData, "sub", "b.bin"))
	if !strings.Contains(string(out), "logged from Python") {
		t.Errorf("trove exec --use from-python:v0: the command printed %q", out)
	}
	run, err := c.StartRun(ctx, trove.RunOptions{JobType: "go-consume"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := run.UseArtifact(ctx, "from-python:v0")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := v.Download(ctx, filepath.Join(work, "go-download"))
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, "from-python:v0 downloaded by the Go SDK", dir, pyData)
	if v.Digest.String() != logged.Digest {
		t.Errorf("from-python:v0: digest %s in Go, %s in Python", v.Digest, logged.Digest)
	}
	if err := run.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := v.LoggedBy(ctx); err != nil || r.ID != logged.Run {
		t.Errorf("from-python:v0 logged by %+v (%v), want the Python run %s", r, err, logged.Run)
	}
	checkEdges(t, c, "from-python:v0", []string{
		"py-produce -> from-python:v0", "from-python:v0 -> cli-consume", "from-python:v0 -> go-consume",
	})

	// The CLI and the Go SDK -> Python.
	cliData := writeTree(t, filepath.Join(work, "clidata"), map[string][]byte{"c.txt": []byte("logged by trove artifact put\n"), "d/e.bin": randomBytes(t, 100_000)})
	if got := lastLine(troveJSON(t, env, work, "artifact", "put", cliData, "-n", "from-cli", "-t", "dataset")); got != qualified("from-cli:v0") {
		t.Fatalf("trove artifact put printed %q, want %s", got, qualified("from-cli:v0"))
	}
	var cliInfo struct{ Digest string }
	jsonInto(t, troveJSON(t, env, work, "artifact", "info", "from-cli:v0", "--json"), &cliInfo)
	goFile := filepath.Join(work, "f.bin")
	goBytes := randomBytes(t, 50_000)
	if err := os.WriteFile(goFile, goBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	goRun, err := c.StartRun(ctx, trove.RunOptions{JobType: "go-produce"})
	if err != nil {
		t.Fatal(err)
	}
	a := trove.NewArtifact("from-go", "model")
	if err := a.AddFile(goFile); err != nil {
		t.Fatal(err)
	}
	goV, err := goRun.LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := goRun.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	var used struct {
		Run     string
		CLI, Go struct{ Ref, Digest, Dir, File, Logged_by string }
	}
	jsonInto(t, pythonOut(t, env, work, pyUse, filepath.Join(work, "py-cli"), filepath.Join(work, "py-go")), &used)
	if used.CLI.Ref != qualified("from-cli:v0") || used.CLI.Digest != cliInfo.Digest || used.CLI.Logged_by != "upload" {
		t.Errorf("Python used %+v, want %s, digest %s, logged by an upload run", used.CLI, qualified("from-cli:v0"), cliInfo.Digest)
	}
	sameTree(t, "from-cli:v0 downloaded from Python", used.CLI.Dir, cliData)
	if used.Go.Ref != qualified("from-go:v0") || used.Go.Digest != goV.Digest.String() || used.Go.Logged_by != "go-produce" {
		t.Errorf("Python used %+v, want %s, digest %s, logged by the go-produce run", used.Go, qualified("from-go:v0"), goV.Digest)
	}
	if b, err := os.ReadFile(used.Go.File); err != nil || !bytes.Equal(b, goBytes) {
		t.Errorf("f.bin of from-go:v0 downloaded from Python to %s: %d bytes (%v), want the %d logged", used.Go.File, len(b), err, len(goBytes))
	}
	checkEdges(t, c, "from-cli:v0", []string{"upload -> from-cli:v0", "from-cli:v0 -> py-consume"})
	checkEdges(t, c, "from-go:v0", []string{"go-produce -> from-go:v0", "from-go:v0 -> py-consume"})
	if r, err := c.Run(ctx, used.Run); err != nil || r.JobType != "py-consume" || r.State != trove.RunFinished {
		t.Errorf("the Python run %s seen from Go: %+v (%v)", used.Run, r, err)
	}

	// The same content from every client: one version, one digest.
	same := writeTree(t, filepath.Join(work, "same"), map[string][]byte{"x.txt": []byte("same bytes\n"), "y/z.bin": randomBytes(t, 30_000)})
	var first struct{ Ref, Digest, Run string }
	jsonInto(t, pythonOut(t, env, work, pyLog, "same-py-first", "dataset", same, "py-produce"), &first)
	if got := lastLine(troveJSON(t, env, work, "artifact", "put", same, "-n", "same-py-first", "-t", "dataset")); got != qualified("same-py-first:v0") {
		t.Errorf("trove artifact put of the tree Python logged printed %q, want %s (no new version)", got, qualified("same-py-first:v0"))
	}
	sameRun, err := c.StartRun(ctx, trove.RunOptions{JobType: "go-produce"})
	if err != nil {
		t.Fatal(err)
	}
	a = trove.NewArtifact("same-py-first", "dataset")
	if err := a.AddDir(same); err != nil {
		t.Fatal(err)
	}
	gv, err := sameRun.LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameRun.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if gv.Index != 0 || gv.Digest.String() != first.Digest {
		t.Errorf("the Go SDK logged the tree Python logged as v%d, digest %s; want v0, %s", gv.Index, gv.Digest, first.Digest)
	}
	if got := lastLine(troveJSON(t, env, work, "artifact", "put", same, "-n", "same-cli-first", "-t", "dataset")); got != qualified("same-cli-first:v0") {
		t.Fatalf("trove artifact put printed %q, want %s", got, qualified("same-cli-first:v0"))
	}
	var second struct{ Ref, Digest, Run string }
	jsonInto(t, pythonOut(t, env, work, pyLog, "same-cli-first", "dataset", same, "py-produce"), &second)
	if second.Ref != qualified("same-cli-first:v0") || second.Digest != first.Digest {
		t.Errorf("Python logged the tree the CLI logged as %s, digest %s; want %s, %s", second.Ref, second.Digest, qualified("same-cli-first:v0"), first.Digest)
	}
	for _, name := range []string{"same-py-first", "same-cli-first"} {
		vs, err := c.ArtifactVersions(ctx, name)
		if err != nil || len(vs) != 1 || vs[0].Digest.String() != first.Digest {
			t.Errorf("versions of %s: %v (%v), want one, with digest %s", name, vs, err, first.Digest)
		}
	}
	if v, err := c.Artifact(ctx, "same-py-first:v0"); err != nil {
		t.Error(err)
	} else if r, err := v.LoggedBy(ctx); err != nil || r.ID != first.Run {
		t.Errorf("same-py-first:v0 logged by %+v (%v), want the Python run that first logged it", r, err)
	}
	checkEdges(t, c, "same-py-first:v0", []string{"py-produce -> same-py-first:v0", "upload -> same-py-first:v0", "go-produce -> same-py-first:v0"})
	checkEdges(t, c, "same-cli-first:v0", []string{"upload -> same-cli-first:v0", "py-produce -> same-cli-first:v0"})
}

// pythonOut runs the Python program code with args in dir and returns the last
// line of its stdout.
func pythonOut(t *testing.T, env []string, dir, code string, args ...string) []byte {
	t.Helper()
	script := filepath.Join(t.TempDir(), "script.py")
	if err := os.WriteFile(script, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	return []byte(lastLine([]byte(runScript(t, python3(t), script, dir, env, args...))))
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// writeTree writes files (slash paths under root) and returns root.
func writeTree(t *testing.T, root string, files map[string][]byte) string {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// sameTree fails the test unless the regular files under got and want are
// the same paths with the same bytes.
func sameTree(t *testing.T, what, got, want string) {
	t.Helper()
	read := func(root string) map[string][]byte {
		m := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			b, err := os.ReadFile(p)
			m[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return m
	}
	g, w := read(got), read(want)
	if len(g) != len(w) {
		t.Errorf("%s: %d files, want %d", what, len(g), len(w))
	}
	for p, b := range w {
		if !bytes.Equal(g[p], b) {
			t.Errorf("%s: %s differs (%d bytes, want %d)", what, p, len(g[p]), len(b))
		}
	}
}

// checkEdges fails the test unless the lineage of ref (both ways, one step)
// is exactly want, edges written "job_type -> name:vN" or "name:vN -> job_type".
func checkEdges(t *testing.T, c *trove.Client, ref string, want []string) {
	t.Helper()
	g, err := c.Lineage(t.Context(), ref, trove.LineageOptions{Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	label := map[string]string{}
	for _, n := range g.Nodes {
		label[n.ID] = n.Name
		if n.Kind == "run" {
			label[n.ID] = n.JobType
		}
	}
	var got []string
	for _, e := range g.Edges {
		got = append(got, label[e.From]+" -> "+label[e.To])
	}
	sort.Strings(got)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		j, _ := json.Marshal(g)
		t.Errorf("lineage of %s: edges %q, want %q\n%s", ref, got, want, j)
	}
}
