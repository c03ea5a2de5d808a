package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSchemelessURL: TROVE_URL=host:port is an error suggesting http://,
// never a directory named after it; ./host:port is a directory.
func TestSchemelessURL(t *testing.T) {
	e := newEnv(t)
	e.vars[0] = "TROVE_URL=localhost:18080"
	e.fails("http://localhost:18080", "artifact", "ls")
	e.fails("http://localhost:18080", "server", "--addr", "127.0.0.1:0")
	if _, err := os.Stat(filepath.Join(e.work, "localhost:18080")); !os.IsNotExist(err) {
		t.Errorf("a directory named localhost:18080 was created (%v)", err)
	}
	e.vars[0] = "TROVE_URL=./localhost:18080"
	e.write("f.txt", "x")
	e.ok("artifact", "put", "f.txt", "-n", "f", "-t", "dataset")
	if _, err := os.Stat(filepath.Join(e.work, "localhost:18080", "trove.db")); err != nil {
		t.Errorf("./localhost:18080 is not the data directory: %v", err)
	}
}

// TestUnreachableServerFailsAtOnce: a server that is not running fails a
// command at once, in one line naming the URL and the cause.
func TestUnreachableServerFailsAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	e := newEnv(t)
	e.vars = append(e.vars, "TROVE_URL="+url, "TROVE_API_KEY=trove_x", "TROVE_CONFIG="+filepath.Join(e.dir, "config.json"))
	start := time.Now()
	r := e.fails("connection refused", "artifact", "ls")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("failed after %v, want at once", took)
	}
	if !strings.Contains(r.stderr, url) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr %q: want one line naming %s", r.stderr, url)
	}
}
