package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Damaged blobs. `trove verify --repair` records here every blob it found
// corrupt (after moving its bytes aside) or missing, so that the blob counts
// as missing where nothing else would notice: content logged again that
// dedups to a committed version is not checked against the blob store, but
// a version holding a recorded blob is (DamagedIn), so the client uploads
// the blob and every version using it heals. A verified upload of the
// content clears the record (ClearDamaged); garbage collection drops the
// records of blobs no version needs any more (PruneDamaged). The table is
// empty on a healthy store.

// Damage problems.
const (
	DamageCorrupt = "corrupt" // the bytes did not hash to the digest; moved aside
	DamageMissing = "missing" // the blob store lacked the blob
)

// DamagedBlob is a blob verification found corrupt or missing.
type DamagedBlob struct {
	Digest  core.Digest
	Problem string // DamageCorrupt or DamageMissing
	Detail  string // what verification found, one line
	// Quarantine is the blob store key under which the corrupt bytes were
	// kept, for forensics; "" for a missing blob.
	Quarantine string
	FoundAt    time.Time
}

// RecordDamaged records bs, in one transaction. A blob recorded already
// gets the new problem, detail and time; it keeps its quarantine key when
// the new record has none (a quarantined blob is found missing later).
// core.ErrInvalid for an empty digest or an unknown problem.
func (s *Store) RecordDamaged(ctx context.Context, bs []DamagedBlob) error {
	for _, b := range bs {
		if b.Digest.IsZero() {
			return core.Errorf(core.ErrInvalid, "damaged blob: empty digest")
		}
		if b.Problem != DamageCorrupt && b.Problem != DamageMissing {
			return core.Errorf(core.ErrInvalid, "damaged blob %s: problem %q is neither %q nor %q", b.Digest, b.Problem, DamageCorrupt, DamageMissing)
		}
	}
	if len(bs) == 0 {
		return nil
	}
	return s.write(ctx, func(q q) error {
		for _, b := range bs {
			if _, err := q.exec(ctx, `INSERT INTO damaged_blobs (digest, problem, detail, quarantine, found_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (digest) DO UPDATE SET problem = excluded.problem, detail = excluded.detail,
					quarantine = COALESCE(NULLIF(excluded.quarantine, ''), damaged_blobs.quarantine), found_at = excluded.found_at`,
				b.Digest.String(), b.Problem, b.Detail, b.Quarantine, micros(b.FoundAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// DamagedBlobs returns every recorded blob, by digest.
func (s *Store) DamagedBlobs(ctx context.Context) ([]DamagedBlob, error) {
	var out []DamagedBlob
	err := s.readOne(ctx, func(q q) error {
		rows, err := q.query(ctx, `SELECT digest, problem, detail, quarantine, found_at FROM damaged_blobs ORDER BY digest`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				b  DamagedBlob
				d  string
				at int64
			)
			if err := rows.Scan(&d, &b.Problem, &b.Detail, &b.Quarantine, &at); err != nil {
				return err
			}
			if b.Digest, err = core.ParseDigest(d); err != nil {
				return core.Errorf(core.ErrCorrupt, "damaged blob record %q: %w", d, err)
			}
			b.FoundAt = fromMicros(at)
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// DamagedIn returns the recorded blobs that stored-file entries of version
// id (of its source, for a registry link) name, sorted; nothing for a
// version that does not exist. It is one statement, outside any
// transaction, that starts from the records, which are few (none on a
// healthy store), and finds their entries through entries_by_digest: its
// cost does not grow with the manifest. Content that dedups to a version
// asks it on every log.
func (s *Store) DamagedIn(ctx context.Context, id int64) ([]core.Digest, error) {
	var out []core.Digest
	err := s.readOne(ctx, func(q q) (err error) {
		out, err = queryDigests(ctx, q, `SELECT db.digest FROM damaged_blobs db
			WHERE EXISTS (SELECT 1 FROM entries e WHERE e.digest = db.digest AND e.ref = ''
				AND e.version_id = (SELECT COALESCE(v.source_id, v.id) FROM versions v WHERE v.id = ?))
			ORDER BY db.digest`, id)
		return err
	})
	return out, err
}

// ClearDamaged removes the records of ds, once their blobs were stored
// again and verified, and returns how many it removed. It reads first and
// writes only when there is a record, so that the upload of a blob that was
// never damaged — nearly every upload — costs no write.
func (s *Store) ClearDamaged(ctx context.Context, ds []core.Digest) (int64, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	list, _, err := digestList(ds)
	if err != nil {
		return 0, err
	}
	var found bool
	err = s.readOne(ctx, func(q q) error {
		err := q.queryRow(ctx, `SELECT true FROM damaged_blobs WHERE digest IN (`+q.d.textList()+`) LIMIT 1`, list).Scan(&found)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || !found {
		return 0, err
	}
	var n int64
	err = s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `DELETE FROM damaged_blobs WHERE digest IN (`+q.d.textList()+`)`, list)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// PruneDamaged removes the records of blobs that no committed version, no
// version a committed link holds and no open pending artifact names any
// more (see liveEntry), and returns how many it removed: nothing will ask
// for those blobs again.
func (s *Store) PruneDamaged(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `DELETE FROM damaged_blobs WHERE NOT (`+liveEntry("damaged_blobs.digest")+` OR `+
			livePending("damaged_blobs.digest")+`)`)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
