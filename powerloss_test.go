//go:build linux

package trove

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/testenv"
	"github.com/troveml/trove/internal/testenv/lazyfs"
)

// The power-loss test runs a child process (this test binary, see
// TestMain) that logs versions into an embedded store on a lazyfs mount and
// prints each one as soon as its commit returns; the parent kills it at a
// random moment, cuts the power (drops whatever was not fsynced), mounts
// the durable state again and checks the store, then carries on with the
// recovered store, cut after cut.

const (
	// envPowerLossChild makes the test binary the child: its value is the
	// seed of its random content.
	envPowerLossChild = "TROVE_TEST_POWERLOSS_CHILD"
	// envPowerLossCheck makes the test binary the checker of a recovered
	// store (see powerLoss.check): its value names the input file.
	envPowerLossCheck = "TROVE_TEST_POWERLOSS_CHECK"
	// envPowerLossCuts asks for that many cuts (default 8, .ci/run asks
	// for 60).
	envPowerLossCuts = "TROVE_POWERLOSS_CUTS"
)

func TestMain(m *testing.M) {
	if seed := os.Getenv(envPowerLossChild); seed != "" {
		os.Exit(powerLossChild(seed))
	}
	if in := os.Getenv(envPowerLossCheck); in != "" {
		os.Exit(powerLossCheck(in))
	}
	os.Exit(m.Run())
}

// ackedVersion is what the child prints for each acknowledged version: its
// full name and the SHA-256 of each file's content, by path.
type ackedVersion struct {
	Ref   string            `json:"ref"`
	Files map[string]string `json:"files"`
}

// powerLossChild logs versions of one artifact into $TROVE_URL until it is
// killed, each of several small files, some of them shared with other
// versions (deduplicated), and prints each acknowledged version on stdout.
func powerLossChild(seedArg string) int {
	seed, _ := strconv.ParseUint(seedArg, 10, 64)
	rng := rand.New(rand.NewPCG(seed, 14))
	ctx := context.Background()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "powerloss child:", err)
		return 1
	}
	c, err := Open(ctx, Options{})
	if err != nil {
		return fail(err)
	}
	r, err := c.StartRun(ctx, RunOptions{JobType: "powerloss"})
	if err != nil {
		return fail(err)
	}
	// Content shared between versions: the same for every child.
	shared := make([][]byte, 6)
	for i := range shared {
		shared[i] = []byte(strings.Repeat(fmt.Sprintf("shared %d\n", i), 1+i*300))
	}
	for i := 0; ; i++ {
		a := NewArtifact("data", "dataset")
		files := map[string]string{}
		for j := range 1 + rng.IntN(5) {
			var content []byte
			if rng.IntN(3) == 0 {
				content = shared[rng.IntN(len(shared))]
			} else {
				content = make([]byte, rng.IntN(12<<10))
				for k := range content {
					content[k] = byte(rng.Uint32())
				}
			}
			name := fmt.Sprintf("f%d.bin", j)
			if j%2 == 1 {
				name = fmt.Sprintf("sub/%d/f%d.bin", i%3, j)
			}
			f, err := a.NewFile(name)
			if err != nil {
				return fail(err)
			}
			if _, err := f.Write(content); err != nil {
				return fail(err)
			}
			if err := f.Close(); err != nil {
				return fail(err)
			}
			sum := sha256.Sum256(content)
			files[name] = hex.EncodeToString(sum[:])
		}
		v, err := r.LogArtifact(ctx, a)
		if err != nil {
			return fail(err)
		}
		line, _ := json.Marshal(ackedVersion{Ref: v.FullName(), Files: files})
		// One write: a line the parent reads whole was acknowledged.
		if _, err := os.Stdout.Write(append(line, '\n')); err != nil {
			return fail(err)
		}
	}
}

// powerLoss is one power-loss run: a lazyfs mount with a store on it.
type powerLoss struct {
	t       *testing.T
	lfs     *lazyfs.FS
	mnt     string // the mount point
	store   string // the data directory on it
	scratch string // real disk: caches and downloads
	noSync  bool
	rng     *rand.Rand

	acked    map[string]ackedVersion // every acknowledged version, by ref
	checked  map[string]bool         // versions already downloaded and verified
	phases   map[string]int          // where the cuts struck
	lastOp   string                  // the last operation before the last cut
	ackCount int                     // acknowledged versions checked, over all cuts
	visCount int                     // visible versions checked, over all cuts
}

func newPowerLoss(t *testing.T, noSync bool) *powerLoss {
	t.Helper()
	testenv.Require(t, "FUSE (/dev/fuse, root)", lazyfs.Supported())
	p := &powerLoss{
		t: t, lfs: lazyfs.New(), mnt: t.TempDir(), scratch: t.TempDir(), noSync: noSync,
		acked: map[string]ackedVersion{}, checked: map[string]bool{}, phases: map[string]int{},
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	p.rng = rand.New(rand.NewPCG(seed, 0))
	if err := p.lfs.Mount(p.mnt); err != nil {
		testenv.Require(t, "a FUSE mount ("+err.Error()+")", false)
	}
	t.Cleanup(func() {
		if err := p.lfs.Unmount(); err != nil {
			t.Error(err)
		}
	})
	// The data directory exists, durably, before the first put.
	p.store = filepath.Join(p.mnt, "store")
	if err := os.Mkdir(p.store, 0o700); err != nil {
		t.Fatal(err)
	}
	p.lfs.Sync()
	return p
}

// cuts returns how many cuts to make: $TROVE_POWERLOSS_CUTS, else def.
func cuts(t *testing.T, def int) int {
	if v := os.Getenv(envPowerLossCuts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", envPowerLossCuts, v)
		}
		return n
	}
	return def
}

// round runs a child, kills it after a random delay, cuts the power and
// mounts the durable state again. It returns the versions the child
// acknowledged.
func (p *powerLoss) round(i int) []ackedVersion {
	t := p.t
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envPowerLossChild+"="+strconv.FormatUint(p.rng.Uint64()|1, 10),
		"TROVE_URL="+p.store,
		"TROVE_CACHE_DIR="+filepath.Join(p.scratch, fmt.Sprintf("cache-child-%d", i)),
		"TROVE_ENTITY=tester", "TROVE_PROJECT=powerloss",
		EnvNoSync+"="+strconv.FormatBool(p.noSync),
		EnvRunID+"=",
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// On a failure below, the child goes before the mount.
	t.Cleanup(func() { cmd.Process.Kill() })
	var acks []ackedVersion
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var v ackedVersion
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Errorf("child printed %q: %v", sc.Text(), err)
				continue
			}
			mu.Lock()
			acks = append(acks, v)
			mu.Unlock()
		}
		io.Copy(io.Discard, out)
	}()
	// Every fourth cut strikes at a random moment: early ones while the
	// store opens, later ones in a put or a commit. The others strike
	// right after the k-th operation of a kind (k random), so that each
	// phase of a commit is hit whatever the timing: a write of a blob not
	// yet synced, a blob directory's sync (blobs durable, metadata not
	// committed), a write into SQLite's WAL.
	var fired <-chan struct{}
	k := 1 + p.rng.IntN(40)
	switch i % 4 {
	case 1:
		fired = p.lfs.CutWhen(nthOp(k, "write ", "blobs/tmp/"))
	case 2:
		fired = p.lfs.CutWhen(nthOp(1+k/3, "fsync dir ", "blobs"))
	case 3:
		fired = p.lfs.CutWhen(nthOp(k, "write ", "trove.db-wal"))
	}
	delay := time.Duration(p.rng.Int64N(int64(700 * time.Millisecond)))
	if p.rng.IntN(4) == 0 {
		delay = time.Duration(p.rng.Int64N(int64(150 * time.Millisecond)))
	}
	if fired != nil {
		delay = 5 * time.Second // in case the k-th operation never comes
	}
	exited := make(chan error, 1)
	go func() { <-done; exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("child exited before the cut: %v\n%s", err, stderr.String())
	case <-fired:
		// The power went right after the chosen operation; the child
		// fails on EIO or goes on: either way it goes now.
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	case <-time.After(delay):
		// Power loss at this instant: the kill takes the process, the
		// cut what it had not made durable.
		if fired != nil {
			t.Logf("cut %d: the chosen operation did not come in %v", i+1, delay)
		}
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		p.lfs.CutWhen(nil)
		select {
		case <-fired: // it struck after all, just now
		default:
			p.lfs.Cut()
		}
	}
	<-exited
	// Everything the child printed was acknowledged before the cut (or
	// after it, with the commit's last fsync done before it): all of it
	// must be there.
	mu.Lock()
	got := append([]ackedVersion(nil), acks...)
	mu.Unlock()
	p.lastOp = p.lfs.Stats().LastOp
	p.phases[phase(p.lastOp)]++
	if err := p.lfs.Unmount(); err != nil {
		t.Fatal(err)
	}
	if err := p.lfs.Mount(p.mnt); err != nil {
		t.Fatal(err)
	}
	return got
}

// nthOp returns a CutWhen trigger that matches the n-th operation with
// this prefix that contains substr.
func nthOp(n int, prefix, substr string) func(string) bool {
	return func(op string) bool {
		if strings.HasPrefix(op, prefix) && strings.Contains(op, substr) {
			n--
		}
		return n == 0
	}
}

// phase names where a cut struck from the last operation before it.
func phase(op string) string {
	switch {
	case strings.Contains(op, "blobs/tmp/") && !strings.HasPrefix(op, "fsync"):
		return "mid-blob-write"
	case strings.Contains(op, "blobs/"):
		return "blob synced, metadata not committed"
	case strings.Contains(op, "trove.db"):
		return "mid-SQLite-commit"
	default:
		return "other (" + strings.Fields(op + " none")[0] + ")"
	}
}

// checkInput is what the checking child is told (as JSON in the file
// $TROVE_TEST_POWERLOSS_CHECK names), checkOutput what it answers.
type checkInput struct {
	Store, Cache, Scratch string
	NoSync, All           bool
	Acked                 map[string]ackedVersion
	Checked               map[string]bool
}

type checkOutput struct {
	Problems []string
	Checked  []string // versions downloaded and verified
	Acked    int      // of them, acknowledged ones
}

// check opens the recovered store and returns what is wrong with it: an
// acknowledged version lost or damaged, a visible version that does not
// download whole, a blob verify finds corrupt or missing. Versions
// acknowledged since the last check, and those visible for the first time,
// are downloaded and compared with their content; all is when every
// version is.
//
// It runs in a child process: this one serves the FUSE mount, and SQLite
// maps its -shm file into memory; a goroutine faulting on a page of it
// could stop the world (for the garbage collector) while the goroutines
// that would serve the fault wait for the world to start again.
func (p *powerLoss) check(all bool) []string {
	t := p.t
	t.Helper()
	in, err := json.Marshal(checkInput{
		Store: p.store, Cache: filepath.Join(p.scratch, "cache-check"), Scratch: p.scratch,
		NoSync: p.noSync, All: all, Acked: p.acked, Checked: p.checked,
	})
	if err != nil {
		t.Fatal(err)
	}
	inFile := filepath.Join(p.scratch, "check.json")
	if err := os.WriteFile(inFile, in, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envPowerLossCheck+"="+inFile, EnvRunID+"=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("checking the store: %v\n%s", err, stderr.String())
	}
	var res checkOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("checking the store: %v in %q", err, out)
	}
	for _, ref := range res.Checked {
		p.checked[ref] = true
	}
	p.visCount += len(res.Checked)
	p.ackCount += res.Acked
	return res.Problems
}

// powerLossCheck is the checking child: it reads a checkInput from the
// file inFile and prints a checkOutput.
func powerLossCheck(inFile string) int {
	b, err := os.ReadFile(inFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var in checkInput
	if err := json.Unmarshal(b, &in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out := checkStore(context.Background(), in)
	if out.Problems == nil {
		out.Problems = []string{}
	}
	b, _ = json.Marshal(out)
	os.Stdout.Write(b)
	return 0
}

func checkStore(ctx context.Context, in checkInput) (out checkOutput) {
	problem := func(format string, args ...any) {
		out.Problems = append(out.Problems, fmt.Sprintf(format, args...))
	}
	ackedN := len(in.Acked)
	if _, err := os.Stat(filepath.Join(in.Store, "trove.db")); os.IsNotExist(err) && ackedN == 0 {
		return out // cut before the store was created
	}
	// The blob cache must not hide a lost blob: a new one each time.
	os.RemoveAll(in.Cache)
	defer os.RemoveAll(in.Cache)
	c, err := Open(ctx, Options{
		URL: in.Store, CacheDir: in.Cache, NoSync: in.NoSync, Entity: "tester", Project: "powerloss",
	})
	if err != nil {
		problem("opening the store: %v (%d acknowledged versions)", err, ackedN)
		return out
	}
	defer func() {
		if err := c.Close(); err != nil {
			problem("closing the store: %v", err)
		}
	}()
	vs, err := c.ArtifactVersions(ctx, "data")
	if core.KindOf(err) == core.ErrNotFound {
		vs, err = nil, nil // every acknowledged version, if any, is lost
	}
	if err != nil {
		problem("listing versions: %v (%d acknowledged)", err, ackedN)
		return out
	}
	visible := map[string]*Version{}
	for _, v := range vs {
		visible[v.FullName()] = v
	}
	refs := make([]string, 0, len(in.Acked))
	for ref := range in.Acked {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		if visible[ref] == nil {
			problem("lost acknowledged version %s", ref)
		}
	}
	for ref, v := range visible {
		if in.Checked[ref] && !in.All {
			continue
		}
		want, acked := in.Acked[ref]
		if err := download(ctx, in.Scratch, v, want.Files); err != nil {
			what := "visible version"
			if acked {
				what = "acknowledged version"
			}
			problem("%s %s: %v", what, ref, err)
			continue
		}
		out.Checked = append(out.Checked, ref)
		if acked {
			out.Acked++
		}
	}
	rep, err := c.Verify(ctx, VerifyOptions{})
	switch {
	case err != nil:
		problem("verify: %v", err)
	case len(rep.Corrupt)+len(rep.Missing) > 0:
		problem("verify: %d corrupt, %d missing blobs: %+v %+v", len(rep.Corrupt), len(rep.Missing), rep.Corrupt, rep.Missing)
	case rep.Database != nil && !rep.Database.OK:
		problem("verify: database %+v", *rep.Database)
	}
	return out
}

// download downloads v and compares its files with its manifest and, for
// an acknowledged version, with the content the child logged.
func download(ctx context.Context, scratch string, v *Version, want map[string]string) error {
	dir, err := os.MkdirTemp(scratch, "get-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	entries, err := v.Files(ctx)
	if err != nil {
		return err
	}
	if _, err := v.Download(ctx, dir); err != nil {
		return err
	}
	got := map[string]string{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		sum := sha256.Sum256(b)
		got[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		return err
	}
	if len(got) != len(entries) {
		return fmt.Errorf("%d files downloaded, the manifest lists %d", len(got), len(entries))
	}
	for _, e := range entries {
		if _, ok := got[e.Path]; !ok {
			return fmt.Errorf("%s missing from the download", e.Path)
		}
	}
	if want != nil {
		if len(want) != len(got) {
			return fmt.Errorf("%d files, %d logged", len(got), len(want))
		}
		for name, sum := range want {
			if got[name] != sum {
				return fmt.Errorf("%s: sha256 %s, logged %s", name, got[name], sum)
			}
		}
	}
	return nil
}

// run makes n cuts, or stops at the first with problems when stopEarly;
// it returns the problems of every cut.
func (p *powerLoss) run(n int, budget time.Duration, stopEarly bool) (problems []string, made int) {
	start := time.Now()
	for i := 0; i < n; i++ {
		if time.Since(start) > budget {
			p.t.Logf("time budget %v spent after %d cuts", budget, i)
			break
		}
		acks := p.round(i)
		for _, v := range acks {
			p.acked[v.Ref] = v
			delete(p.checked, v.Ref) // a version logged again is checked again
		}
		made++
		pr := p.check(false)
		for _, s := range pr {
			problems = append(problems, fmt.Sprintf("cut %d (after %s): %s", i+1, p.lastOp, s))
		}
		if len(pr) > 0 && (stopEarly || strings.HasPrefix(pr[0], "opening the store")) {
			return problems, made
		}
	}
	if len(problems) == 0 {
		for _, s := range p.check(true) {
			problems = append(problems, "final check: "+s)
		}
	}
	return problems, made
}

func (p *powerLoss) summary(cutsMade int) string {
	keys := make([]string, 0, len(p.phases))
	for k := range p.phases {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ph []string
	for _, k := range keys {
		ph = append(ph, fmt.Sprintf("%s %d", k, p.phases[k]))
	}
	st := p.lfs.Stats()
	return fmt.Sprintf("power loss: %d cuts; %d acknowledged versions, every one listed after each later cut, %d downloads of them verified; %d downloads of visible versions verified; %d file fsyncs, %d dir fsyncs; cuts struck: %s",
		cutsMade, len(p.acked), p.ackCount, p.visCount, st.FileSyncs, st.DirSyncs, strings.Join(ph, ", "))
}

// TestPowerLoss proves that every commit the embedded store acknowledges
// survives a power cut, and that nothing half-committed is visible: see
// powerLoss. $TROVE_POWERLOSS_CUTS sets the number of cuts (default 8).
func TestPowerLoss(t *testing.T) {
	p := newPowerLoss(t, false)
	problems, made := p.run(cuts(t, 8), 150*time.Second, false)
	for _, s := range problems {
		t.Error(s)
	}
	t.Log(p.summary(made))
	if len(p.acked) == 0 {
		t.Errorf("no version acknowledged in %d cuts: the test proved nothing", made)
	}
}

// TestPowerLossNoSync shows that TestPowerLoss can fail: without the
// durability syncs (TROVE_NO_SYNC=1) it finds acknowledged versions lost.
func TestPowerLossNoSync(t *testing.T) {
	p := newPowerLoss(t, true)
	problems, made := p.run(max(2*cuts(t, 8), 30), 60*time.Second, true)
	t.Log(p.summary(made))
	lost := 0
	for _, s := range problems {
		t.Log("found, as expected without syncs: " + s)
		if strings.Contains(s, "acknowledged version") {
			lost++
		}
	}
	if lost > 0 {
		t.Logf("power loss without syncs: %d acknowledged versions lost or damaged after %d cuts, as expected", lost, made)
	} else {
		t.Errorf("no acknowledged version lost or damaged in %d cuts without syncs (%d acknowledged): the checker cannot fail", made, len(p.acked))
	}
}
