package meta

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
)

// Digests that the code before migration 00012 gave legacyEntries and an
// empty manifest (computed with core at the commit before the change).
const (
	legacyDigest      = "sha256:29ba0ce5fa0ecc1594bbc65c1e3f35ee9ef89ef259acef776b616c506c9f5961"
	legacyEmptyDigest = "sha256:b0ae24e30201deaa856096dc62768041d416cb118c0703e659db2f175d2965b1"
)

// legacyEntries is a manifest as an older Trove stored it: one entry's size
// does not match its blob (which the old code let through), one is a
// reference.
var legacyEntries = []core.Entry{
	{Path: "data/train.csv", Digest: core.DigestOf([]byte("a,b\n1,2\n")), Size: 8},
	{Path: "model.bin", Digest: core.DigestOf([]byte("eight by")), Size: 999},
	{Path: "weights", Digest: core.DigestOf([]byte("remote")), Size: 6, Ref: "s3://bucket/w"},
}

// TestMigrateDigests opens a store whose versions carry the digests of
// before migration 00012 (built by the migrations up to 00011 and the rows
// an older Trove wrote), and checks that opening it recomputes every
// version digest, links' included, so that logging the same content again
// dedups to the old version.
func TestMigrateDigests(t *testing.T) {
	if got := digestV1(legacyEntries).String(); got != legacyDigest {
		t.Fatalf("digestV1 = %s; the old code gave %s", got, legacyDigest)
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "old.db")
		db, err := sql.Open("sqlite", sqliteDSN(path, true, false))
		if err != nil {
			t.Fatal(err)
		}
		testMigrateDigests(t, db, sqliteDialect, func() (*Store, error) { return OpenSQLite(t.Context(), path) })
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgschema.URL(t)
		dsn, _, err := parsePostgresURL(url)
		if err != nil {
			t.Fatal(err)
		}
		db, err := openPostgresDB(dsn)
		if err != nil {
			t.Fatal(err)
		}
		testMigrateDigests(t, db, postgresDialect, func() (*Store, error) { return OpenPostgres(t.Context(), url) })
	})
}

func testMigrateDigests(t *testing.T, db *sql.DB, d *dialect, open func() (*Store, error)) {
	ctx := t.Context()
	fsys, err := d.migrationFiles()
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(d.goose, db, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goMigrations(d)...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, integrityVersion-1); err != nil {
		t.Fatal(err)
	}
	q := q{db, d}
	id := func(query string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := q.queryRow(ctx, query, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return id
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := q.exec(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	now := micros(time.Now())
	version := func(col, idx int64, digest string, size int64, source any) int64 {
		v := id(`INSERT INTO nodes (kind) VALUES ('version') RETURNING id`)
		exec(`INSERT INTO versions (id, collection_id, idx, digest, description, metadata, size, file_count,
			state, created_at, source_id) VALUES (?, ?, ?, ?, '', '{}', ?, ?, 'committed', ?, ?)`,
			v, col, idx, digest, size, 0, now, source)
		exec(`UPDATE collections SET next_index = ? WHERE id = ?`, idx+1, col)
		return v
	}
	alice := id(`INSERT INTO entities (name, kind, created_at) VALUES ('alice', '', 0) RETURNING id`)
	proj := id(`INSERT INTO projects (entity_id, name) VALUES (?, 'p') RETURNING id`, alice)
	col := id(`INSERT INTO collections (project_id, name, type, created_at) VALUES (?, 'm', 'model', 0) RETURNING id`, proj)
	empty := version(col, 0, legacyEmptyDigest, 0, nil)
	v1 := version(col, 1, legacyDigest, 8+999+6, nil)
	for _, e := range legacyEntries {
		exec(`INSERT INTO entries (version_id, path, digest, size, ref) VALUES (?, ?, ?, ?, ?)`, v1, e.Path, e.Digest.String(), e.Size, e.Ref)
	}
	exec(`INSERT INTO aliases (collection_id, alias, version_id) VALUES (?, 'latest', ?)`, col, v1)
	reg := id(`INSERT INTO entities (name, kind, created_at) VALUES ('registry', '', 0) RETURNING id`)
	regProj := id(`INSERT INTO projects (entity_id, name) VALUES (?, 'model') RETURNING id`, reg)
	regCol := id(`INSERT INTO collections (project_id, name, type, created_at) VALUES (?, 'prod', 'model', 0) RETURNING id`, regProj)
	link := version(regCol, 0, legacyDigest, 8+999+6, v1)
	// Two entries of 2^63-1 bytes, which older code let through: a size
	// of -2.
	huge := version(col, 2, "sha256:"+strings.Repeat("0", 64), -2, nil)
	for _, p := range []string{"x", "y"} {
		exec(`INSERT INTO entries (version_id, path, digest, size, ref) VALUES (?, ?, ?, ?, 'https://h/x')`,
			huge, p, core.DigestOf([]byte(p)).String(), int64(math.MaxInt64))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := open()
	if err != nil {
		t.Fatalf("opening the old store: %v", err)
	}
	defer s.Close()
	m, err := core.NewManifest(legacyEntries)
	if err != nil {
		t.Fatal(err)
	}
	if m.Digest().String() == legacyDigest {
		t.Fatal("the new digest equals the old one: the test proves nothing")
	}
	for _, c := range []struct {
		id   int64
		want core.Digest
		size int64
	}{{empty, core.ManifestDigest(nil), 0}, {v1, m.Digest(), m.Size()}, {link, m.Digest(), m.Size()}, {huge, hugeDigest(), math.MaxInt64}} {
		var got string
		var size int64
		if err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT digest, size FROM versions WHERE id = ?`), c.id).Scan(&got, &size); err != nil {
			t.Fatal(err)
		}
		if got != c.want.String() || size != c.size {
			t.Errorf("version %d: digest %s, size %d after the migration; want %s, %d", c.id, got, size, c.want, c.size)
		}
	}
	// The stored manifest hashes to its version's digest (what a draft
	// checks), and logging the same content again dedups.
	if sm, err := s.Manifest(ctx, v1); err != nil || sm.Digest() != m.Digest() {
		t.Errorf("stored manifest digest = %s, %v; want %s", sm.Digest(), err, m.Digest())
	}
	if v, err := s.FindVersionByDigest(ctx, "alice", "p", "m", m.Digest()); err != nil || v.ID != v1 {
		t.Errorf("FindVersionByDigest = %+v, %v; want version %d", v, err, v1)
	}
	v, created, err := s.CommitVersion(ctx, Commit{Entity: "alice", Project: "p", Name: "m", Type: "model", Manifest: m, Now: time.Now()})
	if err != nil || created || v.ID != v1 || v.Label() != "v1" {
		t.Errorf("logging the content again = %s (id %d), created %v, %v; want a dedup to v1 (id %d)", v.Label(), v.ID, created, err, v1)
	}
	// The new table is there.
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM damaged_blobs`).Scan(&n); err != nil || n != 0 {
		t.Errorf("damaged_blobs: %d rows, %v", n, err)
	}
}

// hugeDigest is the digest of the overflowing legacy manifest.
func hugeDigest() core.Digest {
	return core.ManifestDigest([]core.Entry{
		{Path: "x", Digest: core.DigestOf([]byte("x")), Size: math.MaxInt64, Ref: "https://h/x"},
		{Path: "y", Digest: core.DigestOf([]byte("y")), Size: math.MaxInt64, Ref: "https://h/x"},
	})
}

// The down migration gives the versions back the digests the older code
// computes.
func TestMigrateDigestsDown(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, _ := core.NewManifest(legacyEntries)
	v, _, err := s.CommitVersion(ctx, Commit{Entity: "alice", Project: "p", Name: "m", Type: "model", Manifest: m, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	err = s.write(ctx, func(q q) error { return migrateDigests(ctx, q, digestV1) })
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := s.rdb.QueryRowContext(ctx, `SELECT digest FROM versions WHERE id = ?`, v.ID).Scan(&got); err != nil || got != legacyDigest {
		t.Errorf("digest after the down migration = %s, %v; want %s", got, err, legacyDigest)
	}
}
