package main

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// The repair path end to end (issue 12, item 5): two versions share a
// blob; its file is damaged; verify reports it; verify --repair moves it
// aside; putting the same content again dedups to the existing version and
// uploads the blob; every version using it then downloads and verifies.
func TestRepairCLI(t *testing.T) {
	check := func(t *testing.T, e *env, data string, asAdmin func() func()) {
		const shared = "weights shared by v0 and v1"
		e.write("v0/w.bin", shared)
		e.write("v1/w.bin", shared)
		e.write("v1/extra.txt", "only in v1")
		e.ok("artifact", "put", "v0", "-n", "m", "-t", "model")
		e.ok("artifact", "put", "v1", "-n", "m", "-t", "model")
		d := core.DigestOf([]byte(shared))
		bad := []byte(strings.ToUpper(shared))
		if err := os.WriteFile(blobPath(data, shared), bad, 0o600); err != nil {
			t.Fatal(err)
		}

		back := asAdmin()
		r := e.trove("verify")
		if r.code != 1 || !strings.Contains(r.stdout, "corrupt "+d.String()+": tester/walkthrough/m:v0, tester/walkthrough/m:v1\n") {
			t.Fatalf("verify of the damaged blob: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = e.trove("verify", "--repair")
		if r.code != 1 || !strings.Contains(r.stdout, "moved to quarantine/"+d.Hex()+"/") ||
			!strings.Contains(r.stdout, "1 blob counts as missing") {
			t.Fatalf("verify --repair: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		q, _ := filepath.Glob(filepath.Join(data, "blobs", "quarantine", d.Hex(), "*"))
		if len(q) != 1 || e.read(q[0]) != string(bad) {
			t.Fatalf("quarantined copies %v; want one holding the bad bytes", q)
		}
		back()

		// The same content again: a dedup to v1, which uploads the blob.
		if got := e.ok("artifact", "put", "v1", "-n", "m", "-t", "model").lastLine(); got != "tester/walkthrough/m:v1" {
			t.Fatalf("put again = %q; want the dedup to m:v1", got)
		}
		// Downloads go to the store, not a cache the puts filled.
		e.vars = append(e.vars, "TROVE_CACHE_DIR="+filepath.Join(e.dir, "fresh-cache"))
		for _, v := range []string{"v0", "v1"} {
			dir := e.ok("artifact", "get", "m:"+v, "--root", filepath.Join(e.dir, "got-"+v)).lastLine()
			if got := e.read(filepath.Join(dir, "w.bin")); got != shared {
				t.Errorf("m:%s w.bin = %q after the repair", v, got)
			}
		}
		back = asAdmin()
		r = e.ok("verify")
		if !strings.HasPrefix(r.stdout, "checked 2 blobs (0.0 MiB): 0 corrupt, 0 missing\ndatabase (sqlite): ok\n") {
			t.Errorf("verify after the repair:\n%s", r.stdout)
		}
		back()
	}
	t.Run("embedded", func(t *testing.T) {
		e := newEnv(t)
		check(t, e, filepath.Join(e.dir, "data"), func() func() { return func() {} })
	})
	t.Run("server", func(t *testing.T) {
		e, _ := newServerEnv(t)
		data := filepath.Join(e.dir, "server")
		check(t, e, data, func() func() {
			user := e.vars[1]
			e.vars[1] = "TROVE_API_KEY=" + adminKey(t, data)
			return func() { e.vars[1] = user }
		})
	})
}

// damageDB writes garbage over the root page of table of the stopped
// SQLite store at path (issue 12, item 6).
func damageDB(t *testing.T, path, table string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, table).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xde\xad\xbe\xef", int(pageSize/4))), (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// A damaged page of trove.db: verify reports it (exit 1), embedded and
// through a server, and a server started on it never says it is ready.
func TestDamagedDatabase(t *testing.T) {
	e := newEnv(t)
	data := filepath.Join(e.dir, "data")
	e.write("d/f", "some content")
	e.ok("artifact", "put", "d", "-n", "d")
	if r := e.ok("verify"); !strings.Contains(r.stdout, "database (sqlite): ok\n") {
		t.Fatalf("verify of a sound store:\n%s", r.stdout)
	}
	damageDB(t, filepath.Join(data, "trove.db"), "entries")

	r := e.trove("verify")
	if r.code != 1 || !strings.Contains(r.stdout, "database (sqlite): damaged: ") {
		t.Fatalf("verify of a damaged database: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := jsonOf[struct {
		Database struct {
			OK       bool
			Problems []string
		}
		BlobError string `json:"blob_error"`
	}](t, e.trove("verify", "--json"))
	if rep.Database.OK || len(rep.Database.Problems) == 0 {
		t.Errorf("verify --json: %+v", rep)
	}

	s := &serverProc{t: t, args: []string{"--data", data}, addr: "127.0.0.1:0", unready: true}
	s.start()
	t.Cleanup(s.kill)
	var last string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("/readyz of a server on a damaged database: 200 %s", b)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(b, &body)
		last = body.Error.Message
		if resp.StatusCode == http.StatusServiceUnavailable && body.Error.Code == "corrupt" && strings.Contains(last, "damaged") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(last, "damaged") {
		t.Fatalf("/readyz never said the database is damaged; last: %q\n%s", last, s.stderr.String())
	}
	e.vars = []string{"TROVE_URL=" + s.url, "TROVE_API_KEY=" + adminKey(t, data), "TROVE_CACHE_DIR=" + filepath.Join(e.dir, "cache")}
	if r := e.trove("verify"); r.code != 1 || !strings.Contains(r.stdout, "database (sqlite): damaged: ") {
		t.Errorf("verify through the server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
