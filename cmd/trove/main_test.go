package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// envCLI makes the test binary act as the trove command, so tests can run
// real trove processes without building one.
const envCLI = "TROVE_TEST_BE_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(envCLI) == "1" {
		// As main does: SIGTERM and Ctrl-C cancel the command.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// env is an isolated Trove environment: its own data directory, cache and
// working directory.
type env struct {
	t    *testing.T
	dir  string // scratch root
	work string // working directory for commands
	vars []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, work: filepath.Join(dir, "work")}
	if err := os.MkdirAll(e.work, 0o755); err != nil {
		t.Fatal(err)
	}
	e.vars = []string{
		"TROVE_URL=" + filepath.Join(dir, "data"),
		"TROVE_CACHE_DIR=" + filepath.Join(dir, "cache"),
		"TROVE_ENTITY=tester",
		"TROVE_PROJECT=walkthrough",
	}
	return e
}

// result is what one command did.
type result struct {
	code           int
	stdout, stderr string
}

// lastLine returns the last line of stdout.
func (r result) lastLine() string {
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	return lines[len(lines)-1]
}

// trove runs the CLI as a separate process (the test binary in CLI mode)
// in the environment's working directory.
func (e *env) trove(args ...string) result {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), envCLI+"=1"), e.vars...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("trove %v: %v", args, err)
	}
	return r
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) result {
	e.t.Helper()
	r := e.trove(args...)
	if r.code != 0 {
		e.t.Fatalf("trove %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails runs a command that must fail with a one-line reason containing
// want, as the last line of stderr.
func (e *env) fails(want string, args ...string) result {
	e.t.Helper()
	r := e.trove(args...)
	if r.code == 0 {
		e.t.Fatalf("trove %s succeeded, want failure\nstdout: %s", strings.Join(args, " "), r.stdout)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	msg := lines[len(lines)-1]
	if !strings.HasPrefix(msg, "trove: ") {
		e.t.Errorf("trove %s: want a one-line reason on stderr, got %q", strings.Join(args, " "), r.stderr)
	}
	if !strings.Contains(msg, want) {
		e.t.Errorf("trove %s: error %q does not mention %q", strings.Join(args, " "), msg, want)
	}
	return r
}

// write creates a file under the working directory.
func (e *env) write(rel, content string) string {
	e.t.Helper()
	p := filepath.Join(e.work, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) read(p string) string {
	e.t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// jsonOf decodes a command's JSON stdout.
func jsonOf[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not the expected JSON: %v\n%s", err, r.stdout)
	}
	return v
}

var reTime = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)

// golden compares got with testdata/name.golden after replacing what
// changes from run to run (times, run ids and names).
func golden(t *testing.T, name, got string, runs map[string]string) {
	t.Helper()
	got = reTime.ReplaceAllString(got, `"<time>"`)
	for id, label := range runs {
		got = strings.ReplaceAll(got, id, label)
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it)\n got:\n%s\nwant:\n%s", name, path, got, want)
	}
}

// runIDs maps the ids of the environment's runs to stable labels for golden
// files.
func (e *env) runIDs(project string) map[string]string {
	e.t.Helper()
	runs := jsonOf[[]runJSON](e.t, e.ok("run", "ls", "-p", project, "--json"))
	m := make(map[string]string, len(runs))
	for i, r := range runs { // newest first: <run1> is the oldest
		m[r.ID] = fmt.Sprintf("<run%d>", len(runs)-i)
	}
	return m
}
