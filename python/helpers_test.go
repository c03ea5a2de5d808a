package python_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/troveml/trove/internal/testenv"
)

// buildDir holds the trove binary built for this test process; TestMain
// removes it at the end.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	troveOnce sync.Once
	trovePath string
	troveErr  error
)

// troveBinary builds github.com/troveml/trove/cmd/trove once per test
// process and returns the path of the binary. It is built as the platform
// wheel's is (static, -trimpath), so build_wheel.py finds every package
// compiled already and only links.
func troveBinary(t testing.TB) string {
	t.Helper()
	troveOnce.Do(func() {
		dir, err := os.MkdirTemp("", "trove-python-test-")
		if err != nil {
			troveErr = err
			return
		}
		buildDir = dir
		path := filepath.Join(dir, "trove")
		cmd := exec.Command("go", "build", "-trimpath", "-o", path, "github.com/troveml/trove/cmd/trove")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			troveErr = fmt.Errorf("go build ./cmd/trove: %v\n%s", err, out)
			return
		}
		trovePath = path
	})
	if troveErr != nil {
		t.Fatal(troveErr)
	}
	return trovePath
}

var (
	pythonOnce sync.Once
	pythonPath string
	pythonWhy  string
)

// python3 returns the python3 to use: the interpreter that `python3` on
// PATH runs (resolved to its real executable, so a pyenv shim keeps working
// under the clean environment of pyEnv), when it is 3.9 or newer. The test
// is skipped otherwise (failed under TROVE_REQUIRE_ALL=1).
func python3(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		p, err := exec.LookPath("python3")
		if err != nil {
			pythonWhy = "no python3 on PATH"
			return
		}
		out, err := exec.Command(p, "-c", "import sys; print(sys.version_info >= (3, 9)); print(sys.executable)").Output()
		if err != nil {
			pythonWhy = fmt.Sprintf("%s does not run: %v", p, err)
			return
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 2 || lines[0] != "True" {
			pythonWhy = fmt.Sprintf("%s is older than 3.9", p)
			return
		}
		pythonPath = strings.TrimSpace(lines[1])
	})
	if pythonPath == "" {
		t.Log(pythonWhy)
	}
	testenv.Require(t, "python3 >= 3.9", pythonPath != "")
	return pythonPath
}

// server is a `trove server` on a data directory of its own.
type server struct {
	URL      string // http://127.0.0.1:PORT
	AdminKey string // the API key of the user admin
	Data     string // the data directory
}

var servingRE = regexp.MustCompile(`serving (https?://\S+)`)

// lockedBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer starts `trove server` on 127.0.0.1 (a free port) and a fresh
// data directory, waits until /readyz answers 200 and reads the admin key.
// The server is stopped when the test ends; its stderr goes to the test log
// when the test failed.
func startServer(t testing.TB) *server {
	t.Helper()
	bin := troveBinary(t)
	dir := t.TempDir()
	s := &server{Data: filepath.Join(dir, "data")}
	cmd := exec.Command(bin, "server", "--addr", "127.0.0.1:0", "--data", s.Data)
	cmd.Env = baseEnv(dir)
	stderr := &lockedBuffer{}
	pr, pw := io.Pipe()
	cmd.Stdout = io.Discard
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			stderr.Write([]byte(line + "\n"))
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		pw.Close()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("trove server stderr:\n%s", stderr.String())
		}
	})
	select {
	case s.URL = <-found:
	case <-done:
		t.Fatalf("trove server exited at start:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("trove server did not start:\n%s", stderr.String())
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("trove server at %s never became ready:\n%s", s.URL, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(s.Data, "admin-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	s.AdminKey = strings.TrimSpace(string(b))
	return s
}

// newUser creates the non-admin user name with `trove user create` and
// returns its API key.
func (s *server) newUser(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, troveBinary(t), "user", "create", name)
	cmd.Env = append(baseEnv(t.TempDir()), "TROVE_URL="+s.URL, "TROVE_API_KEY="+s.AdminKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("trove user create %s: %v\n%s", name, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	key := strings.TrimSpace(lines[len(lines)-1])
	if key == "" {
		t.Fatalf("trove user create %s printed no key:\n%s%s", name, stdout.String(), stderr.String())
	}
	return key
}

// baseEnv is PATH, TMPDIR and a HOME and XDG directories under dir: nothing
// of the caller's Trove settings (TROVE_URL, saved logins) leaks in.
func baseEnv(dir string) []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	if v := os.Getenv("TMPDIR"); v != "" {
		env = append(env, "TMPDIR="+v)
	}
	for _, kv := range [][2]string{
		{"HOME", "home"},
		{"XDG_CONFIG_HOME", "config"},
		{"XDG_DATA_HOME", "share"},
		{"XDG_CACHE_HOME", "cache"},
	} {
		d := filepath.Join(dir, kv[1])
		os.MkdirAll(d, 0o755)
		env = append(env, kv[0]+"="+d)
	}
	return env
}

// pyEnv returns a clean environment for running python: PATH (with the
// directory of python3(t) first), HOME and XDG_CONFIG_HOME, XDG_DATA_HOME,
// XDG_CACHE_HOME in a temporary directory, TROVE_CACHE_DIR there too,
// PYTHONPATH the python directory of this checkout, TROVE_BIN the binary
// of troveBinary, PYTHONDONTWRITEBYTECODE=1, then extra ("K=V"; a later
// value of a key wins).
func pyEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	py := python3(t)
	dir := t.TempDir()
	env := baseEnv(dir)
	env[0] = "PATH=" + filepath.Dir(py) + string(os.PathListSeparator) + os.Getenv("PATH")
	wd, err := os.Getwd() // go test runs in the package directory: python/
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "trove-cache")
	os.MkdirAll(cache, 0o755)
	env = append(env,
		"TROVE_CACHE_DIR="+cache,
		"PYTHONPATH="+wd,
		"TROVE_BIN="+troveBinary(t),
		"PYTHONDONTWRITEBYTECODE=1",
	)
	return append(env, extra...)
}
