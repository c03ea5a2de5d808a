package main

import (
	"bufio"
	"bytes"
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
)

// serverProc is a trove server running as a child process (the test binary
// in CLI mode).
type serverProc struct {
	t    testing.TB
	args []string // server flags, --addr excluded
	env  []string
	addr string // host:port, fixed after the first start so restarts reuse it
	url  string
	// unready makes start return once the server listens, without
	// waiting for /readyz to answer 200.
	unready bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
}

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

var servingRE = regexp.MustCompile(`serving (https?://\S+)`)

// startServer starts `trove server` with args (plus --addr) and waits until
// it answers /readyz. It is killed at the end of the test.
func startServer(t testing.TB, env []string, args ...string) *serverProc {
	t.Helper()
	s := &serverProc{t: t, args: args, env: env, addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.kill)
	return s
}

func (s *serverProc) start() {
	s.t.Helper()
	args := append([]string{"server", "--addr", s.addr}, s.args...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), envCLI+"=1"), s.env...)
	stderr := &lockedBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
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
	}()
	go func() {
		cmd.Wait()
		pw.Close()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.stderr, s.done = cmd, stderr, done
	s.mu.Unlock()
	select {
	case u := <-found:
		s.url = u
		s.addr = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	case <-done:
		s.t.Fatalf("trove server exited at start:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		s.t.Fatalf("trove server did not start:\n%s", stderr.String())
	}
	if !s.unready {
		s.waitReady()
	}
}

// waitReady polls /readyz until it answers 200.
func (s *serverProc) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("trove server at %s never became ready:\n%s", s.url, s.stderr.String())
}

// kill stops the server with SIGKILL, as a crash would.
func (s *serverProc) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop stops the server with SIGTERM and checks that it exits cleanly.
func (s *serverProc) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server did not stop on SIGTERM")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Fatalf("server exited with %d on SIGTERM:\n%s", code, s.stderr.String())
	}
}

// restart starts the server again on the same address.
func (s *serverProc) restart() {
	s.t.Helper()
	s.start()
}

// adminKey reads the key the first start wrote to DATA/admin-api-key.
func adminKey(t testing.TB, data string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "admin-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// newServerEnv is newEnv against a trove server on its own data directory:
// the user "tester" is created with the admin key and the environment's
// commands run as tester.
func newServerEnv(t *testing.T, serverArgs ...string) (*env, *serverProc) {
	t.Helper()
	e := newEnv(t)
	data := filepath.Join(e.dir, "server")
	s := startServer(t, nil, append([]string{"--data", data}, serverArgs...)...)
	e.vars = []string{
		"TROVE_URL=" + s.url,
		"TROVE_API_KEY=" + adminKey(t, data),
		"TROVE_CACHE_DIR=" + filepath.Join(e.dir, "cache"),
		"TROVE_CONFIG=" + filepath.Join(e.dir, "config.json"),
		"TROVE_PROJECT=walkthrough",
	}
	key := e.ok("user", "create", "tester").lastLine()
	e.vars[1] = "TROVE_API_KEY=" + key
	return e, s
}

// modes runs f on the embedded store and against a server.
func modes(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("embedded", func(t *testing.T) { f(t, newEnv(t)) })
	t.Run("server", func(t *testing.T) {
		e, _ := newServerEnv(t)
		f(t, e)
	})
}
