package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tempsUnder lists the download temporary files (.trove-*.tmp) under dir.
func tempsUnder(dir string) []string {
	var found []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".trove-") && strings.HasSuffix(d.Name(), ".tmp") {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// TestKilledGetLeavesNoTemps kills trove artifact get while it writes a
// file; the next get completes the download and removes what the killed one
// left, and a put of the directory logs exactly the version's files.
func TestKilledGetLeavesNoTemps(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		writeTree(t, filepath.Join(e.work, "src"), 11, 3, 32<<20)
		e.write("src/sub/small.txt", "small")
		e.ok("artifact", "put", "src", "-n", "big", "-t", "dataset")
		out := filepath.Join(e.work, "out")

		killed := false
		for try := 0; try < 10 && !killed; try++ {
			os.RemoveAll(out)
			cmd := exec.Command(os.Args[0], "artifact", "get", "big:v0", "--root", out)
			cmd.Dir = e.work
			cmd.Env = append(append(os.Environ(), envCLI+"=1"), e.vars...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
		poll:
			for {
				select {
				case <-done:
					break poll // finished before a temporary file was seen
				default:
				}
				if len(tempsUnder(out)) > 0 {
					cmd.Process.Signal(syscall.SIGKILL)
					<-done
					killed = len(tempsUnder(out)) > 0
					break
				}
				time.Sleep(200 * time.Microsecond)
			}
		}
		if !killed {
			t.Fatal("no get was killed while it wrote a file")
		}
		t.Logf("the killed get left %d temporary files", len(tempsUnder(out)))

		got := e.ok("artifact", "get", "big:v0", "--root", out).lastLine()
		if left := tempsUnder(out); len(left) > 0 {
			t.Errorf("after a get that completed, temporary files remain: %v", left)
		}
		for _, name := range []string{"part-000.bin", "part-001.bin", "part-002.bin", "sub/small.txt"} {
			if e.read(filepath.Join(got, name)) != e.read(filepath.Join(e.work, "src", name)) {
				t.Errorf("%s differs from what was put", name)
			}
		}
		r := e.ok("artifact", "put", "out", "-n", "again", "-t", "dataset")
		if strings.Contains(r.stdout+r.stderr, ".tmp") {
			t.Errorf("the put mentions a temporary file:\n%s%s", r.stdout, r.stderr)
		}
		files := jsonOf[[]struct {
			Path string `json:"path"`
		}](t, e.ok("artifact", "files", "again:v0", "--json"))
		var paths []string
		for _, f := range files {
			paths = append(paths, f.Path)
		}
		if strings.Join(paths, " ") != "part-000.bin part-001.bin part-002.bin sub/small.txt" {
			t.Errorf("the put of the download logged %v", paths)
		}
	})
}
