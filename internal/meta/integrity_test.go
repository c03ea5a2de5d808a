package meta

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// expectedSchema, parsed from the migrations, is exactly the schema they
// build: every table, and every index not backing a key constraint.
func TestExpectedSchema(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		wantTables, wantIndexes, err := expectedSchema(s.d)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []string{"versions", "entries", "damaged_blobs", "blob_leases"} {
			if !slices.Contains(wantTables, x) {
				t.Errorf("expected tables %v lack %s", wantTables, x)
			}
		}
		if !slices.Contains(wantIndexes, "versions_due") || !slices.Contains(wantIndexes, "entries_by_digest") {
			t.Errorf("expected indexes %v lack versions_due or entries_by_digest", wantIndexes)
		}
		query := `SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')
			AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`
		if s.d == postgresDialect {
			query = `SELECT CASE WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END, c.relname
				FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') AND c.relname NOT LIKE 'goose_db_version%'
				AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)`
		}
		rows, err := s.rdb.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var tables, indexes []string
		for rows.Next() {
			var typ, name string
			if err := rows.Scan(&typ, &name); err != nil {
				t.Fatal(err)
			}
			if typ == "table" {
				tables = append(tables, name)
			} else {
				indexes = append(indexes, name)
			}
		}
		slices.Sort(tables)
		slices.Sort(indexes)
		if !slices.Equal(tables, wantTables) {
			t.Errorf("tables\n%v\nexpected from the migrations\n%v", tables, wantTables)
		}
		if !slices.Equal(indexes, wantIndexes) {
			t.Errorf("indexes\n%v\nexpected from the migrations\n%v", indexes, wantIndexes)
		}
	})
}

// A sound database passes, and Health says so only once it was checked.
func TestIntegrityClean(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		if err := s.Health(); !errors.Is(err, core.ErrUnavailable) {
			t.Errorf("Health before any check = %v; want unavailable", err)
		}
		rep, err := s.CheckIntegrity(t.Context())
		if err != nil || !rep.OK() || rep.Database != s.d.name || rep.Checks == "" {
			t.Fatalf("CheckIntegrity of a fresh store = %+v, %v", rep, err)
		}
		if err := s.Health(); err != nil {
			t.Errorf("Health after a clean check = %v", err)
		}
	})
}

// Catalog damage — a missing table or index, an invalid index — is found
// on both databases.
func TestIntegrityCatalog(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		for _, stmt := range []string{`DROP INDEX entries_by_size`, `DROP TABLE damaged_blobs`} {
			if _, err := s.wdb.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"table damaged_blobs is missing", "index entries_by_size is missing"}
		if s.d == postgresDialect {
			// What an interrupted CREATE INDEX CONCURRENTLY leaves.
			if _, err := s.wdb.ExecContext(ctx, `UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'versions_by_source'::regclass`); err != nil {
				t.Fatal(err)
			}
			want = append(want, "index versions_by_source of table versions is not valid")
		}
		rep, err := s.CheckIntegrity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.HasPrefix(p, w) }) {
				t.Errorf("problems %q lack %q", rep.Problems, w)
			}
		}
		if err := s.Health(); !errors.Is(err, core.ErrCorrupt) || !strings.Contains(err.Error(), "is missing") {
			t.Errorf("Health = %v; want the damage", err)
		}
	})
}

// A page of garbage in a stopped store's file: the store still opens, but
// the check reports the damage, and so does Health, also after a query
// that reads the page.
func TestIntegrityDamagedPage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "trove.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := core.NewManifest([]core.Entry{{Path: "a", Digest: core.DigestOf([]byte("a")), Size: 1}})
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := s.CommitVersion(ctx, Commit{Entity: "alice", Project: "p", Name: "m", Type: "model", Manifest: m, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.CheckIntegrity(ctx); err != nil || !rep.OK() {
		t.Fatalf("before the damage: %+v, %v", rep, err)
	}
	var root, pageSize int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT rootpage FROM sqlite_master WHERE name = 'entries'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	DamagePage(t, path, root, pageSize)

	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("opening the damaged store: %v", err)
	}
	defer s.Close()
	rep, err := s.CheckIntegrity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatalf("CheckIntegrity of a damaged file = %+v; want problems", rep)
	}
	t.Logf("problems: %q", rep.Problems)
	if err := s.Health(); !errors.Is(err, core.ErrCorrupt) {
		t.Errorf("Health = %v; want corrupt", err)
	}
	_, err = s.Manifest(ctx, v.ID)
	if !errors.Is(err, core.ErrCorrupt) {
		t.Errorf("reading the damaged table = %v; want core.ErrCorrupt", err)
	}
	t.Logf("query: %v", err)
	if err := s.Health(); !errors.Is(err, core.ErrCorrupt) || !strings.Contains(err.Error(), "a query failed") {
		t.Errorf("Health after a query met the damage = %v", err)
	}
}

// DamagePage overwrites page number page (1-based) of the SQLite file at
// path with garbage.
func DamagePage(t testing.TB, path string, page, pageSize int64) {
	t.Helper()
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Fatalf("%s-wal holds %d bytes: checkpoint before damaging the file", path, fi.Size())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", int(pageSize/4)))
	if _, err := f.WriteAt(garbage, (page-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// WatchIntegrity checks at once, again when a query meets damage, and
// stops with its context.
func TestWatchIntegrity(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "trove.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := core.NewManifest([]core.Entry{{Path: "a", Digest: core.DigestOf([]byte("a")), Size: 1}})
	v, _, err := s.CommitVersion(ctx, Commit{Entity: "alice", Project: "p", Name: "m", Type: "model", Manifest: m, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	s.rdb.QueryRowContext(ctx, `SELECT rootpage FROM sqlite_master WHERE name = 'entries'`).Scan(&root)
	s.rdb.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize)
	s.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	s.Close()
	DamagePage(t, path, root, pageSize)
	if s, err = OpenSQLite(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	done := make(chan error, 1)
	go func() { done <- s.WatchIntegrity(ctx, 0, nil) }()
	waitFor := func(what string, ok func(error) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(s.Health()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: Health = %v", what, s.Health())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("the check at start", func(err error) bool { return errors.Is(err, core.ErrCorrupt) })
	// Queries meeting the damage, concurrently with the check they wake.
	for range 4 {
		if _, err := s.Manifest(ctx, v.ID); !errors.Is(err, core.ErrCorrupt) {
			t.Errorf("Manifest = %v", err)
		}
	}
	waitFor("after queries met the damage", func(err error) bool { return err != nil && strings.Contains(err.Error(), "a query failed") })
	// The queries woke the watcher: its next report lists what they met.
	waitFor("the check the queries woke", func(error) bool {
		s.integrity.mu.Lock()
		defer s.integrity.mu.Unlock()
		return s.integrity.last != nil && slices.ContainsFunc(s.integrity.last.Problems, func(p string) bool { return strings.HasPrefix(p, "a query failed") })
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("WatchIntegrity = %v; want nil at the end of its context", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchIntegrity did not stop")
	}
}
