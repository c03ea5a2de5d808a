package blob_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/blobtest"
	"github.com/troveml/trove/internal/core"
)

var (
	keyA = bytes.Repeat([]byte{0x11}, blob.KeySize)
	keyB = bytes.Repeat([]byte{0x22}, blob.KeySize)
)

// openEncrypted opens an encrypted file store on dir (a fresh one if "").
func openEncrypted(t testing.TB, dir string, key []byte) (*blob.Bucket, string) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := blob.OpenWith(t.Context(), "file://"+dir, blob.Options{EncryptionKey: key})
	if err != nil {
		t.Fatalf("OpenWith: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestEncryptedFileStore(t *testing.T) {
	var dirs sync.Map // blob.Store → its directory
	blobtest.Run(t,
		func(t *testing.T) blob.Store {
			s, dir := openEncrypted(t, "", keyA)
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

// TestEncryptedOnDisk checks that the files hold no plaintext, and that the
// sizes Stat and List report are the plaintext's.
func TestEncryptedOnDisk(t *testing.T) {
	ctx := t.Context()
	s, dir := openEncrypted(t, "", keyA)
	marker := []byte("THE-PLAINTEXT-MARKER")
	var want = map[core.Digest]int64{}
	for i, size := range []int{0, 1, 65535, 65536, 65537, 300_000} {
		content := bytes.Repeat(marker, size/len(marker)+1)[:size]
		d := core.DigestOf(content)
		want[d] = int64(size)
		if i%2 == 0 {
			if err := s.Put(ctx, d, int64(size), bytes.NewReader(content)); err != nil {
				t.Fatal(err)
			}
		} else if _, _, err := s.Ingest(ctx, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Stat(ctx, d); err != nil || n != int64(size) {
			t.Errorf("Stat = %d, %v; want %d", n, err, size)
		}
		if got := blobtest.ReadAll(t, s, d); !bytes.Equal(got, content) {
			t.Errorf("size %d: read back different content", size)
		}
	}
	if got := blobtest.ListAll(t, s); len(got) != len(want) {
		t.Errorf("List = %v; want %v", got, want)
	} else {
		for d, n := range want {
			if got[d] != n {
				t.Errorf("List: %s has size %d; want %d", d, got[d], n)
			}
		}
	}
	filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, marker[:8]) {
			t.Errorf("%s contains plaintext", p)
		}
		return nil
	})
}

// TestEncryptedWrongKey reopens a store with another key, and without one,
// and the other way round: every read is core.ErrCorrupt.
func TestEncryptedWrongKey(t *testing.T) {
	ctx := t.Context()
	content := []byte("sealed with key A")
	d := core.DigestOf(content)
	s, dir := openEncrypted(t, "", keyA)
	if err := s.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	other, _ := openEncrypted(t, dir, keyB)
	plain, _ := blob.Open(ctx, "file://"+dir)
	defer plain.Close()
	for name, st := range map[string]blob.Store{"other key": other, "no key": plain} {
		rc, err := st.Get(ctx, d)
		if err != nil {
			t.Fatalf("%s: Get: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if !errors.Is(err, core.ErrCorrupt) {
			t.Errorf("%s: read = %q, %v; want core.ErrCorrupt", name, got, err)
		}
	}

	// A plaintext blob read through an encrypting store.
	pc := []byte("stored without a key")
	pd := core.DigestOf(pc)
	if err := plain.Put(ctx, pd, int64(len(pc)), bytes.NewReader(pc)); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Get(ctx, pd)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, core.ErrCorrupt) || !strings.Contains(err.Error(), "without encryption") {
		t.Errorf("reading a plaintext blob with a key = %v; want core.ErrCorrupt saying so", err)
	}
}

func TestOpenWithKey(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		url  string
		key  []byte
		want string
	}{
		{"file://" + t.TempDir(), keyA[:16], "16 bytes"},
		{"mem://", keyA, "file:// stores"},
		{"s3://bucket", keyA, "server-side encryption"},
	} {
		if _, err := blob.OpenWith(ctx, tc.url, blob.Options{EncryptionKey: tc.key}); !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenWith(%s, %d-byte key) = %v; want core.ErrInvalid containing %q", tc.url, len(tc.key), err, tc.want)
		}
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	hexA := hex.EncodeToString(keyA)
	for _, tc := range []struct {
		name string
		path string
		want string // error substring; "" for keyA
	}{
		{"raw", write("raw", keyA, 0o600), ""},
		{"hex", write("hex", []byte(hexA), 0o600), ""},
		{"hex newline", write("hexnl", []byte(hexA+"\n"), 0o400), ""},
		{"hex CRLF", write("hexcrlf", []byte(strings.ToUpper(hexA)+"\r\n"), 0o600), ""},
		{"group readable", write("group", keyA, 0o640), "chmod 600"},
		{"world readable", write("world", []byte(hexA), 0o604), "chmod 600"},
		{"too short", write("short", keyA[:31], 0o600), "it has 31 bytes"},
		{"raw plus newline", write("rawnl", append(bytes.Clone(keyA), '\n'), 0o600), "it has 33 bytes"},
		{"two newlines", write("nlnl", []byte(hexA+"\n\n"), 0o600), "it has 66 bytes"},
		{"not hex", write("nothex", []byte(strings.Repeat("zz", 32)), 0o600), "not hex"},
		{"zeros", write("zeros", make([]byte, 32), 0o600), "all zeros"},
		{"missing", filepath.Join(dir, "missing"), "no such file"},
		{"directory", dir, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := blob.LoadKey(tc.path)
			if tc.want == "" {
				if err != nil || !bytes.Equal(key, keyA) {
					t.Fatalf("LoadKey = %x, %v; want %x", key, err, keyA)
				}
				return
			}
			if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadKey = %v; want core.ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}
