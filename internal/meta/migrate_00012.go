package meta

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/troveml/trove/internal/core"
)

// Migration 00012 (issue #12, integrity) is written in Go, for both
// dialects, because besides a table it recomputes every stored version
// digest: the digest now covers entry sizes (core.ManifestDigest,
// "trove-manifest-v2"), and a store whose versions kept their old digests
// would no longer dedup content logged again, nor pass the check of a draft
// (the SDK compares a manifest's digest with its version's). SQLite has no
// SHA-256 to do it in SQL. The SQL migrations of the other versions stay in
// migrations/{sqlite,postgres}; goose merges the two kinds by version.

// integrityVersion is the version of migration 00012.
const integrityVersion = 12

// integrityDDL is the schema of migration 00012, the same in both dialects.
//
// damaged_blobs records the blobs `trove verify --repair` found corrupt (and
// moved aside, under quarantine, for forensics) or missing. Such a blob
// counts as missing until a verified upload of its content clears the
// record: in particular, content logged again that dedups to a version
// holding the blob is answered "missing", so that the client uploads it and
// every version using it heals (see internal/service/verify.go).
const integrityDDL = `
CREATE TABLE damaged_blobs (
    digest     TEXT   PRIMARY KEY,
    problem    TEXT   NOT NULL CHECK (problem IN ('corrupt', 'missing')),
    detail     TEXT   NOT NULL,
    quarantine TEXT   NOT NULL,
    found_at   BIGINT NOT NULL
);
`

// goMigrations returns the migrations of the dialect written in Go.
func goMigrations(d *dialect) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(integrityVersion,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, integrityDDL); err != nil {
					return err
				}
				return migrateDigests(ctx, q{tx, d}, core.ManifestDigest)
			}},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `DROP TABLE damaged_blobs`); err != nil {
					return err
				}
				return migrateDigests(ctx, q{tx, d}, digestV1)
			}}),
	}
}

// migrateDigests sets the digest of every version to digest of its stored
// entries, in path order, and its size to their sum (which older versions
// let overflow: such a sum is stored as the largest int64, never negative),
// and the digest and size of every registry link to its source's. It reads
// the entries once, one version after the other, holding only one
// version's entries and the new digests (some 100 bytes per version) in
// memory, then updates each version: a one-time cost that grows with the
// entries and the versions (20,000 versions of 10 entries: 1.2 s on SQLite
// on a 2-core machine).
func migrateDigests(ctx context.Context, q q, digest func([]core.Entry) core.Digest) error {
	type content struct {
		digest string
		size   int64
	}
	digests := make(map[int64]content)
	rows, err := q.query(ctx, `SELECT version_id, path, digest, size, ref FROM entries ORDER BY version_id`)
	if err != nil {
		return err
	}
	var (
		cur = int64(-1)
		es  []core.Entry
	)
	flush := func() {
		if cur >= 0 {
			// Path order is byte order, which the database's collation
			// need not be.
			slices.SortFunc(es, func(a, b core.Entry) int { return strings.Compare(a.Path, b.Path) })
			var size int64
			for _, e := range es {
				if e.Size < 0 || e.Size > math.MaxInt64-size {
					size = math.MaxInt64
					break
				}
				size += e.Size
			}
			digests[cur] = content{digest(es).String(), size}
		}
		es = es[:0]
	}
	for rows.Next() {
		var (
			id   int64
			e    core.Entry
			text string
		)
		if err := rows.Scan(&id, &e.Path, &text, &e.Size, &e.Ref); err != nil {
			rows.Close()
			return err
		}
		if e.Digest, err = core.ParseDigest(text); err != nil {
			rows.Close()
			return core.Errorf(core.ErrCorrupt, "migration %d: entry %q of version %d: %w", integrityVersion, e.Path, id, err)
		}
		if id != cur {
			flush()
			cur = id
		}
		es = append(es, e)
	}
	flush()
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Versions without entries (empty artifacts) have a digest too.
	var ids []int64
	rows, err = q.query(ctx, `SELECT id FROM versions WHERE source_id IS NULL`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	empty := content{digest(nil).String(), 0}
	stmt, err := q.tx.PrepareContext(ctx, q.d.rebind(`UPDATE versions SET digest = ?, size = ? WHERE id = ?`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, id := range ids {
		c, ok := digests[id]
		if !ok {
			c = empty
		}
		if _, err := stmt.ExecContext(ctx, c.digest, c.size, id); err != nil {
			return fmt.Errorf("migration %d: version %d: %w", integrityVersion, id, err)
		}
	}
	_, err = q.exec(ctx, `UPDATE versions SET
			digest = (SELECT s.digest FROM versions s WHERE s.id = versions.source_id),
			size = (SELECT s.size FROM versions s WHERE s.id = versions.source_id)
		WHERE source_id IS NOT NULL`)
	return err
}

// digestV1 is the version digest before migration 00012, which left sizes
// out ("trove-manifest-v1"), for the down migration.
func digestV1(entries []core.Entry) core.Digest {
	h := core.NewHash()
	h.Write([]byte("trove-manifest-v1\n"))
	var n [8]byte
	field := func(b string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write([]byte(b))
	}
	for _, e := range entries {
		field(e.Path)
		field(e.Digest.String())
		if e.Ref != "" {
			binary.BigEndian.PutUint64(n[:], 0)
			h.Write(n[:])
			field(e.Ref)
		}
	}
	return core.DigestFromHash(h)
}
