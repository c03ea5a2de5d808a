package blob_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
)

// The hint CheckAtRest puts in its errors, as a server would pass it.
const hint = "--encryption-key-file"

// settingsDrivers are the metadata databases a store's record lives in.
var settingsDrivers = []struct {
	name string
	open func(t *testing.T) *meta.Store
}{
	{"sqlite", func(t *testing.T) *meta.Store { return metatest.OpenSQLite(t) }},
	{"postgres", func(t *testing.T) *meta.Store { return metatest.OpenPostgres(t) }},
}

// forEachDB runs f with a fresh metadata store of every driver.
func forEachDB(t *testing.T, f func(t *testing.T, m *meta.Store)) {
	for _, drv := range settingsDrivers {
		t.Run(drv.name, func(t *testing.T) { f(t, drv.open(t)) })
	}
}

func keyID(t testing.TB, key []byte) string {
	t.Helper()
	id, err := blob.KeyID(key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// openChecked opens the file store in dir with key (nil: none), checked
// against m.
func openChecked(t *testing.T, m *meta.Store, dir string, key []byte) (*blob.Bucket, blob.AtRestCheck, error) {
	t.Helper()
	b, c, err := blob.OpenChecked(t.Context(), "file://"+dir, blob.Options{EncryptionKey: key}, m, hint)
	if err == nil {
		t.Cleanup(func() { b.Close() })
	}
	return b, c, err
}

// mustOpenChecked is openChecked that must succeed.
func mustOpenChecked(t *testing.T, m *meta.Store, dir string, key []byte) (*blob.Bucket, blob.AtRestCheck) {
	t.Helper()
	b, c, err := openChecked(t, m, dir, key)
	if err != nil {
		t.Fatalf("OpenChecked: %v", err)
	}
	return b, c
}

// wantRefused checks that err is core.ErrInvalid containing every want.
func wantRefused(t *testing.T, err error, want ...string) {
	t.Helper()
	if !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("err = %v; want core.ErrInvalid", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err %q does not mention %q", err, w)
		}
	}
}

// record returns what m records, "" when nothing.
func record(t *testing.T, m *meta.Store) string {
	t.Helper()
	v, ok, err := m.Setting(t.Context(), blob.SettingAtRest)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return v
}

// putRaw stores content in dir without any check, as processes did before
// stores recorded how they keep blobs.
func putRaw(t *testing.T, dir string, key []byte, content []byte) core.Digest {
	t.Helper()
	b, err := blob.OpenWith(t.Context(), "file://"+dir, blob.Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d := core.DigestOf(content)
	if err := b.Put(t.Context(), d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	return d
}

// snapshot lists the files under dir with their contents, to check that a
// refused open wrote nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestKeyID(t *testing.T) {
	idA, idB := keyID(t, keyA), keyID(t, keyB)
	if len(idA) != 16 || idA == idB {
		t.Fatalf("KeyID = %q, %q; want 16 hex digits, different for different keys", idA, idB)
	}
	if _, err := blob.KeyID(keyA[:31]); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("KeyID of a 31-byte key: %v; want core.ErrInvalid", err)
	}
	// The id is the one in the header of every blob encrypted under the key.
	dir := t.TempDir()
	d := putRaw(t, dir, keyA, []byte("content"))
	raw, err := os.ReadFile(blobPath(dir, d))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(raw[8:16]); got != idA {
		t.Errorf("header key id %s; KeyID %s", got, idA)
	}
}

func TestParseAtRest(t *testing.T) {
	for _, s := range []string{"none", "aes-256-gcm:0123456789abcdef"} {
		a, err := blob.ParseAtRest(s)
		if err != nil || a.String() != s {
			t.Errorf("ParseAtRest(%q) = %v, %v; want it back", s, a, err)
		}
	}
	if a, _ := blob.ParseAtRest("aes-256-gcm:0123456789abcdef"); !a.Encrypted() || a.KeyID != "0123456789abcdef" {
		t.Errorf("ParseAtRest: %+v", a)
	}
	for _, s := range []string{"", "None", "plain", "aes-256-gcm:", "aes-256-gcm:0123456789ABCDEF", "aes-256-gcm:0123456789abcde",
		"aes-256-gcm:0123456789abcdef0", "aes-256-gcm:0123456789abcdeg", "aes-128-gcm:0123456789abcdef", " none"} {
		if a, err := blob.ParseAtRest(s); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("ParseAtRest(%q) = %+v, %v; want core.ErrInvalid", s, a, err)
		}
	}
}

func FuzzParseAtRest(f *testing.F) {
	for _, s := range []string{"none", "aes-256-gcm:0123456789abcdef", "aes-256-gcm:", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := blob.ParseAtRest(s)
		if err != nil {
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("ParseAtRest(%q): %v, not core.ErrInvalid", s, err)
			}
			return
		}
		if a.String() != s {
			t.Fatalf("ParseAtRest(%q).String() = %q", s, a.String())
		}
	})
}

// TestAtRestRecorded: the first open records its way; later opens must
// agree with it, and a refused open records and writes nothing.
func TestAtRestRecorded(t *testing.T) {
	forEachDB(t, func(t *testing.T, m *meta.Store) {
		ctx := t.Context()
		idA, idB := keyID(t, keyA), keyID(t, keyB)
		dir := t.TempDir()

		b, c := mustOpenChecked(t, m, dir, keyA)
		if !c.Recorded || c.AtRest.KeyID != idA || c.Plain != 0 {
			t.Errorf("first open with key A: %+v; want recorded under %s", c, idA)
		}
		if got := record(t, m); got != "aes-256-gcm:"+idA {
			t.Errorf("record = %q", got)
		}
		content := []byte("logged by the first opener")
		d := core.DigestOf(content)
		if err := b.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if _, c := mustOpenChecked(t, m, dir, keyA); c.Recorded || c.AtRest.KeyID != idA {
			t.Errorf("second open with key A: %+v; want the record, not recorded again", c)
		}

		before := snapshot(t, dir)
		_, _, err := openChecked(t, m, dir, nil)
		wantRefused(t, err, "blob store "+dir, "is encrypted (key id "+idA+") and no key was given", "give its key file with "+hint)
		_, _, err = openChecked(t, m, dir, keyB)
		wantRefused(t, err, "encrypted under another key (key id "+idA+"; the key given has id "+idB+")", hint)
		if after := snapshot(t, dir); !maps.Equal(before, after) {
			t.Errorf("refused opens changed the blob directory")
		}
		if got := record(t, m); got != "aes-256-gcm:"+idA {
			t.Errorf("record after refused opens = %q", got)
		}
	})
}

func TestAtRestRecordedPlain(t *testing.T) {
	forEachDB(t, func(t *testing.T, m *meta.Store) {
		dir := t.TempDir()
		if _, c := mustOpenChecked(t, m, dir, nil); !c.Recorded || c.AtRest.Encrypted() {
			t.Errorf("first open without a key: %+v; want recorded as plain", c)
		}
		if got := record(t, m); got != "none" {
			t.Errorf("record = %q", got)
		}
		// A key is refused even while the store holds no blob: another
		// process may hold it open without one.
		_, _, err := openChecked(t, m, dir, keyA)
		wantRefused(t, err, "is not encrypted", "open it without "+hint)
		if got := record(t, m); got != "none" {
			t.Errorf("record after a refused open = %q", got)
		}
		mustOpenChecked(t, m, dir, nil)
	})
}

// TestAtRestNotFile: stores Trove does not encrypt record plain, and refuse
// a record of encryption.
func TestAtRestNotFile(t *testing.T) {
	forEachDB(t, func(t *testing.T, m *meta.Store) {
		ctx := t.Context()
		b, c, err := blob.OpenChecked(ctx, "mem://", blob.Options{}, m, hint)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		if !c.Recorded || c.AtRest.Encrypted() || record(t, m) != "none" {
			t.Errorf("mem:// first open: %+v, record %q; want plain", c, record(t, m))
		}
		if _, _, err := blob.OpenChecked(ctx, "mem://", blob.Options{EncryptionKey: keyA}, m, hint); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("mem:// with a key: %v; want core.ErrInvalid", err)
		}
	})
	m := metatest.OpenSQLite(t)
	if _, err := m.InitSetting(t.Context(), blob.SettingAtRest, "aes-256-gcm:"+keyID(t, keyA)); err != nil {
		t.Fatal(err)
	}
	_, _, err := blob.OpenChecked(t.Context(), "mem://", blob.Options{}, m, hint)
	wantRefused(t, err, "recorded as encrypted", "only file:// blob stores")
}

// TestAtRestBadRecord: a record Trove never writes is an error, not a guess.
func TestAtRestBadRecord(t *testing.T) {
	m := metatest.OpenSQLite(t)
	if _, err := m.InitSetting(t.Context(), blob.SettingAtRest, "rot13"); err != nil {
		t.Fatal(err)
	}
	_, _, err := openChecked(t, m, t.TempDir(), nil)
	wantRefused(t, err, `"rot13"`)
}

// TestAtRestSurvey: a store with blobs but no record (from before stores
// recorded how they keep blobs) is recorded only when its blobs agree with
// the opener; a refused open records nothing and writes nothing.
func TestAtRestSurvey(t *testing.T) {
	idA, idB := keyID(t, keyA), keyID(t, keyB)
	// lookalike is plain content that starts like a blob encrypted under
	// key B and has the size of one.
	lookalike := append([]byte("TRVE\x01\x00\x00\x00"), mustHex(t, idB)...)
	lookalike = append(lookalike, bytes.Repeat([]byte{7}, 32+16)...)
	type step struct {
		key    []byte
		refuse []string // error substrings; nil: recorded
		rec    string   // what is recorded then
		plain  int      // AtRestCheck.Plain
	}
	for _, tc := range []struct {
		name  string
		fill  func(t *testing.T, dir string)
		steps []step // each on a fresh copy of the store
	}{
		{
			name: "plain blobs",
			fill: func(t *testing.T, dir string) {
				putRaw(t, dir, nil, []byte("one"))
				putRaw(t, dir, nil, []byte("two"))
			},
			steps: []step{
				{key: keyA, refuse: []string{"is not encrypted (it holds 2 blobs in plain, such as sha256:", "open it without " + hint}},
				{key: nil, rec: "none"},
			},
		},
		{
			name: "encrypted blobs",
			fill: func(t *testing.T, dir string) {
				putRaw(t, dir, keyA, []byte("one"))
				putRaw(t, dir, keyA, bytes.Repeat([]byte("large "), 50_000))
			},
			steps: []step{
				{key: nil, refuse: []string{"is encrypted (key id " + idA + ") and no key was given", hint}},
				{key: keyB, refuse: []string{"under another key (key id " + idA + "; the key given has id " + idB + ")"}},
				{key: keyA, rec: "aes-256-gcm:" + idA},
			},
		},
		{
			// What embedded processes did to a server's encrypted store
			// before this record: the mode is the server's, the plain
			// blobs are damage, counted.
			name: "encrypted and plain",
			fill: func(t *testing.T, dir string) {
				putRaw(t, dir, keyA, []byte("by the server"))
				putRaw(t, dir, nil, []byte("by an embedded process"))
			},
			steps: []step{
				{key: nil, refuse: []string{"is encrypted (key id " + idA + ")"}},
				{key: keyB, refuse: []string{"under another key (key id " + idA}},
				{key: keyA, rec: "aes-256-gcm:" + idA, plain: 1},
			},
		},
		{
			name: "two keys",
			fill: func(t *testing.T, dir string) {
				putRaw(t, dir, keyA, []byte("under A"))
				putRaw(t, dir, keyB, []byte("under B"))
			},
			steps: []step{
				{key: keyA, refuse: []string{"under another key (key id " + idB + "; the key given has id " + idA + ")"}},
				{key: keyB, refuse: []string{"under another key (key id " + idA + "; the key given has id " + idB + ")"}},
				{key: nil, refuse: []string{"is encrypted (key id " + idA + ")"}},
			},
		},
		{
			// Plain content may look like an encrypted blob; its bytes
			// hash to its name, which an encrypted blob's never do.
			name: "plain lookalike",
			fill: func(t *testing.T, dir string) { putRaw(t, dir, nil, lookalike) },
			steps: []step{
				{key: nil, rec: "none"},
				{key: keyB, refuse: []string{"is not encrypted (it holds 1 blob in plain"}},
			},
		},
		{
			// More lookalikes than the survey proves: it cannot tell
			// whether the others are encrypted, and says so.
			name: "many lookalikes",
			fill: func(t *testing.T, dir string) {
				for i := range 5 {
					putRaw(t, dir, nil, append(bytes.Clone(lookalike), byte(i)))
				}
			},
			steps: []step{
				{key: nil, refuse: []string{"do not tell whether it is encrypted: 5 blobs look encrypted under key id " + idB, "the smallest of them do not prove it"}},
				{key: keyB, refuse: []string{"do not tell"}},
			},
		},
		{
			name: "damaged only",
			fill: func(t *testing.T, dir string) {
				d := putRaw(t, dir, keyA, []byte("to be cut"))
				if err := os.Truncate(blobPath(dir, d), 50); err != nil {
					t.Fatal(err)
				}
			},
			steps: []step{
				{key: nil, refuse: []string{"do not tell whether it is encrypted: all its blobs (1) start like encrypted ones but are damaged, such as /", "/sha256/", "move those files aside"}},
				{key: keyA, refuse: []string{"do not tell whether it is encrypted"}},
			},
		},
		{
			// A blob under key A whose first chunk fails: damaged; the
			// other proves the key.
			name: "own key, one tampered",
			fill: func(t *testing.T, dir string) {
				d := putRaw(t, dir, keyA, []byte("x"))
				p := blobPath(dir, d)
				raw, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, flip(raw), 0o600); err != nil {
					t.Fatal(err)
				}
				putRaw(t, dir, keyA, []byte("intact, and larger than the first"))
			},
			steps: []step{{key: keyA, rec: "aes-256-gcm:" + idA}},
		},
		{
			name:  "empty",
			fill:  func(t *testing.T, dir string) {},
			steps: []step{{key: keyA, rec: "aes-256-gcm:" + idA}, {key: nil, rec: "none"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, st := range tc.steps {
				dir := t.TempDir()
				tc.fill(t, dir)
				m := metatest.OpenSQLite(t)
				before := snapshot(t, dir)
				_, c, err := openChecked(t, m, dir, st.key)
				if st.refuse != nil {
					wantRefused(t, err, st.refuse...)
					if got := record(t, m); got != "" {
						t.Errorf("step %d: a refused open recorded %q", i, got)
					}
				} else {
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if got := record(t, m); got != st.rec || !c.Recorded || c.AtRest.String() != st.rec || c.Plain != st.plain {
						t.Errorf("step %d: record %q, check %+v; want %q recorded, %d plain", i, got, c, st.rec, st.plain)
					}
				}
				if after := snapshot(t, dir); !maps.Equal(before, after) {
					t.Errorf("step %d: the open changed the blob directory", i)
				}
			}
		})
	}
}

// TestAtRestRace: openers with and without a key racing on a new store
// (processes: one metadata store each, on one SQLite file): one way wins,
// every opener of that way succeeds and every other is refused.
func TestAtRestRace(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(t.TempDir(), "trove.db")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		m, err := meta.OpenSQLite(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		var key []byte
		if i%2 == 1 {
			key = keyA
		}
		wg.Go(func() {
			b, _, err := blob.OpenChecked(context.Background(), "file://"+dir, blob.Options{EncryptionKey: key}, m, hint)
			if err == nil {
				b.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	m := metatest.OpenURL(t, db)
	rec := record(t, m)
	for i, err := range errs {
		encrypted := i%2 == 1
		if ok := err == nil; ok != (encrypted == (rec != "none")) {
			t.Errorf("opener %d (key: %v) got %v with the record %q", i, encrypted, err, rec)
		}
	}
	if !slices.Contains([]string{"none", "aes-256-gcm:" + keyID(t, keyA)}, rec) {
		t.Errorf("record %q", rec)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memSettings is an in-memory Settings, for benchmarks.
type memSettings struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memSettings) Setting(_ context.Context, name string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[name]
	return v, ok, nil
}

func (s *memSettings) InitSetting(_ context.Context, name, value string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[name]; ok {
		return v, nil
	}
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[name] = value
	return value, nil
}

// BenchmarkSurveyAtRest measures the one-time survey of a store without a
// record, of 10,000 blobs of 1 KiB, encrypted or in plain, opened with the
// matching key or none.
func BenchmarkSurveyAtRest(b *testing.B) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"plain", nil}, {"encrypted", keyA}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			s, err := blob.OpenWith(b.Context(), "file://"+dir, blob.Options{EncryptionKey: tc.key})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			content := make([]byte, 1024)
			for i := range 10_000 {
				copy(content, fmt.Sprintf("blob %d", i))
				d := core.DigestOf(content)
				if err := s.Put(b.Context(), d, int64(len(content)), bytes.NewReader(content)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				c, err := s.CheckAtRest(b.Context(), &memSettings{}, hint)
				if err != nil || !c.Recorded {
					b.Fatalf("CheckAtRest = %+v, %v", c, err)
				}
			}
		})
	}
}

// BenchmarkCheckAtRestRecorded measures the check every open makes once
// the store has its record: one read of the SQLite database.
func BenchmarkCheckAtRestRecorded(b *testing.B) {
	m, err := meta.OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "trove.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s, err := blob.OpenWith(b.Context(), "file://"+b.TempDir(), blob.Options{EncryptionKey: keyA})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CheckAtRest(b.Context(), m, hint); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if c, err := s.CheckAtRest(b.Context(), m, hint); err != nil || c.Recorded {
			b.Fatalf("CheckAtRest = %+v, %v", c, err)
		}
	}
}
