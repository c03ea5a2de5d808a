package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/blobtest"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
)

// childEnv, when set, makes the test binary a child of TestMultiProcess.
const childEnv = "TROVE_BLOB_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := runChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// openFile opens a file:// store in a fresh directory and returns both.
func openFile(t testing.TB) (*blob.Bucket, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := blob.Open(t.Context(), "file://"+dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// blobPath is where the file driver keeps blob d.
func blobPath(dir string, d core.Digest) string {
	return filepath.Join(dir, "sha256", d.Hex()[:2], d.Hex())
}

// flip changes one byte of b, or makes empty content non-empty.
func flip(b []byte) []byte {
	if len(b) == 0 {
		return []byte{0}
	}
	b[len(b)/2] ^= 0xff
	return b
}

func TestFileStore(t *testing.T) {
	var dirs sync.Map // blob.Store → its directory
	blobtest.Run(t,
		func(t *testing.T) blob.Store {
			s, dir := openFile(t)
			dirs.Store(blob.Store(s), dir)
			return s
		},
		func(t *testing.T, s blob.Store, d core.Digest) {
			dir, _ := dirs.Load(s)
			p := blobPath(dir.(string), d)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, flip(b), 0o666); err != nil {
				t.Fatal(err)
			}
		})
}

func TestMemStore(t *testing.T) {
	var buckets sync.Map // blob.Store → its gocloud bucket
	blobtest.Run(t,
		func(t *testing.T) blob.Store {
			// What Open("mem://") does, keeping a handle on the bucket to
			// corrupt it.
			gb := memblob.OpenBucket(&memblob.Options{NoMD5: true})
			s := blob.NewBucket(gb)
			t.Cleanup(func() { s.Close() })
			buckets.Store(blob.Store(s), gb)
			return s
		},
		func(t *testing.T, s blob.Store, d core.Digest) {
			v, _ := buckets.Load(s)
			gb := v.(*gcblob.Bucket)
			key := "sha256/" + d.Hex()[:2] + "/" + d.Hex()
			b, err := gb.ReadAll(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if err := gb.WriteAll(t.Context(), key, flip(b), nil); err != nil {
				t.Fatal(err)
			}
		})
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		url     string
		wantErr string // substrings of the core.ErrInvalid message; "" for success
	}{
		{"mem://", ""},
		{"file://" + dir, ""},
		{"file://" + filepath.Join(dir, "new", "nested"), ""}, // created
		{"file://localhost" + filepath.Join(dir, "local"), ""},
		{"gs://bucket", `"gs" (supported: file, mem, s3)`},
		{"/just/a/path", `"" (supported: file, mem, s3)`},
		{"", `"" (supported: file, mem, s3)`},
		{"s3://", "want s3://bucket"},
		{"s3://bucket:99", "want s3://bucket"},
		{"s3://bucket/dir", "?prefix=dir"},
		{"s3://bucket?prefix=../x", "prefix"},
		{"s3://bucket?prefix=/abs", "prefix"},
		{"s3://bucket?prefix=a//b", "prefix"},
		{"s3://bucket?endpoint=localhost:9000", "endpoint"},
		{"s3://bucket?use_path_style=maybe", "use_path_style"},
		{"s3://bucket?ssetype=rot13", "ssetype"},
		{"s3://bucket?colour=blue", `unknown query parameter "colour"`},
		{"s3://keyonly@bucket", "ACCESS_KEY:SECRET"},
		{"s3://bucket#frag", "fragment"},
		{"file://relative/dir", "not local"},
		{"file:relative", "absolute"},
		{"file://" + dir + "?metadata=skip", "no user, query"},
		{"mem://x", "exactly mem://"},
		{"%zz", "invalid URL escape"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := blob.Open(t.Context(), tc.url)
			if tc.wantErr != "" {
				if err == nil {
					s.Close()
				}
				if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open = %v; want core.ErrInvalid containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			content := []byte("opened")
			d, _, err := s.Ingest(t.Context(), bytes.NewReader(content))
			if err != nil {
				t.Fatalf("Ingest: %v", err)
			}
			if got := blobtest.ReadAll(t, s, d); !bytes.Equal(got, content) {
				t.Fatalf("read back %q; want %q", got, content)
			}
		})
	}
}

func TestZeroDigest(t *testing.T) {
	s, _ := openFile(t)
	ctx := t.Context()
	var zero core.Digest
	errs := map[string]error{
		"Put":    s.Put(ctx, zero, 0, strings.NewReader("")),
		"Delete": s.Delete(ctx, zero),
	}
	_, errs["Get"] = s.Get(ctx, zero)
	_, errs["Stat"] = s.Stat(ctx, zero)
	errs["Put size -2"] = s.Put(ctx, core.DigestOf(nil), -2, strings.NewReader(""))
	for op, err := range errs {
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s = %v; want core.ErrInvalid", op, err)
		}
	}
}

// TestFileLayout checks the on-disk layout the file driver's fast paths rely
// on, through an independent gocloud bucket on the same directory.
func TestFileLayout(t *testing.T) {
	ctx := t.Context()
	s, dir := openFile(t)
	ingested, put := blobtest.Content(1, 300_000), []byte("put")
	di, _, err := s.Ingest(ctx, bytes.NewReader(ingested))
	if err != nil {
		t.Fatal(err)
	}
	dp := core.DigestOf(put)
	if err := s.Put(ctx, dp, int64(len(put)), bytes.NewReader(put)); err != nil {
		t.Fatal(err)
	}

	gb, err := fileblob.OpenBucket(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer gb.Close()
	for d, want := range map[core.Digest][]byte{di: ingested, dp: put} {
		if b, err := os.ReadFile(blobPath(dir, d)); err != nil || !bytes.Equal(b, want) {
			t.Errorf("file %s: %d bytes, %v; want the blob's %d bytes", blobPath(dir, d), len(b), err, len(want))
		}
		key := "sha256/" + d.Hex()[:2] + "/" + d.Hex()
		if b, err := gb.ReadAll(ctx, key); err != nil || !bytes.Equal(b, want) {
			t.Errorf("gocloud ReadAll(%q): %d bytes, %v; want the blob's %d bytes", key, len(b), err, len(want))
		}
	}

	// Only the two blobs: no sidecar metadata, no temporary files.
	var files []string
	filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(files) != 2 {
		t.Errorf("files in the store: %q; want just the 2 blobs", files)
	}

	// Stray files under sha256/ (a killed writer's temporary file, anything
	// else) are not blobs.
	stray := []string{
		blobPath(dir, dp) + ".18a2b3c4d5e6f708.tmp",
		filepath.Join(dir, "sha256", "README"),
		filepath.Join(dir, "sha256", "ab", strings.Repeat("0", 64)), // wrong directory
		filepath.Join(dir, "sha256", "00", "ZZ"+strings.Repeat("0", 62)),
	}
	for _, p := range stray {
		os.MkdirAll(filepath.Dir(p), 0o777)
		if err := os.WriteFile(p, []byte("x"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if got := blobtest.ListAll(t, s); len(got) != 2 || got[di] != int64(len(ingested)) || got[dp] != int64(len(put)) {
		t.Errorf("List with stray files = %v; want the 2 blobs", got)
	}
}

func TestCleanTemp(t *testing.T) {
	ctx := t.Context()
	old := time.Now().Add(-2 * time.Hour)
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (*blob.Bucket, *gcblob.Bucket, string)
	}{
		{"file", func(t *testing.T) (*blob.Bucket, *gcblob.Bucket, string) {
			s, dir := openFile(t)
			gb, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { gb.Close() })
			return s, gb, dir
		}},
		{"mem", func(t *testing.T) (*blob.Bucket, *gcblob.Bucket, string) {
			gb := memblob.OpenBucket(nil)
			s := blob.NewBucket(gb)
			t.Cleanup(func() { s.Close() })
			return s, gb, ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, gb, dir := tc.open(t)
			content := []byte("a real blob")
			d, _, err := s.Ingest(ctx, bytes.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			// Leftovers of Ingests that died: a published temporary key, and
			// (file driver) the writer's own temporary files.
			abandoned := []string{"tmp/0123456789abcdef0123456789abcdef"}
			if dir != "" {
				abandoned = append(abandoned,
					"tmp/fedcba9876543210fedcba9876543210.18a2b3c4d5e6f708.tmp",
					"sha256/"+d.Hex()[:2]+"/"+d.Hex()+".18a2b3c4d5e6f708.tmp")
			}
			for _, k := range abandoned {
				if err := gb.WriteAll(ctx, k, []byte("partial"), nil); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := s.CleanTemp(ctx, time.Hour); err != nil || n != 0 {
				t.Fatalf("CleanTemp(1h) of fresh leftovers = %d, %v; want 0, nil", n, err)
			}
			if dir != "" {
				// On disk we can age them, and check olderThan for real.
				for _, k := range abandoned {
					if err := os.Chtimes(filepath.Join(dir, k), old, old); err != nil {
						t.Fatal(err)
					}
				}
				if n, err := s.CleanTemp(ctx, time.Hour); err != nil || n != len(abandoned) {
					t.Fatalf("CleanTemp(1h) of 2h-old leftovers = %d, %v; want %d, nil", n, err, len(abandoned))
				}
			} else if n, err := s.CleanTemp(ctx, 0); err != nil || n != len(abandoned) {
				t.Fatalf("CleanTemp(0) = %d, %v; want %d, nil", n, err, len(abandoned))
			}
			for _, k := range abandoned {
				if ok, err := gb.Exists(ctx, k); err != nil || ok {
					t.Errorf("%s still exists (%v) after CleanTemp", k, err)
				}
			}
			if n, err := s.CleanTemp(ctx, 0); err != nil || n != 0 {
				t.Errorf("second CleanTemp(0) = %d, %v; want 0, nil", n, err)
			}
			if got := blobtest.ReadAll(t, s, d); !bytes.Equal(got, content) {
				t.Errorf("the real blob changed: %q", got)
			}
		})
	}
}

// Multi-process test: two OS processes ingest into one directory at once.

const (
	childShared = 24 // blobs both children store
	childOwn    = 12 // blobs only one child stores
)

// childContents returns what child id stores: the shared blobs, in the same
// order in both children so that they collide, then its own.
func childContents(id int) [][]byte {
	var cs [][]byte
	for i := range childShared {
		size := int64(i%4) * 300_000
		if i%8 == 7 {
			size = 4 << 20
		}
		cs = append(cs, blobtest.Content(int64(1000+i), size+int64(i)))
	}
	for i := range childOwn {
		cs = append(cs, blobtest.Content(int64(2000+100*id+i), int64(i)*50_000+1))
	}
	return cs
}

// runChild is the child's side: spec is "id,dir,start-unix-nanos".
func runChild(spec string) error {
	parts := strings.SplitN(spec, ",", 3)
	if len(parts) != 3 {
		return fmt.Errorf("bad spec %q", spec)
	}
	id, err1 := strconv.Atoi(parts[0])
	start, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	ctx := context.Background()
	s, err := blob.Open(ctx, "file://"+parts[1])
	if err != nil {
		return err
	}
	defer s.Close()
	contents := childContents(id)
	time.Sleep(time.Until(time.Unix(0, start)))
	for i, c := range contents {
		want := core.DigestOf(c)
		if i%3 == 2 {
			if err := s.Put(ctx, want, int64(len(c)), bytes.NewReader(c)); err != nil {
				return fmt.Errorf("Put #%d: %w", i, err)
			}
			continue
		}
		d, n, err := s.Ingest(ctx, bytes.NewReader(c))
		if err != nil {
			return fmt.Errorf("Ingest #%d: %w", i, err)
		}
		if d != want || n != int64(len(c)) {
			return fmt.Errorf("Ingest #%d = %s, %d; want %s, %d", i, d, n, want, len(c))
		}
	}
	return nil
}

func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	start := time.Now().Add(500 * time.Millisecond).UnixNano()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for id := range 2 {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%s,%d", childEnv, id, dir, start))
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v\n%s", i, err, outs[i])
		}
	}
	if t.Failed() {
		return
	}

	s, err := blob.Open(t.Context(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[core.Digest][]byte{}
	for id := range 2 {
		for _, c := range childContents(id) {
			want[core.DigestOf(c)] = c
		}
	}
	if len(want) != childShared+2*childOwn {
		t.Fatalf("test bug: %d distinct contents", len(want))
	}
	got := blobtest.ListAll(t, s)
	if len(got) != len(want) {
		t.Errorf("List: %d blobs; want %d", len(got), len(want))
	}
	for d, c := range want {
		if got[d] != int64(len(c)) {
			t.Errorf("%s: listed size %d; want %d", d, got[d], len(c))
		}
		if b := blobtest.ReadAll(t, s, d); !bytes.Equal(b, c) {
			t.Errorf("%s: content differs", d)
		}
	}
	if n, err := s.CleanTemp(t.Context(), 0); err != nil || n != 0 {
		t.Errorf("CleanTemp(0) after both children = %d, %v; want 0, nil: a child left garbage", n, err)
	}
}

// Benchmarks. Figures are MB/s of blob content.

func BenchmarkIngestFile(b *testing.B) {
	const files, size = 32, 1 << 20
	src := b.TempDir()
	var paths []string
	for i := range files {
		p := filepath.Join(src, strconv.Itoa(i))
		if err := os.WriteFile(p, blobtest.Content(int64(i), size), 0o666); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	s, _ := openFile(b)
	ctx := b.Context()
	b.SetBytes(size)
	for i := 0; b.Loop(); i++ {
		f, err := os.Open(paths[i%files])
		if err != nil {
			b.Fatal(err)
		}
		d, _, err := s.Ingest(ctx, f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		// Delete so that every round takes the path of new content.
		if err := s.Delete(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStores are the drivers the Get and Put benchmarks run on.
var benchStores = []struct {
	name string
	open func(b *testing.B) blob.Store
}{
	{"file", func(b *testing.B) blob.Store { s, _ := openFile(b); return s }},
	{"mem", func(b *testing.B) blob.Store {
		s, err := blob.Open(b.Context(), "mem://")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}},
	{"file+encryption", func(b *testing.B) blob.Store { s, _ := openEncrypted(b, "", keyA); return s }},
	{"s3", func(b *testing.B) blob.Store { return openS3(b, s3test.Server(b)).Bucket }},
}

func BenchmarkGet(b *testing.B) {
	const size = 64 << 20
	content := blobtest.Content(1, size)
	d := core.DigestOf(content)
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			if err := s.Put(ctx, d, size, bytes.NewReader(content)); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			for b.Loop() {
				rc, err := s.Get(ctx, d)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil || n != size {
					b.Fatalf("read %d, %v", n, err)
				}
			}
		})
	}
}

func BenchmarkPut(b *testing.B) {
	const size = 64 << 20
	content := blobtest.Content(2, size)
	d := core.DigestOf(content)
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			b.SetBytes(size)
			for b.Loop() {
				if err := s.Put(ctx, d, size, bytes.NewReader(content)); err != nil {
					b.Fatal(err)
				}
				if err := s.Delete(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutStored is a Put of a blob the store holds already: since Put
// always reads, verifies and replaces (so that it repairs a damaged copy),
// it costs about what a Put of new content costs; before, it was one Stat.
// Clients upload only what the store says is missing, so this is the rare
// path (races, the possession proof of a server).
func BenchmarkPutStored(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 20} {
		content := blobtest.Content(3, int64(size))
		d := core.DigestOf(content)
		for _, bs := range benchStores {
			b.Run(fmt.Sprintf("%s/%dKiB", bs.name, size>>10), func(b *testing.B) {
				s := bs.open(b)
				ctx := b.Context()
				if err := s.Put(ctx, d, int64(size), bytes.NewReader(content)); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size))
				for b.Loop() {
					if err := s.Put(ctx, d, int64(size), bytes.NewReader(content)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestIngestSpool checks that Ingest on a store other than file:// spools
// large content to an unlinked file in Options.SpoolDir, and leaves nothing
// there.
func TestIngestSpool(t *testing.T) {
	spool := t.TempDir()
	s, err := blob.OpenWith(t.Context(), "mem://", blob.Options{SpoolDir: spool})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const size = 3 << 20
	r := &spoolSpy{r: blobtest.NewReader(8, size), dir: spool}
	d, n, err := s.Ingest(t.Context(), r)
	if err != nil || n != size || d != blobtest.DigestOfReader(t, blobtest.NewReader(8, size)) {
		t.Fatalf("Ingest = %s, %d, %v", d, n, err)
	}
	if _, err := os.Stat("/proc/self/fd"); err == nil && !r.seen {
		t.Errorf("no unlinked spool file under %s was open while Ingest read past 1 MiB", spool)
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("spool directory holds %v after Ingest", left)
	}
}

// spoolSpy looks, once Ingest has read past its in-memory buffer, for an
// open file descriptor of a deleted file in dir (Linux /proc).
type spoolSpy struct {
	r    io.Reader
	dir  string
	n    int64
	seen bool
}

func (s *spoolSpy) Read(p []byte) (int, error) {
	if s.n > 2<<20 && !s.seen {
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
			if err == nil && strings.HasPrefix(target, s.dir+"/trove-ingest-") && strings.HasSuffix(target, " (deleted)") {
				s.seen = true
			}
		}
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	return n, err
}

// Quarantine keeps the bad bytes of a file:// blob, as they were, under
// quarantine/ in the store's directory, where temporary-file cleaning and
// garbage collection (which lists blobs) leave them.
func TestFileQuarantineKeepsBytes(t *testing.T) {
	ctx := t.Context()
	s, dir := openFile(t)
	content := []byte("bytes for the forensics")
	d := core.DigestOf(content)
	if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	bad := flip(bytes.Clone(content))
	if err := os.WriteFile(blobPath(dir, d), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := s.Quarantine(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.CleanTemp(ctx, 0); err != nil || n != 0 {
		t.Fatalf("CleanTemp(0) = %d, %v", n, err)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil || !bytes.Equal(got, bad) {
		t.Fatalf("quarantined file %s = %q, %v; want the bad bytes %q", key, got, err, bad)
	}
	if _, err := os.Stat(blobPath(dir, d)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the blob file is still there: %v", err)
	}
}
