package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/testenv"
)

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestUIEndToEnd runs the web UI's end-to-end tests (web/e2e/run.mjs:
// playwright-core driving Debian's Chromium) against a real trove server
// --demo. The screenshots go to $TROVE_SCREENSHOTS, by default
// web/e2e/screenshots.
func TestUIEndToEnd(t *testing.T) {
	// Not parallel: Chromium is heavy, and timing-sensitive checks in the
	// scenarios should not compete with the rest of the package.
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	testenv.Require(t, "node (Node.js)", err == nil)
	testenv.Require(t, "Chromium at /usr/bin/chromium", exists("/usr/bin/chromium"))
	testenv.Require(t, "web/node_modules/playwright-core (run npm ci in web/)", exists(filepath.Join(repo, "web", "node_modules", "playwright-core")))
	testenv.Require(t, "web/e2e/run.mjs", exists(filepath.Join(repo, "web", "e2e", "run.mjs")))

	shots := os.Getenv("TROVE_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(repo, "web", "e2e", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(t.TempDir(), "data")
	s := startDemoServer(t, nil, "--data", data)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("web", "e2e", "run.mjs"))
	cmd.Dir = repo
	cmd.Env = append(os.Environ(),
		"TROVE_URL="+s.url, "TROVE_KEY="+adminKey(t, data), "TROVE_SCREENSHOTS="+shots, "NO_COLOR=1")
	start := time.Now()
	if err := testenv.RunLogged(t, cmd); err != nil {
		t.Fatalf("web/e2e/run.mjs: %v (screenshots in %s)\nlast lines of the server's log:\n%s", err, shots, lastLines(s.stderr.String(), 40))
	}
	t.Logf("web/e2e/run.mjs passed in %s; screenshots in %s", time.Since(start).Round(time.Millisecond), shots)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
