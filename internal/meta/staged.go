package meta

// Large manifests are committed in steps, so that no transaction holds the
// write lock (SQLite's, or on PostgreSQL the collection's row lock and the
// blobs' lease rows) for longer than a few thousand entries take. A
// 500,000-entry manifest written in one transaction held SQLite's lock for
// seconds, and every other writer of the store waited.
//
//  1. A node id is taken and recorded in staged_versions.
//  2. The entries are written under that id, stageChunk at a time, each
//     chunk in a transaction of its own. No version row has the id, so no
//     query reads them: every reader of entries goes through a committed
//     version. When the commit requires blobs, each chunk's transaction
//     also checks its blobs as checkBlobs does (no tombstone; live or
//     leased), under the same row locks, and extends their leases to
//     Commit.LeaseUntil: from then on garbage collection keeps them (a mark
//     needs an ended lease) until the version makes them live.
//  3. A last short transaction locks the collection, deletes the
//     staged_versions row (claimStaged) and creates the version row with
//     the staged id; or, when a committed version has the same content,
//     dedups to it as an ordinary commit does.
//
// A commit that fails, dedups, or finds blobs missing removes its staged
// entries (dropStaged); a crash leaves them, invisible, until
// CleanStaged (run by garbage collection and the server's sweeps) removes
// them. Whoever removes staged entries first sets the row's dropping flag,
// and claimStaged takes only a row without it, so a version never gets a
// partly removed manifest.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/troveml/trove/internal/core"
)

// stageThreshold is the size of manifest, in entries, above which a commit
// is staged; smaller ones are written in one transaction, which costs fewer
// round trips. A variable for tests and benchmarks.
var stageThreshold = 20000

const (
	// stageChunk is how many entries one staging transaction writes:
	// tens of milliseconds on SQLite.
	stageChunk = 2000
	// dropChunk is how many staged entries one transaction removes.
	dropChunk = 5000
)

// commitStaged is CommitVersion for a manifest of more than stageThreshold
// entries; see the comment at the top of this file.
func (s *Store) commitStaged(ctx context.Context, c Commit, digest, meta string) (v core.Version, created bool, err error) {
	start := time.Now()
	// Identical content dedups, which writes no entry: one short
	// transaction does it. A collection of another type is refused before
	// anything is written.
	var dup int
	var typ string
	if err := s.read(ctx, func(q q) error {
		err := q.queryRow(ctx, `SELECT c.type FROM collections c
			JOIN projects p ON p.id = c.project_id JOIN entities en ON en.id = p.entity_id
			WHERE en.name = ? AND p.name = ? AND c.name = ?`, c.Entity, c.Project, c.Name).Scan(&typ)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return q.queryRow(ctx, `SELECT COUNT(*) FROM versions v JOIN collections c ON c.id = v.collection_id
			JOIN projects p ON p.id = c.project_id JOIN entities en ON en.id = p.entity_id
			WHERE en.name = ? AND p.name = ? AND c.name = ? AND v.digest = ? AND v.state = 'committed'`,
			c.Entity, c.Project, c.Name, digest).Scan(&dup)
	}); err != nil {
		return v, false, err
	}
	if typ != "" && typ != c.Type {
		return v, false, core.Errorf(core.ErrConflict, "artifact %s is of type %s, not %s", c.Name, typ, c.Type)
	}
	if dup > 0 {
		err = s.write(ctx, func(q q) (err error) {
			v, created, err = commitTx(ctx, q, c, digest, meta, 0)
			return err
		})
		return v, created, err
	}

	id, missing, err := s.stage(ctx, c)
	defer func() {
		if created && err == nil {
			return // the version took the entries
		}
		// Best effort: what is left is CleanStaged's.
		if derr := s.dropStaged(context.WithoutCancel(ctx), id); derr != nil && err == nil {
			err = derr
		}
	}()
	if err != nil {
		return v, false, err
	}
	if len(missing) > 0 {
		return v, false, &MissingBlobsError{Digests: missing}
	}
	// The leases taken above hold until LeaseUntil; the version must make
	// the blobs live well before, whatever the clocks of other servers.
	if c.RequireBlobs && time.Since(start) > c.LeaseUntil.Sub(c.Now)/2 {
		return v, false, core.Errorf(core.ErrUnavailable, "commit of %s took %v, too long for the blob leases it took: try again",
			c.Name, time.Since(start).Round(time.Second))
	}
	err = s.write(ctx, func(q q) (err error) {
		v, created, err = commitTx(ctx, q, c, digest, meta, id)
		return err
	})
	if err != nil {
		return core.Version{}, false, err
	}
	return v, created, nil
}

// stage writes c.Manifest's entries under a new node id recorded in
// staged_versions, stageChunk at a time, each chunk in a transaction of its
// own that, when c.RequireBlobs, checks and leases its blobs first
// (leaseChecked). It returns the id (0 if none was taken) and, sorted, the
// digests that failed the check; then no entry was written after the first
// failure, and the caller drops the staging.
func (s *Store) stage(ctx context.Context, c Commit) (id int64, missing []core.Digest, err error) {
	if err := s.write(ctx, func(q q) (err error) {
		if id, err = newNode(ctx, q, "version"); err != nil {
			return err
		}
		_, err = q.exec(ctx, `INSERT INTO staged_versions (id, created_at) VALUES (?, ?)`, id, micros(c.Now))
		return err
	}); err != nil {
		return 0, nil, err
	}
	for rest := c.Manifest.Entries(); len(rest) > 0; {
		chunk := rest[:min(len(rest), stageChunk)]
		rest = rest[len(chunk):]
		if err := ctx.Err(); err != nil {
			return id, nil, err
		}
		err := s.write(ctx, func(q q) error {
			if c.RequireBlobs {
				m, err := leaseChecked(ctx, q, chunk, c.Now, c.LeaseUntil)
				if err != nil {
					return err
				}
				missing = append(missing, m...)
			}
			if len(missing) > 0 {
				return nil // nothing will be committed: only learn what else is missing
			}
			return insertEntries(ctx, q, id, chunk)
		})
		if err != nil {
			return id, nil, err
		}
	}
	slices.SortFunc(missing, func(a, b core.Digest) int { return bytes.Compare(a[:], b[:]) }) // the order of their text forms, without allocating
	return id, slices.Compact(missing), nil
}

// leaseChecked is checkBlobs for a chunk of a staged commit that, besides,
// extends the lease of each blob that passes to until, so that garbage
// collection keeps it until the commit ends. It returns the digests that
// fail. Lease rows are locked FOR UPDATE (PostgreSQL), in digest order, as
// the lease is written.
func leaseChecked(ctx context.Context, q q, chunk []core.Entry, now, until time.Time) ([]core.Digest, error) {
	var ds []core.Digest
	for _, e := range chunk {
		if e.Ref == "" {
			ds = append(ds, e.Digest)
		}
	}
	if len(ds) == 0 {
		return nil, nil
	}
	list, sorted, err := digestList(ds)
	if err != nil {
		return nil, err
	}
	for attempt := 0; q.d.forUpdate != ""; attempt++ {
		if _, err := q.exec(ctx, `INSERT INTO blob_leases (digest, until)
			SELECT value, 0 FROM (`+q.d.textList()+`) AS list WHERE true
			ON CONFLICT (digest) DO NOTHING`, list); err != nil {
			return nil, err
		}
		var n int
		err := q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT digest FROM blob_leases
			WHERE digest IN (`+q.d.textList()+`) ORDER BY digest`+q.d.forUpdate+`) AS locked`, list).Scan(&n)
		if err != nil {
			return nil, err
		}
		if n == len(sorted) {
			break
		}
		if attempt == lockAttempts {
			return nil, core.Errorf(core.ErrUnavailable, "commit: could not lock the leases of %d blobs", len(sorted))
		}
	}
	missing, err := queryDigests(ctx, q, `SELECT ds.value FROM (`+q.d.textList()+`) AS ds
		WHERE EXISTS (SELECT 1 FROM blob_tombstones t WHERE t.digest = ds.value)
		OR NOT (EXISTS (SELECT 1 FROM blob_leases l WHERE l.digest = ds.value AND l.until > ?)
			OR `+liveEntry("ds.value")+`)
		ORDER BY ds.value`, list, micros(now))
	if err != nil || len(missing) > 0 {
		return missing, err
	}
	// The commit gives up once half the lease time has passed (stage), so
	// a lease that holds for three quarters of it is enough and is left as
	// it is: the leases MissingBlobs took just before the commit usually
	// are, and the chunk then writes no lease row at all (rewriting them
	// all cost a third of a large commit's time).
	need := now.Add(until.Sub(now) * 3 / 4)
	_, err = q.exec(ctx, `INSERT INTO blob_leases (digest, until)
		SELECT value, CAST(? AS BIGINT) FROM (`+q.d.textList()+`) AS list WHERE true
		ON CONFLICT (digest) DO UPDATE SET until = excluded.until
		WHERE blob_leases.until < CAST(? AS BIGINT)`, micros(until), list, micros(need))
	return nil, err
}

// claimStaged takes the staged entries of node id for the version being
// created in the caller's transaction: it deletes the staged_versions row,
// which must be there and not being dropped. core.ErrUnavailable
// otherwise (a sweep took it for abandoned): the caller's commit fails and
// its client tries again.
func claimStaged(ctx context.Context, q q, id int64) error {
	res, err := q.exec(ctx, `DELETE FROM staged_versions WHERE id = ? AND dropping = 0`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return core.Errorf(core.ErrUnavailable, "commit: its staged entries were removed as abandoned: try again")
	}
	return nil
}

// dropStaged removes the staged entries of node id, dropChunk at a time,
// then its staged_versions row and its node. A staged commit that no
// longer exists (committed, or dropped by another) is no error, nor is id
// 0 (none was taken).
func (s *Store) dropStaged(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	var found bool
	if err := s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE staged_versions SET dropping = 1 WHERE id = ?`, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		found = n == 1
		return err
	}); err != nil || !found {
		return err
	}
	for {
		var n int64
		if err := s.write(ctx, func(q q) error {
			res, err := q.exec(ctx, `DELETE FROM entries WHERE version_id = ? AND path IN
				(SELECT path FROM entries WHERE version_id = ? ORDER BY path LIMIT ?)`, id, id, dropChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		}); err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	return s.write(ctx, func(q q) error {
		if _, err := q.exec(ctx, `DELETE FROM staged_versions WHERE id = ?`, id); err != nil {
			return err
		}
		// The node was never a version: nothing refers to it now.
		_, err := q.exec(ctx, `DELETE FROM nodes WHERE id = ? AND NOT EXISTS (SELECT 1 FROM versions WHERE id = ?)`, id, id)
		return err
	})
}

// CleanStaged removes the entries of staged commits (see commitStaged)
// begun before before — crashed, or slower than any commit may be — and
// those some remover began to drop and did not finish, and returns how many
// it removed. A commit still running when its staging is removed fails with
// core.ErrUnavailable, creating nothing. Safe for concurrent use.
func (s *Store) CleanStaged(ctx context.Context, before time.Time) (int, error) {
	var ids []int64
	if err := s.readOne(ctx, func(q q) error {
		rows, err := q.query(ctx, `SELECT id FROM staged_versions WHERE created_at < ? OR dropping = 1 ORDER BY id`, micros(before))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := s.dropStaged(ctx, id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
