package meta

// This file keeps the proof-of-possession records of deduplicated blobs. A
// blob is stored once, whoever sent it, so the blob store alone cannot tell
// who has its bytes; and knowing a digest must never be enough to read the
// content behind it. A server therefore lets a user reference a stored blob
// in a new version only when the user may read it already, has shown the
// server the bytes, or the blob belongs to nobody yet (see Uploads).

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Uploads is the method set of the upload records, here to document each
// method's contract in one place; *Store implements it. Every method is safe
// for concurrent use.
type Uploads interface {
	// RecordUpload records that user sent blob d's bytes and the server
	// hashed them: proof that the user has the content. Recording twice is
	// not an error, and a claim (ClaimUpload) becomes a proof.
	// core.ErrNotFound for an unknown user, core.ErrInvalid for an empty
	// digest.
	RecordUpload(ctx context.Context, user string, d core.Digest, now time.Time) error
	// ClaimUpload records that user was handed a presigned URL to upload
	// d, signed with proof (see ProofClaims), or is about to send d's
	// bytes through the server. The server never sees who sends the bytes
	// of a presigned upload, so a claim proves nothing by itself; it keeps d
	// from counting as unclaimed for other users (ReferableDigests) until
	// it is committed. It never weakens a proof, and it keeps the proof a
	// claim has already (so a client retrying with an earlier URL still
	// matches): it returns the proof now recorded, "" for none. proof ""
	// records none. Errors as for RecordUpload.
	ClaimUpload(ctx context.Context, user string, d core.Digest, proof string, now time.Time) (string, error)
	// ProofClaims returns, for those of ds that user claimed with a proof
	// (ClaimUpload) and has not proved to have yet (RecordUpload), the
	// proof; the others are absent from the map. An unknown user has
	// none. It is one statement, whatever the size of ds. core.ErrInvalid
	// if a digest is empty.
	ProofClaims(ctx context.Context, user string, ds []core.Digest) (map[core.Digest]string, error)
	// ReadableDigests answers which of ds user may read: those in an entry
	// of a committed version of a project that is the user's own entity's,
	// a team's the user is a member of (any role), or public; and those
	// the user proved to have (RecordUpload). Site admins may read
	// everything: the caller decides that, not this method. The map holds
	// true for each readable digest and nothing for the others; an unknown
	// user reads nothing. It is one statement, whatever the size of ds.
	// core.ErrInvalid if a digest is empty.
	ReadableDigests(ctx context.Context, user string, ds []core.Digest) (map[core.Digest]bool, error)
	// ReferableDigests answers which of ds user may name in a new version:
	// the readable ones (ReadableDigests) and the unclaimed ones, which no
	// version holds (committed or deleted) and no other user has recorded
	// (RecordUpload or ClaimUpload). An unclaimed blob was stored by no one
	// who asked to keep it, such as an upload that predates these records,
	// or was stored by the very user asking. Same map and errors as
	// ReadableDigests.
	ReferableDigests(ctx context.Context, user string, ds []core.Digest) (map[core.Digest]bool, error)
	// SizeReadable reports whether user may read (as ReadableDigests
	// counts it: the user's own uploads aside, whose sizes are not kept)
	// a stored file entry of exactly size bytes. It is SizeKnown restricted
	// to what the user reads, so that its answer says nothing of what others
	// keep. An unknown user reads nothing. It starts from an index on the
	// size.
	SizeReadable(ctx context.Context, user string, size int64) (bool, error)
}

var _ Uploads = (*Store)(nil)

// RecordUpload implements Uploads.
func (s *Store) RecordUpload(ctx context.Context, user string, d core.Digest, now time.Time) error {
	_, err := s.recordUpload(ctx, user, d, "", now, true)
	return err
}

// ClaimUpload implements Uploads.
func (s *Store) ClaimUpload(ctx context.Context, user string, d core.Digest, proof string, now time.Time) (string, error) {
	return s.recordUpload(ctx, user, d, proof, now, false)
}

func (s *Store) recordUpload(ctx context.Context, user string, d core.Digest, proof string, now time.Time, verified bool) (string, error) {
	if d.IsZero() {
		return "", core.Errorf(core.ErrInvalid, "upload record: empty digest")
	}
	// A literal, not a parameter: SQLite keeps booleans as 0 and 1,
	// PostgreSQL as booleans, and TRUE and FALSE read right in both. The
	// casts type the parameters of the SELECT for PostgreSQL. The
	// conflict clause keeps the first time and the first proof and only
	// ever strengthens a record; updating even when nothing changes
	// returns the row for any known user.
	lit := "FALSE"
	if verified {
		lit = "TRUE"
	}
	var got sql.NullString
	err := s.write(ctx, func(q q) error {
		err := q.queryRow(ctx, `INSERT INTO uploads (user_id, digest, verified, created_at, proof)
			SELECT u.id, CAST(? AS TEXT), `+lit+`, CAST(? AS BIGINT), NULLIF(CAST(? AS TEXT), '')
			FROM users u JOIN entities en ON en.id = u.entity_id WHERE en.name = ?
			ON CONFLICT (user_id, digest) DO UPDATE SET verified = (uploads.verified OR excluded.verified),
				proof = COALESCE(uploads.proof, excluded.proof)
			RETURNING proof`,
			d.String(), micros(now), proof, user).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "user %q not found", user)
		}
		return err
	})
	return got.String, err
}

// ProofClaims implements Uploads.
func (s *Store) ProofClaims(ctx context.Context, user string, ds []core.Digest) (map[core.Digest]string, error) {
	out := map[core.Digest]string{}
	if len(ds) == 0 {
		return out, nil
	}
	list, _, err := digestList(ds)
	if err != nil {
		return nil, err
	}
	err = s.readOne(ctx, func(q q) error {
		rows, err := q.query(ctx, `SELECT up.digest, up.proof FROM uploads up
			JOIN users u ON u.id = up.user_id JOIN entities en ON en.id = u.entity_id
			WHERE en.name = ? AND NOT up.verified AND up.proof IS NOT NULL
			AND up.digest IN (`+s.d.textList()+`)`, user, list)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v, proof string
			if err := rows.Scan(&v, &proof); err != nil {
				return err
			}
			d, err := core.ParseDigest(v)
			if err != nil {
				return err
			}
			out[d] = proof
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadableDigests implements Uploads.
func (s *Store) ReadableDigests(ctx context.Context, user string, ds []core.Digest) (map[core.Digest]bool, error) {
	return s.digestSet(ctx, user, ds, false)
}

// ReferableDigests implements Uploads.
func (s *Store) ReferableDigests(ctx context.Context, user string, ds []core.Digest) (map[core.Digest]bool, error) {
	return s.digestSet(ctx, user, ds, true)
}

// SizeReadable implements Uploads.
func (s *Store) SizeReadable(ctx context.Context, user string, size int64) (bool, error) {
	var n int
	err := s.readOne(ctx, func(q q) error {
		return q.queryRow(ctx, `WITH `+meMine+`
		SELECT COUNT(*) FROM (SELECT 1 AS one WHERE
			EXISTS (SELECT 1 FROM entries e
				JOIN versions v ON v.id = e.version_id
				JOIN collections c ON c.id = v.collection_id
				JOIN projects p ON p.id = c.project_id
				WHERE e.size = CAST(? AS BIGINT) AND e.ref = '' AND v.state = 'committed'
				AND (p.public OR p.entity_id IN (SELECT id FROM mine)))
			OR (EXISTS (SELECT 1 FROM me) AND EXISTS (SELECT 1 FROM entries e
				JOIN versions l ON l.source_id = e.version_id
				WHERE e.size = CAST(? AS BIGINT) AND e.ref = '' AND l.state = 'committed'))) AS hit`,
			user, size, size).Scan(&n)
	})
	return n > 0, err
}

// readableWhere is the condition that ds.digest is readable by the user of
// the CTEs me and mine (see digestQuery). Each EXISTS starts from an index
// on the digest (uploads' primary key, entries_by_digest), so the cost grows
// with the digests asked about and the entries sharing each, never with the
// size of the store.
//
// Registries are readable by every user, so the entries of a version
// linked into one (by a committed link) are readable by every known user.
//
// Only stored entries (an empty ref) count. A reference entry's digest names an
// object outside the store (refs); the server never checks it, so a client
// can put any digest there — someone else's blob digest included. Counting
// it would let anyone read any blob whose digest they know.
const readableWhere = `
	EXISTS (SELECT 1 FROM uploads up JOIN me ON up.user_id = me.uid
		WHERE up.digest = ds.digest AND up.verified)
	OR EXISTS (SELECT 1 FROM entries e
		JOIN versions v ON v.id = e.version_id
		JOIN collections c ON c.id = v.collection_id
		JOIN projects p ON p.id = c.project_id
		WHERE e.digest = ds.digest AND e.ref = '' AND v.state = 'committed'
		AND (p.public OR p.entity_id IN (SELECT id FROM mine)))
	OR (EXISTS (SELECT 1 FROM me) AND EXISTS (SELECT 1 FROM entries e
		JOIN versions l ON l.source_id = e.version_id
		WHERE e.digest = ds.digest AND e.ref = '' AND l.state = 'committed'))`

// unclaimedWhere is the condition that no version holds ds.digest as a
// stored file and no user but me has a record of it. Reference entries do
// not hold blobs, so they neither claim one nor make it readable.
const unclaimedWhere = `
	(NOT EXISTS (SELECT 1 FROM entries e WHERE e.digest = ds.digest AND e.ref = '')
	AND NOT EXISTS (SELECT 1 FROM uploads o
		WHERE o.digest = ds.digest AND o.user_id NOT IN (SELECT uid FROM me)))`

// digestQuery returns the statement of ReadableDigests (referable false) or
// ReferableDigests. Its parameters are the user's name and the digests'
// textList. me is the user (no row for an unknown one); mine the entities
// whose projects the user reads whatever their visibility: its own and its
// teams', the rule authz's project access applies.
func (d *dialect) digestQuery(referable bool) string {
	where := readableWhere
	if referable {
		where += "\n\tOR " + unclaimedWhere
	}
	return `WITH ` + meMine + `, ds AS (
		SELECT DISTINCT value AS digest FROM (` + d.textList() + `) AS list
	)
	SELECT ds.digest FROM ds WHERE ` + where
}

// meMine defines the CTEs me, the user named by the first parameter (no
// row for an unknown one), and mine, the entities whose projects the user
// reads whatever their visibility: its own and its teams', the rule authz's
// project access applies.
const meMine = `me AS (
		SELECT u.id AS uid, u.entity_id AS eid FROM users u JOIN entities en ON en.id = u.entity_id
		WHERE en.name = ?
	), mine AS (
		SELECT eid AS id FROM me
		UNION SELECT m.team_id FROM members m JOIN me ON m.user_id = me.uid
			JOIN entities t ON t.id = m.team_id WHERE t.kind = 'team'
	)`

// textList is the TEXT counterpart of the dialect's idList: a subquery with
// one column, value, holding the strings of a single parameter that is a
// JSON array of strings.
func (d *dialect) textList() string {
	if d == postgresDialect {
		return `SELECT value FROM jsonb_array_elements_text(CAST(? AS jsonb))`
	}
	return `SELECT value FROM json_each(?)`
}

func (s *Store) digestSet(ctx context.Context, user string, ds []core.Digest, referable bool) (map[core.Digest]bool, error) {
	out := map[core.Digest]bool{}
	if len(ds) == 0 {
		return out, nil
	}
	list, _, err := digestList(ds)
	if err != nil {
		return nil, err
	}
	err = s.readOne(ctx, func(q q) error {
		found, err := queryDigests(ctx, q, s.d.digestQuery(referable), user, list)
		for _, d := range found {
			out[d] = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
