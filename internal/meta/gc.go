package meta

// This file keeps the records garbage collection of blobs relies on: leases
// (a blob a client was told is stored must stay until it is committed) and
// tombstones (a blob being deleted counts as absent). The protocol they
// serve, and why it never deletes a blob a live or in-flight version needs,
// is described in internal/service/gc.go.

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/troveml/trove/internal/core"
)

// leaseBatch is how many digests one lease statement covers.
const leaseBatch = 500

// lockAttempts bounds how often a transaction re-creates lease rows that a
// concurrent PruneLeases deleted before it could lock them.
const lockAttempts = 5

// MissingBlobsError is the error of a commit whose manifest names blobs
// that are neither live nor leased, or that are being collected (see
// Commit.RequireBlobs). Nothing was committed: the caller uploads Digests
// and commits again. Its kind is core.ErrConflict.
type MissingBlobsError struct {
	Digests []core.Digest // sorted, without duplicates
}

func (e *MissingBlobsError) Error() string {
	return fmt.Sprintf("%d blobs of the manifest are not stored (first: %s)", len(e.Digests), e.Digests[0])
}

// Is makes errors.Is(err, core.ErrConflict) true.
func (e *MissingBlobsError) Is(target error) bool { return target == core.ErrConflict }

// liveEntry is the condition that some entry holding the blob X as a stored
// file (not a reference) keeps it alive: an entry of a committed version, or
// of a version that a committed version links (a registry link has no
// entries of its own). Deleted versions' entries do not count. It starts
// from the index entries_by_digest.
func liveEntry(x string) string {
	return `EXISTS (SELECT 1 FROM entries e JOIN versions v ON v.id = e.version_id
		WHERE e.digest = ` + x + ` AND e.ref = '' AND (v.state = 'committed'
			OR EXISTS (SELECT 1 FROM versions l WHERE l.source_id = v.id AND l.state = 'committed')))`
}

// livePending is the condition that an entry of a distributed artifact still
// being built holds the blob X.
func livePending(x string) string {
	return `EXISTS (SELECT 1 FROM pending_entries pe JOIN pending_artifacts pa ON pa.id = pe.pending_id
		WHERE pe.digest = ` + x + ` AND pe.ref = '' AND pa.state = 'open')`
}

// forShare locks the rows a SELECT reads against FOR UPDATE until the
// transaction ends. SQLite needs no lock: a write transaction holds the
// database's write lock.
func (d *dialect) forShare() string {
	if d == postgresDialect {
		return ` FOR SHARE`
	}
	return ``
}

// digestList encodes ds, sorted and without duplicates, for textList; it
// returns the sorted digests too. core.ErrInvalid for an empty digest.
func digestList(ds []core.Digest) (string, []core.Digest, error) {
	sorted := slices.Clone(ds)
	for i, d := range sorted {
		if d.IsZero() {
			return "", nil, core.Errorf(core.ErrInvalid, "digest %d is empty", i)
		}
	}
	slices.SortFunc(sorted, func(a, b core.Digest) int { return bytes.Compare(a[:], b[:]) }) // the order of their text forms, without allocating
	sorted = slices.Compact(sorted)
	strs := make([]string, len(sorted))
	for i, d := range sorted {
		strs[i] = d.String()
	}
	b, err := json.Marshal(strs)
	return string(b), sorted, err
}

// LeaseBlobs extends the lease of each blob of ds to at least until, so that
// garbage collection keeps it until then, and returns those of ds that have
// a tombstone (GC is deleting them: they count as absent). It writes one
// statement per 500 digests, in one transaction, in digest order (so that
// concurrent callers lock rows in one order). On PostgreSQL the upsert locks
// each lease row, which a concurrent MarkBlob also locks: either the mark
// sees the lease, or this sees the mark's tombstone. core.ErrInvalid for an
// empty digest. Safe for concurrent use.
func (s *Store) LeaseBlobs(ctx context.Context, ds []core.Digest, until time.Time) (map[core.Digest]bool, error) {
	if len(ds) == 0 {
		return map[core.Digest]bool{}, nil
	}
	_, sorted, err := digestList(ds)
	if err != nil {
		return nil, err
	}
	var dead map[core.Digest]bool
	err = s.write(ctx, func(q q) error {
		dead = map[core.Digest]bool{}
		for rest := sorted; len(rest) > 0; {
			batch := rest[:min(len(rest), leaseBatch)]
			rest = rest[len(batch):]
			list, _, err := digestList(batch)
			if err != nil {
				return err
			}
			if _, err := q.exec(ctx, `INSERT INTO blob_leases (digest, until)
				SELECT value, CAST(? AS BIGINT) FROM (`+q.d.textList()+`) AS list WHERE true
				ON CONFLICT (digest) DO UPDATE SET until = excluded.until
				WHERE blob_leases.until < excluded.until`, micros(until), list); err != nil {
				return err
			}
			got, err := queryDigests(ctx, q, `SELECT t.digest FROM blob_tombstones t
				WHERE t.digest IN (`+q.d.textList()+`)`, list)
			if err != nil {
				return err
			}
			for _, d := range got {
				dead[d] = true
			}
		}
		return nil
	})
	return dead, err
}

// EndLeases ends the leases of ds that end no later than until: those
// taken (or last extended) by a request that began by then, as a lease
// lasts a fixed time. A lease extended past until — by a client told
// "stored" after the caller's request began — stays, and so does the lease
// of a blob that an entry of a staged commit still being written names
// (staged.go): that commit's last step makes a version of its entries
// without checking their blobs again, relying on their leases. It runs in
// one transaction that first locks the lease rows, in digest order (FOR
// UPDATE on PostgreSQL), so that a staged commit's chunk that holds them
// has committed its entries before the deletion looks for them; then it
// deletes, one statement per 500 digests. Digests without a lease are
// skipped. core.ErrInvalid for an empty digest. Safe for concurrent use.
func (s *Store) EndLeases(ctx context.Context, ds []core.Digest, until time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	_, sorted, err := digestList(ds)
	if err != nil {
		return err
	}
	return s.writeUnsynced(ctx, func(q q) error {
		for rest := sorted; len(rest) > 0; {
			batch := rest[:min(len(rest), leaseBatch)]
			rest = rest[len(batch):]
			list, _, err := digestList(batch)
			if err != nil {
				return err
			}
			if q.d.forUpdate != "" {
				var n int
				if err := q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT digest FROM blob_leases
					WHERE digest IN (`+q.d.textList()+`) ORDER BY digest`+q.d.forUpdate+`) AS locked`, list).Scan(&n); err != nil {
					return err
				}
			}
			if _, err := q.exec(ctx, `DELETE FROM blob_leases
				WHERE digest IN (`+q.d.textList()+`) AND until <= ?
				AND NOT EXISTS (SELECT 1 FROM entries e JOIN staged_versions sv ON sv.id = e.version_id
					WHERE e.digest = blob_leases.digest AND e.ref = '' AND sv.dropping = 0)`,
				list, micros(until)); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeUnsynced is write for a transaction whose loss in a power cut
// harms nothing (EndLeases: a lease not ended lasts its time), committed
// without waiting for the disk, so that it does not double the cost of
// the durable commit it follows. PostgreSQL: synchronous_commit off for
// the transaction. SQLite: the write connection (the only one) with
// synchronous(NORMAL) for the transaction, then back to what it was; the
// WAL frames are synced with the next durable commit. A connection whose
// setting could not be restored is discarded, never reused.
func (s *Store) writeUnsynced(ctx context.Context, fn func(q) error) error {
	if s.d == postgresDialect {
		return s.write(ctx, func(q q) error {
			if _, err := q.exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
			return fn(q)
		})
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return s.dbErr(err, "write connection")
	}
	defer conn.Close()
	var was int
	if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&was); err != nil {
		return s.dbErr(err, "reading synchronous")
	}
	if was <= 1 { // OFF or NORMAL already (a scratch store): nothing to lower
		return s.writeOn(ctx, conn, fn)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return s.dbErr(err, "lowering synchronous")
	}
	err = s.writeOn(ctx, conn, fn)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = `+strconv.Itoa(was)); rerr != nil {
		// Never hand a connection that no longer syncs to a durable
		// commit: this one is closed instead of returning to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		if err == nil {
			err = s.dbErr(rerr, "restoring synchronous")
		}
	}
	return err
}

// writeOn is writeOnce on conn.
func (s *Store) writeOn(ctx context.Context, conn *sql.Conn, fn func(q) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr(err, "beginning a write transaction")
	}
	if err := fn(q{tx, s.d}); err != nil {
		_ = tx.Rollback()
		return s.dbErr(err, "write")
	}
	if err := tx.Commit(); err != nil {
		return s.dbErr(err, "committing")
	}
	return nil
}

// Tombstoned returns those of ds that have a tombstone. core.ErrInvalid for
// an empty digest.
func (s *Store) Tombstoned(ctx context.Context, ds []core.Digest) (map[core.Digest]bool, error) {
	out := map[core.Digest]bool{}
	if len(ds) == 0 {
		return out, nil
	}
	list, _, err := digestList(ds)
	if err != nil {
		return nil, err
	}
	err = s.readOne(ctx, func(q q) error {
		got, err := queryDigests(ctx, q, `SELECT t.digest FROM blob_tombstones t WHERE t.digest IN (`+q.d.textList()+`)`, list)
		for _, d := range got {
			out[d] = true
		}
		return err
	})
	return out, err
}

// BlobState is what garbage collection learns about one stored blob.
type BlobState int

// Blob states, from the strongest reason to keep a blob.
const (
	BlobDead   BlobState = iota // no reason to keep it
	BlobLeased                  // a valid lease keeps it (or a tombstone: GC is deleting it already)
	BlobLive                    // a live version or a distributed artifact being built holds it
)

// BlobStates answers, for each of ds, whether it is live, leased at now, or
// dead (absent from the map). One statement per 500 digests; the answer is
// advice for choosing candidates, which MarkBlob checks again.
// core.ErrInvalid for an empty digest.
func (s *Store) BlobStates(ctx context.Context, ds []core.Digest, now time.Time) (map[core.Digest]BlobState, error) {
	out := map[core.Digest]BlobState{}
	for rest := ds; len(rest) > 0; {
		batch := rest[:min(len(rest), leaseBatch)]
		rest = rest[len(batch):]
		list, _, err := digestList(batch)
		if err != nil {
			return nil, err
		}
		err = s.readOne(ctx, func(q q) error {
			rows, err := q.query(ctx, `SELECT ds.value,
					CASE WHEN `+liveEntry("ds.value")+` OR `+livePending("ds.value")+` THEN 2
					WHEN EXISTS (SELECT 1 FROM blob_leases l WHERE l.digest = ds.value AND l.until > ?)
						OR EXISTS (SELECT 1 FROM blob_tombstones t WHERE t.digest = ds.value) THEN 1
					ELSE 0 END
				FROM (`+q.d.textList()+`) AS ds`, micros(now), list)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var v string
				var st int
				if err := rows.Scan(&v, &st); err != nil {
					return err
				}
				d, err := core.ParseDigest(v)
				if err != nil {
					return err
				}
				if st != 0 {
					out[d] = BlobState(st)
				}
			}
			return rows.Err()
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MarkBlob gives blob d a tombstone dated now when, in one transaction, it
// is neither live nor leased at now and has no tombstone yet, and reports
// whether it did. The caller then deletes the blob and calls DropTombstone.
// The transaction first creates d's lease row if missing and locks it (FOR
// UPDATE on PostgreSQL), then checks: LeaseBlobs and the blob check of a
// commit (Commit.RequireBlobs) lock the same row, so each of them either
// runs wholly before the mark — and the mark sees its lease or its
// committed entries — or wholly after, and sees the tombstone. Safe for
// concurrent use: of concurrent marks of one blob, one succeeds.
func (s *Store) MarkBlob(ctx context.Context, d core.Digest, now time.Time) (bool, error) {
	if d.IsZero() {
		return false, core.Errorf(core.ErrInvalid, "mark: empty digest")
	}
	var marked bool
	err := s.write(ctx, func(q q) error {
		marked = false
		// A concurrent PruneLeases may delete the row between the two
		// statements (DO NOTHING locks nothing): then insert it again.
		var until int64
		for attempt := 0; ; attempt++ {
			if _, err := q.exec(ctx, `INSERT INTO blob_leases (digest, until) VALUES (?, 0) ON CONFLICT (digest) DO NOTHING`,
				d.String()); err != nil {
				return err
			}
			err := q.queryRow(ctx, `SELECT until FROM blob_leases WHERE digest = ?`+q.d.forUpdate, d.String()).Scan(&until)
			if err == nil {
				break
			}
			if !errors.Is(err, sql.ErrNoRows) || attempt == lockAttempts {
				return err
			}
		}
		if until > micros(now) {
			return nil
		}
		var live bool
		if err := q.queryRow(ctx, `SELECT `+liveEntry("?")+` OR `+livePending("?"), d.String(), d.String()).Scan(&live); err != nil {
			return err
		}
		if live {
			return nil
		}
		res, err := q.exec(ctx, `INSERT INTO blob_tombstones (digest, created_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING`,
			d.String(), micros(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		marked = n == 1
		return err
	})
	return marked, err
}

// Tombstone is a blob being deleted, and since when.
type Tombstone struct {
	Digest    core.Digest
	CreatedAt time.Time
}

// Tombstones returns the tombstones created before before, oldest first:
// those of garbage collections that died between marking a blob and
// deleting it.
func (s *Store) Tombstones(ctx context.Context, before time.Time) ([]Tombstone, error) {
	var out []Tombstone
	err := s.readOne(ctx, func(q q) error {
		rows, err := q.query(ctx, `SELECT digest, created_at FROM blob_tombstones WHERE created_at < ? ORDER BY created_at, digest`,
			micros(before))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			var at int64
			if err := rows.Scan(&v, &at); err != nil {
				return err
			}
			d, err := core.ParseDigest(v)
			if err != nil {
				return err
			}
			out = append(out, Tombstone{d, fromMicros(at)})
		}
		return rows.Err()
	})
	return out, err
}

// DropTombstone removes the tombstone of d created at createdAt, once its
// blob is deleted; a tombstone of another time (or none) is left alone, so
// that a late sweeper never removes a newer mark.
func (s *Store) DropTombstone(ctx context.Context, t Tombstone) error {
	return s.write(ctx, func(q q) error {
		_, err := q.exec(ctx, `DELETE FROM blob_tombstones WHERE digest = ? AND created_at = ?`, t.Digest.String(), micros(t.CreatedAt))
		return err
	})
}

// PruneLeases deletes the leases that ended before now, and returns how
// many. Lease rows only matter while valid (or locked by a transaction,
// which the delete waits for), so this changes nothing but the table size.
func (s *Store) PruneLeases(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `DELETE FROM blob_leases WHERE until < ?`, micros(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// checkBlobs is the blob check of a commit that creates a version (see
// Commit.RequireBlobs): every stored-file digest of m must have no tombstone
// and be live or leased at now. It first creates the missing lease rows and
// locks them all (FOR SHARE on PostgreSQL), then reads, so that it
// serializes with MarkBlob on those rows (see MarkBlob). One statement each,
// whatever the size of the manifest. It returns a *MissingBlobsError
// listing the failing digests.
func checkBlobs(ctx context.Context, q q, m core.Manifest, now time.Time) error {
	var ds []core.Digest
	for _, e := range m.Entries() {
		if e.Ref == "" {
			ds = append(ds, e.Digest)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	list, sorted, err := digestList(ds)
	if err != nil {
		return err
	}
	// SQLite needs no row locks (see forShare). On PostgreSQL a
	// concurrent PruneLeases may delete a row between the two statements
	// (DO NOTHING locks nothing): then go again, until every row is there
	// and locked.
	for attempt := 0; q.d.forShare() != ""; attempt++ {
		if _, err := q.exec(ctx, `INSERT INTO blob_leases (digest, until)
			SELECT value, 0 FROM (`+q.d.textList()+`) AS list WHERE true
			ON CONFLICT (digest) DO NOTHING`, list); err != nil {
			return err
		}
		var n int
		err := q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT digest FROM blob_leases
			WHERE digest IN (`+q.d.textList()+`) ORDER BY digest`+q.d.forShare()+`) AS locked`, list).Scan(&n)
		if err != nil {
			return err
		}
		if n == len(sorted) {
			break
		}
		if attempt == lockAttempts {
			return core.Errorf(core.ErrUnavailable, "commit: could not lock the leases of %d blobs", len(sorted))
		}
	}
	missing, err := queryDigests(ctx, q, `SELECT ds.value FROM (`+q.d.textList()+`) AS ds
		WHERE EXISTS (SELECT 1 FROM blob_tombstones t WHERE t.digest = ds.value)
		OR NOT (EXISTS (SELECT 1 FROM blob_leases l WHERE l.digest = ds.value AND l.until > ?)
			OR `+liveEntry("ds.value")+`)
		ORDER BY ds.value`, list, micros(now))
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return &MissingBlobsError{Digests: missing}
	}
	return nil
}

// queryDigests runs a query of one digest column.
func queryDigests(ctx context.Context, q q, query string, args ...any) ([]core.Digest, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Digest
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		d, err := core.ParseDigest(v)
		if err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "stored digest %q: %w", v, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
