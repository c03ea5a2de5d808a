package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
)

// keyFile writes a random 32-byte key, mode 0600, and returns its path and
// key id.
func keyFile(t *testing.T, name string) (path, id string) {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	path = filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, k, 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := blob.KeyID(k)
	if err != nil {
		t.Fatal(err)
	}
	return path, id
}

// takenAddr returns an address something listens on: a server that wrongly
// passed its checks fails there instead of serving for ever.
func takenAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// refusedStart runs trove server with args and checks that it exits
// non-zero at once with exactly one line on stderr, which mentions every
// want.
func refusedStart(t *testing.T, e *env, args []string, want ...string) {
	t.Helper()
	r := e.trove(append([]string{"server", "--addr", takenAddr(t)}, args...)...)
	if r.code == 0 {
		t.Fatalf("trove server %v started; want a refusal", args)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "trove: ") {
		t.Errorf("trove server %v: want one line of reason on stderr, got:\n%s", args, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("trove server %v: %q does not mention %q", args, strings.TrimSpace(r.stderr), w)
		}
	}
}

// files returns the files under dir with their contents.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestServerRefusesWrongKey: a server on an encrypted store refuses to
// start without its key or with another, and so does a server with a key
// on a store that keeps its blobs in plain; they say which key is wanted,
// and write nothing. The key file may also come from
// TROVE_ENCRYPTION_KEY_FILE.
func TestServerRefusesWrongKey(t *testing.T) {
	t.Parallel()
	key1, id1 := keyFile(t, "key1")
	key2, id2 := keyFile(t, "key2")

	s := newSite(t, "--encryption-key-file", key1)
	e := s.admin
	e.write("f.txt", "encrypted at rest")
	e.ok("artifact", "put", "f.txt", "-n", "f", "-t", "dataset")
	s.srv.stop()
	blobs := filepath.Join(s.data, "blobs")
	before := files(t, blobs)

	refusedStart(t, e, []string{"--data", s.data},
		"blob store "+blobs+" is encrypted (key id "+id1+") and no key was given: give its key file with --encryption-key-file")
	refusedStart(t, e, []string{"--data", s.data, "--encryption-key-file", key2},
		"is encrypted under another key (key id "+id1+"; the key given has id "+id2+")")
	refusedStart(t, e.with("TROVE_ENCRYPTION_KEY_FILE="+key2), []string{"--data", s.data}, "under another key")
	if after := files(t, blobs); !maps.Equal(before, after) {
		t.Errorf("refused starts changed the blobs")
	}

	// The right key, from the environment: it starts and reads.
	s.srv.env = []string{"TROVE_ENCRYPTION_KEY_FILE=" + key1}
	s.srv.args = []string{"--data", s.data}
	s.srv.restart()
	r := e.ok("artifact", "get", "f", "--root", filepath.Join(e.dir, "got"))
	if got := e.read(filepath.Join(r.lastLine(), "f.txt")); got != "encrypted at rest" {
		t.Errorf("get after a start with the key from the environment: %q", got)
	}

	// A key on a store that keeps its blobs in plain.
	p := newSite(t)
	p.admin.write("g.txt", "in plain")
	p.admin.ok("artifact", "put", "g.txt", "-n", "g", "-t", "dataset")
	p.srv.stop()
	refusedStart(t, p.admin, []string{"--data", p.data, "--encryption-key-file", key1},
		"blob store "+filepath.Join(p.data, "blobs")+" is not encrypted", "key id "+id1, "open it without --encryption-key-file")

	// A bad key file is refused before the store is opened.
	fresh := filepath.Join(t.TempDir(), "fresh")
	loose := filepath.Join(t.TempDir(), "loose")
	if err := os.WriteFile(loose, bytes.Repeat([]byte{1}, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	refusedStart(t, e, []string{"--data", fresh, "--encryption-key-file", loose}, "only its owner may: chmod 600")
	if _, err := os.Stat(filepath.Join(fresh, "admin-api-key")); !os.IsNotExist(err) {
		t.Errorf("a refused start created the admin (%v)", err)
	}

	// S3: Trove does not encrypt, the bucket does; a key is refused.
	refusedStart(t, e, []string{"--data", fresh, "--blobs", "s3://bucket?region=us-east-1", "--encryption-key-file", key1},
		"encryption keys are for file:// stores; encrypt an S3 bucket with server-side encryption")
}

// TestServerWrongKeyLegacyStore: a store from before stores recorded their
// key (here: the record removed) is judged by its blobs: a start without
// the key is refused and records nothing; the right key records it.
func TestServerWrongKeyLegacyStore(t *testing.T) {
	t.Parallel()
	key1, id1 := keyFile(t, "key1")
	s := newSite(t, "--encryption-key-file", key1)
	s.admin.write("f.txt", "encrypted before the record")
	s.admin.ok("artifact", "put", "f.txt", "-n", "f", "-t", "dataset")
	s.srv.stop()
	db, err := sql.Open("sqlite", filepath.Join(s.data, "trove.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM store_settings`); err != nil {
		t.Fatal(err)
	}
	recorded := func() string {
		var v string
		if err := db.QueryRow(`SELECT coalesce(max(value), '') FROM store_settings`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	refusedStart(t, s.admin, []string{"--data", s.data}, "is encrypted (key id "+id1+") and no key was given")
	if got := recorded(); got != "" {
		t.Errorf("a refused start recorded %q", got)
	}
	s.srv.restart()
	if got := recorded(); got != "aes-256-gcm:"+id1 {
		t.Errorf("a start with the key recorded %q", got)
	}
}

// TestServerWrongKeyPostgres: with PostgreSQL and file blobs the record
// lives in PostgreSQL: it holds for any server on that database.
func TestServerWrongKeyPostgres(t *testing.T) {
	t.Parallel()
	key1, id1 := keyFile(t, "key1")
	key2, _ := keyFile(t, "key2")
	db := pgschema.URL(t)
	s := newSite(t, "--db", db, "--encryption-key-file", key1)
	s.admin.write("f.txt", "blobs on disk, record in PostgreSQL")
	s.admin.ok("artifact", "put", "f.txt", "-n", "f", "-t", "dataset")
	s.srv.stop()
	refusedStart(t, s.admin, []string{"--data", s.data, "--db", db}, "is encrypted (key id "+id1+") and no key was given")
	refusedStart(t, s.admin, []string{"--data", s.data, "--db", db, "--encryption-key-file", key2}, "under another key (key id "+id1)
	// Another blob directory on the same database: the record is the
	// database's.
	other := filepath.Join(t.TempDir(), "other")
	refusedStart(t, s.admin, []string{"--data", other, "--db", db}, "is encrypted (key id "+id1+")")
	s.srv.restart()
}

// TestEmbeddedSharesEncryptedStore: an embedded CLI with the server's key
// file reads what the server logged and logs what the server reads, both
// encrypted; without the key, or with another, it is refused and writes
// nothing.
func TestEmbeddedSharesEncryptedStore(t *testing.T) {
	t.Parallel()
	key1, id1 := keyFile(t, "key1")
	key2, _ := keyFile(t, "key2")
	s := newSite(t, "--encryption-key-file", key1)
	srv := s.admin
	marker := "TROVE-PLAINTEXT-MARKER-c0ffee"
	srv.write("server.txt", marker+" from the server")
	if got := srv.ok("artifact", "put", "server.txt", "-n", "shared", "-t", "dataset").lastLine(); got != "admin/uncategorized/shared:v0" {
		t.Fatalf("server put: %q", got)
	}

	emb := s.admin.with("TROVE_URL="+s.data, "TROVE_API_KEY=", "TROVE_ENTITY=admin",
		"TROVE_CACHE_DIR="+filepath.Join(s.admin.dir, "cache-embedded"))
	withKey := emb.with("TROVE_ENCRYPTION_KEY_FILE=" + key1)
	r := withKey.ok("artifact", "get", "shared:v0", "--root", filepath.Join(emb.dir, "emb-got"))
	if got := emb.read(filepath.Join(r.lastLine(), "server.txt")); got != marker+" from the server" {
		t.Errorf("embedded get of the server's version: %q", got)
	}
	withKey.write("embedded.txt", marker+" from an embedded process")
	if got := withKey.ok("artifact", "put", "embedded.txt", "-n", "shared", "-t", "dataset").lastLine(); got != "admin/uncategorized/shared:v1" {
		t.Fatalf("embedded put: %q", got)
	}
	r = srv.ok("artifact", "get", "shared:v1", "--root", filepath.Join(srv.dir, "srv-got"))
	if got := srv.read(filepath.Join(r.lastLine(), "embedded.txt")); got != marker+" from an embedded process" {
		t.Errorf("server get of the embedded version: %q", got)
	}
	blobs := filepath.Join(s.data, "blobs")
	for p, content := range files(t, blobs) {
		if strings.Contains(content, marker) {
			t.Errorf("%s holds plaintext", p)
		}
	}

	// Without the key, or with another: refused, nothing written.
	versions := srv.ok("artifact", "versions", "shared", "--json").stdout
	runs := srv.ok("run", "ls", "--json").stdout
	before := files(t, blobs)
	emb.write("plain.txt", marker+" that must not be stored")
	for _, tc := range []struct {
		e    *env
		want string
	}{
		{emb, "blob store " + blobs + " is encrypted (key id " + id1 + ") and no key was given: give its key file with TROVE_ENCRYPTION_KEY_FILE"},
		{emb.with("TROVE_ENCRYPTION_KEY_FILE=" + key2), "is encrypted under another key (key id " + id1},
	} {
		tc.e.fails(tc.want, "artifact", "put", "plain.txt", "-n", "shared", "-t", "dataset")
		tc.e.fails(tc.want, "artifact", "ls")
	}
	if after := files(t, blobs); !maps.Equal(before, after) {
		t.Errorf("refused embedded puts changed the blobs")
	}
	if got := srv.ok("artifact", "versions", "shared", "--json").stdout; got != versions {
		t.Errorf("refused embedded puts changed the versions:\n%s\nwant:\n%s", got, versions)
	}
	if got := srv.ok("run", "ls", "--json").stdout; !jsonEqual(got, runs) {
		t.Errorf("refused embedded puts changed the runs:\n%s\nwant:\n%s", got, runs)
	}

	// A bad key file is refused naming the variable.
	loose := filepath.Join(t.TempDir(), "loose")
	if err := os.WriteFile(loose, bytes.Repeat([]byte{1}, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	emb.with("TROVE_ENCRYPTION_KEY_FILE="+loose).fails("TROVE_ENCRYPTION_KEY_FILE: encryption key file", "artifact", "ls")
}

// jsonEqual compares two JSON documents.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
