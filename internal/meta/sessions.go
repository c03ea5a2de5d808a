package meta

// This file keeps the browser sessions of the web UI. A session is opened
// with an API key and is only ever as good as that key: it lives in the
// database, not in one server's memory, so every replica accepts it, and a
// lookup joins it to its key, so revoking the key ends it at once.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Sessions is the method set of the session records, here to document each
// method's contract in one place; *Store implements it. A session is known
// by the SHA-256 of its token, never by the token itself. Every method is
// safe for concurrent use.
type Sessions interface {
	// CreateSession stores a session opened with API key keyID, valid
	// until expires. It first deletes the sessions that are dead at now
	// (see DeleteExpiredSessions), so that the table holds little more
	// than the live ones. core.ErrNotFound when the key is unknown or
	// revoked; core.ErrConflict when a session has the hash already;
	// core.ErrInvalid when expires is not after now.
	CreateSession(ctx context.Context, hash [32]byte, keyID int64, now, expires time.Time) error
	// SessionKey returns the user and the API key of the session with
	// this hash, as UserByKeyHash does for a key. core.ErrNotFound when
	// no session has the hash, when it has expired (expires at or before
	// now) or when its key is revoked.
	SessionKey(ctx context.Context, hash [32]byte, now time.Time) (User, APIKey, error)
	// DeleteSession deletes the session with this hash. Deleting a session
	// that is not there (never was, or is gone already) is not an error.
	DeleteSession(ctx context.Context, hash [32]byte) error
	// DeleteExpiredSessions deletes the sessions that are dead at now,
	// expired or opened with a key since revoked, and returns how many it
	// deleted.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

var _ Sessions = (*Store)(nil)

// deadSessions is the condition that a session of the sessions table is
// dead: expired at the time of its parameter, or opened with a revoked key.
const deadSessions = `expires_at <= ? OR key_id IN (SELECT id FROM api_keys WHERE revoked_at IS NOT NULL)`

// CreateSession implements Sessions.
func (s *Store) CreateSession(ctx context.Context, hash [32]byte, keyID int64, now, expires time.Time) error {
	if micros(expires) <= micros(now) {
		return core.Errorf(core.ErrInvalid, "a session must expire after it starts")
	}
	return s.write(ctx, func(q q) error {
		if _, err := q.exec(ctx, `DELETE FROM sessions WHERE `+deadSessions, micros(now)); err != nil {
			return err
		}
		// The key is checked here for a clear error; SessionKey checks it
		// again on every use, so a key revoked in the meantime still ends
		// the session.
		var revoked sql.NullInt64
		err := q.queryRow(ctx, `SELECT revoked_at FROM api_keys WHERE id = ?`, keyID).Scan(&revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows), err == nil && revoked.Valid:
			return core.Errorf(core.ErrNotFound, "no valid API key has id %d", keyID)
		case err != nil:
			return err
		}
		res, err := q.exec(ctx, `INSERT INTO sessions (token_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (token_hash) DO NOTHING`, hash[:], keyID, micros(now), micros(expires))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ErrConflict, "a session with this token hash exists")
		}
		return nil
	})
}

// SessionKey implements Sessions.
func (s *Store) SessionKey(ctx context.Context, hash [32]byte, now time.Time) (User, APIKey, error) {
	var (
		u User
		k APIKey
	)
	err := s.readOne(ctx, func(q q) error {
		var (
			kid, kcreated int64
			prefix, label string
		)
		var err error
		u, err = scanUser(q.queryRow(ctx, `SELECT u.id, en.name, u.admin, u.created_at, k.id, k.prefix, k.label, k.created_at
			FROM sessions se JOIN api_keys k ON k.id = se.key_id
			JOIN users u ON u.id = k.user_id JOIN entities en ON en.id = u.entity_id
			WHERE se.token_hash = ? AND se.expires_at > ? AND k.revoked_at IS NULL`, hash[:], micros(now)),
			&kid, &prefix, &label, &kcreated)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "no live session has this token hash")
		}
		k = APIKey{ID: kid, User: u.Name, Prefix: prefix, Label: label, CreatedAt: fromMicros(kcreated)}
		return err
	})
	if err != nil {
		return User{}, APIKey{}, err
	}
	return u, k, nil
}

// DeleteSession implements Sessions.
func (s *Store) DeleteSession(ctx context.Context, hash [32]byte) error {
	return s.write(ctx, func(q q) error {
		_, err := q.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash[:])
		return err
	})
}

// DeleteExpiredSessions implements Sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `DELETE FROM sessions WHERE `+deadSessions, micros(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
