package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServerLogFormatJSON: with --log-format json every line the server
// writes on stderr, from the first (admin created, serving, web UI) to the
// last (server stopped), is one JSON record, at any --log-level.
func TestServerLogFormatJSON(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "server", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--log-format", "json", "--log-level", "error")
	cmd.Env = append(os.Environ(), envCLI+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var records []map[string]any
	read := func(until string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stderr ended before %q; records %v", until, records)
				}
				var r map[string]any
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatalf("stderr line %q is no JSON record: %v", l, err)
				}
				records = append(records, r)
				if r["msg"] == until {
					return
				}
			case <-timeout:
				t.Fatalf("no %q record in 30 s; records %v", until, records)
			}
		}
	}
	read("web UI")
	byMsg := map[string]map[string]any{}
	for _, r := range records {
		if r["level"] != "INFO" || r["time"] == nil {
			t.Errorf("record %v: want level INFO and a time", r)
		}
		byMsg[r["msg"].(string)] = r
	}
	keyFile := filepath.Join(dir, "data", "admin-api-key")
	if r := byMsg["created user admin"]; r == nil || r["key_file"] != keyFile {
		t.Errorf("created-admin record %v; want key_file %s", r, keyFile)
	}
	url, _ := byMsg["serving"]["url"].(string)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || byMsg["serving"]["metadata"] == nil {
		t.Fatalf("serving record %v", byMsg["serving"])
	}
	if r := byMsg["web UI"]; r["admin_key_file"] != keyFile {
		t.Errorf("web UI record %v", r)
	}
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	read("server stopped")
	for l := range lines {
		t.Errorf("after the last record: %q", l)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("server exit: %v", err)
	}
}
