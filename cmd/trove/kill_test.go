package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killIterations is how many times each kill test kills: 20, or
// $TROVE_KILL_ITERATIONS, or 3 with -short or under the race detector
// (which makes each put ten times slower; .ci/run also runs the full 20
// without it).
func killIterations() int {
	if n, err := strconv.Atoi(os.Getenv("TROVE_KILL_ITERATIONS")); err == nil && n > 0 {
		return n
	}
	if testing.Short() || raceEnabled {
		return 3
	}
	return 20
}

// writeTree writes files of size bytes each, their content unique to seed,
// and returns the SHA-256 of each.
func writeTree(t *testing.T, dir string, seed uint64, files, size int) []string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 42))
	buf := make([]byte, size)
	var digests []string
	for i := range files {
		for j := 0; j < len(buf); j += 8 {
			v := r.Uint64()
			for k := 0; k < 8 && j+k < len(buf); k++ {
				buf[j+k] = byte(v >> (8 * k))
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("part-%03d.bin", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(buf)
		digests = append(digests, hex.EncodeToString(sum[:]))
	}
	return digests
}

// storedBlobs counts how many of digests the server's file blob store holds.
func storedBlobs(data string, digests []string) int {
	n := 0
	for _, d := range digests {
		if _, err := os.Stat(filepath.Join(data, "blobs", "sha256", d[:2], d)); err == nil {
			n++
		}
	}
	return n
}

// metric scrapes the server's /metrics and sums the samples of a metric
// whose lines contain every one of match.
func metric(t *testing.T, url, name string, match ...string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var total float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
lines:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		for _, m := range match {
			if !strings.Contains(line, m) {
				continue lines
			}
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		total += v
	}
	return total
}

// blobPuts returns the number of blob uploads the server has served.
func blobPuts(t *testing.T, url string) float64 {
	return metric(t, url, "trove_http_requests_total", `method="PUT"`, "/api/v1/blobs/")
}

// quiesce waits until the server has finished every request, such as the
// uploads of a killed client, which it notices only when it next reads.
func quiesce(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	// The scrape itself is in flight while it runs.
	for metric(t, url, "trove_http_requests_in_flight") > 1 {
		if time.Now().After(deadline) {
			t.Fatal("the server still has requests in flight after 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startPut starts trove artifact put as a process, without waiting for it.
func (e *env) startPut(dir, name string) *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], "artifact", "put", dir, "-n", name, "-t", "dataset")
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), envCLI+"=1"), e.vars...)
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	return cmd
}

// checkNoPartial checks that name has no version, or exactly a complete v0.
func (e *env) checkNoPartial(name, dir string) {
	e.t.Helper()
	r := e.trove("artifact", "versions", name, "--json")
	if r.code != 0 {
		if !strings.Contains(r.stderr, "not found") {
			e.t.Fatalf("versions %s: %s", name, r.stderr)
		}
		return
	}
	vs := jsonOf[[]versionJSON](e.t, r)
	switch {
	case len(vs) == 0:
	case len(vs) == 1 && vs[0].Version == "v0":
		e.checkDownload(name+":v0", dir)
	default:
		e.t.Fatalf("after a kill %s has versions %+v", name, vs)
	}
}

// checkDownload downloads ref and compares it with dir, file by file.
func (e *env) checkDownload(ref, dir string) {
	e.t.Helper()
	got := e.ok("artifact", "get", ref, "--root", filepath.Join(e.dir, "dl", ref)).lastLine()
	ents, err := os.ReadDir(filepath.Join(e.work, dir))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, de := range ents {
		want := e.read(filepath.Join(e.work, dir, de.Name()))
		if e.read(filepath.Join(got, de.Name())) != want {
			e.t.Fatalf("%s: %s differs from what was put", ref, de.Name())
		}
	}
}

// rerun puts dir again after a kill: it must end with exactly v0 and upload
// exactly the blobs the server lacked.
func (e *env) rerun(s *serverProc, data, dir, name string, digests []string) {
	e.t.Helper()
	quiesce(e.t, s.url)
	missing := len(digests) - storedBlobs(data, digests)
	before := blobPuts(e.t, s.url)
	if got := e.ok("artifact", "put", dir, "-n", name, "-t", "dataset").lastLine(); got != "tester/walkthrough/"+name+":v0" {
		e.t.Fatalf("re-run printed %q, want v0", got)
	}
	if sent := blobPuts(e.t, s.url) - before; int(sent) != missing {
		e.t.Errorf("%s: re-run uploaded %v blobs, %d were missing", name, sent, missing)
	}
	vs := jsonOf[[]versionJSON](e.t, e.ok("artifact", "versions", name, "--json"))
	if len(vs) != 1 || vs[0].Version != "v0" {
		e.t.Fatalf("%s: versions %+v, want exactly v0", name, vs)
	}
	e.checkDownload(name+":v0", dir)
}

// TestKillDuringUpload kills the client, and separately the server, at
// random points of a put of 64 MiB in 32 files; after each kill no partial
// version is visible, and a re-run ends with exactly one version, uploading
// only the blobs that were missing.
func TestKillDuringUpload(t *testing.T) {
	const files, size = 32, 2 << 20
	e, s := newServerEnv(t)
	data := filepath.Join(e.dir, "server")
	n := killIterations()

	// Calibrate: how long does a whole put take here?
	writeTree(t, filepath.Join(e.work, "calib"), 999, files, size)
	start := time.Now()
	e.ok("artifact", "put", "calib", "-n", "calib", "-t", "dataset")
	full := time.Since(start)
	t.Logf("a whole put takes %v", full)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	delay := func() time.Duration { return time.Duration(rng.Int64N(int64(full) * 12 / 10)) }

	t.Run("client", func(t *testing.T) {
		e.t = t
		midUpload := 0
		defer func() { checkMid(t, midUpload) }()
		for i := range n {
			dir, name := fmt.Sprintf("client-%d", i), fmt.Sprintf("killed-client-%d", i)
			digests := writeTree(t, filepath.Join(e.work, dir), uint64(i), files, size)
			cmd := e.startPut(dir, name)
			time.Sleep(delay())
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			midUpload += countMid(t, i, storedBlobs(data, digests), len(digests))
			e.checkNoPartial(name, dir)
			e.rerun(s, data, dir, name, digests)
		}
	})
	t.Run("server", func(t *testing.T) {
		e.t = t
		s.t = t
		midUpload := 0
		defer func() { checkMid(t, midUpload) }()
		for i := range n {
			dir, name := fmt.Sprintf("server-%d", i), fmt.Sprintf("killed-server-%d", i)
			digests := writeTree(t, filepath.Join(e.work, dir), uint64(1000+i), files, size)
			cmd := e.startPut(dir, name)
			time.Sleep(delay())
			s.kill()
			midUpload += countMid(t, i, storedBlobs(data, digests), len(digests))
			s.restart()
			// The put rides through on retries or fails; either way it ends.
			cmd.Wait()
			e.checkNoPartial(name, dir)
			e.rerun(s, data, dir, name, digests)
		}
	})
}

// countMid logs how far the upload had got when the kill came, and returns
// 1 when it came in the middle of the blob uploads.
func countMid(t *testing.T, i, stored, total int) int {
	t.Logf("kill %d: %d of %d blobs were stored", i, stored, total)
	if stored > 0 && stored < total {
		return 1
	}
	return 0
}

// checkMid fails a kill test none of whose kills hit the blob uploads: it
// would have tested nothing.
func checkMid(t *testing.T, mid int) {
	if mid == 0 && killIterations() >= 10 {
		t.Errorf("no kill came in the middle of the uploads")
	}
	t.Logf("%d kills came in the middle of the uploads", mid)
}

// tempFiles lists the temporary files of the server's blob store.
func tempFiles(data string) map[string]bool {
	m := map[string]bool{}
	ents, _ := os.ReadDir(filepath.Join(data, "blobs", "tmp"))
	for _, de := range ents {
		m[de.Name()] = true
	}
	return m
}

// receiving waits until the server has begun writing an uploaded blob (a
// non-empty temporary file under its blob store, not one of old) or until
// the put has ended, and reports which.
func receiving(data string, old map[string]bool, ended <-chan struct{}) bool {
	tmp := filepath.Join(data, "blobs", "tmp")
	for {
		select {
		case <-ended:
			return false
		default:
		}
		if ents, err := os.ReadDir(tmp); err == nil {
			for _, de := range ents {
				if fi, err := de.Info(); err == nil && fi.Size() > 0 && !old[de.Name()] {
					return true
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// TestServerRestartMidUpload kills the server while it receives a put's
// blobs and starts it again: every put rides through (blob bodies are sent
// again from the start of their files, a broken streamed upload of a large
// file falls back to hashing and uploading by digest), says once on stderr
// that it is retrying, and ends with a complete v0.
func TestServerRestartMidUpload(t *testing.T) {
	e, s := newServerEnv(t)
	data := filepath.Join(e.dir, "server")
	n := killIterations()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	failures, mid, announced := 0, 0, 0
	for i := range n {
		dir, name := fmt.Sprintf("restart-%d", i), fmt.Sprintf("restarted-%d", i)
		digests := writeTree(t, filepath.Join(e.work, dir), uint64(2000+i), 16, 1<<20)
		if i%2 == 0 {
			// Larger than streamUploadMin: streamed while hashed.
			big := filepath.Join(e.dir, fmt.Sprintf("big-%d", i))
			digests = append(digests, writeTree(t, big, uint64(3000+i), 1, 33<<20)...)
			if err := os.Rename(filepath.Join(big, "part-000.bin"), filepath.Join(e.work, dir, "big.bin")); err != nil {
				t.Fatal(err)
			}
		}
		old := tempFiles(data)
		var stderr bytes.Buffer
		cmd := exec.Command(os.Args[0], "artifact", "put", dir, "-n", name, "-t", "dataset")
		cmd.Dir = e.work
		cmd.Env = append(append(os.Environ(), envCLI+"=1"), e.vars...)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ended := make(chan struct{})
		var werr error
		go func() { werr = cmd.Wait(); close(ended) }()
		restarted := receiving(data, old, ended)
		if restarted {
			time.Sleep(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
			s.kill()
			stored := storedBlobs(data, digests)
			if stored < len(digests) {
				mid++
			}
			t.Logf("restart %d: %d of %d blobs were stored", i, stored, len(digests))
			time.Sleep(time.Duration(rng.Int64N(int64(500 * time.Millisecond))))
			s.restart()
		}
		<-ended
		if werr != nil {
			failures++
			t.Errorf("put %d failed across a restart: %v\n%s", i, werr, stderr.String())
			continue
		}
		// Once at most: a request broken off by the kill and retried at
		// once may find the server back already, and there was no outage
		// to speak of.
		if got := strings.Count(stderr.String(), "retrying for up to"); got > 1 {
			t.Errorf("put %d announced the outage %d times, want once at most:\n%s", i, got, stderr.String())
		} else if restarted {
			announced += got
		}
		e.checkDownload(name+":v0", dir)
	}
	t.Logf("%d of %d puts failed; %d restarts came in the middle of the uploads; %d puts said they were retrying", failures, n, mid, announced)
	if mid == 0 {
		t.Errorf("no restart came in the middle of the uploads")
	}
	if announced == 0 {
		t.Errorf("no put said on stderr that it was retrying")
	}
}
