// Package meta is Trove's metadata store: entities, projects, runs, artifact
// collections, versions, manifests, aliases and lineage edges, and the
// accounts that own them (users, API keys, teams), on SQLite or PostgreSQL
// through the same queries.
package meta

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/troveml/trove/internal/core"
)

// Store is the metadata store. All its methods are safe for concurrent use,
// also by several processes sharing one database.
type Store struct {
	d *dialect
	// rdb serves reads in deferred (snapshot) transactions; wdb serves
	// writes. They are the same pool on a server database; SQLite keeps
	// them apart (see OpenSQLite).
	rdb, wdb *sql.DB
	// integrity is what the store knows of damage (integrity.go).
	integrity integrityState
}

// Close releases the store's connections.
func (s *Store) Close() error {
	err := s.wdb.Close()
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Ping reports whether the database answers, for a server's readiness
// check: core.ErrUnavailable if not. It uses the read pool, so a long write
// on SQLite's single write connection does not make the server look down.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return core.Errorf(core.ErrUnavailable, "%s database: %w", s.d.name, err)
	}
	return nil
}

// migrate brings the schema up to date. The caller serializes it across
// processes.
func (s *Store) migrate(ctx context.Context) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return s.dbErr(err, "migrating the %s schema", s.d.name)
	}
	return nil
}

// migrations returns the goose provider of the store's schema: the SQL
// migrations of its dialect and those written in Go (goMigrations).
func (s *Store) migrations() (*goose.Provider, error) {
	fsys, err := s.d.migrationFiles()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(s.d.goose, s.wdb, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goMigrations(s.d)...))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// querier is what q runs statements on: a transaction, or for a single
// statement the pool itself.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// q runs SQL written with ? placeholders, in the store's dialect, on a
// transaction (or, in readOne, on the pool).
type q struct {
	tx querier
	d  *dialect
}

func (q q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.tx.ExecContext(ctx, q.d.rebind(query), args...)
}

func (q q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.QueryContext(ctx, q.d.rebind(query), args...)
}

func (q q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.tx.QueryRowContext(ctx, q.d.rebind(query), args...)
}

// writeAttempts bounds how often write runs a transaction that failed with
// a retryable error (see dialect.retryable) before giving up.
const writeAttempts = 6

// write runs fn in a write transaction and commits it when fn returns nil.
// On SQLite the transaction begins IMMEDIATE, so it holds the database's
// write lock from the start: concurrent writers queue (for up to the busy
// timeout) instead of failing when they upgrade a read lock. On PostgreSQL
// a transaction that lost a deadlock or a serialization conflict to
// another writer is run again, fn included, so fn must set its results
// afresh on every call.
func (s *Store) write(ctx context.Context, fn func(q) error) error {
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, fn)
		if err == nil || attempt == writeAttempts || !s.d.retryable(err) {
			return err
		}
		// A short random pause keeps the losers of a deadlock from
		// meeting again in the same order.
		t := time.NewTimer(time.Duration(rand.Int64N(int64(time.Millisecond) << attempt)))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *Store) writeOnce(ctx context.Context, fn func(q) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
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

// read runs fn in a read-only transaction, so that the several queries of
// one answer see one snapshot.
func (s *Store) read(ctx context.Context, fn func(q) error) error {
	tx, err := s.rdb.BeginTx(ctx, s.d.readTx)
	if err != nil {
		return s.dbErr(err, "beginning a read transaction")
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(q{tx, s.d}); err != nil {
		return s.dbErr(err, "read")
	}
	return tx.Commit()
}

// readOne runs fn, which must run a single statement, outside any
// transaction: one round trip instead of three on a server database, for
// the lookups every request of a server makes (API keys, roles).
func (s *Store) readOne(ctx context.Context, fn func(q) error) error {
	if err := fn(q{s.rdb, s.d}); err != nil {
		return s.dbErr(err, "read")
	}
	return nil
}

// dbErr gives a database error a kind where one applies. Errors that already
// have a kind, and context errors, pass through unchanged; a wrapped error
// keeps the database's own error reachable with errors.As.
func (s *Store) dbErr(err error, format string, args ...any) error {
	var ke *core.Error
	switch {
	case errors.As(err, &ke), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	if s.noteDamage(err) {
		return core.Errorf(core.ErrCorrupt, "%s: the %s metadata database is damaged: %w", fmt.Sprintf(format, args...), s.d.name, err)
	}
	if s.d.full(err) {
		return &core.Error{Kind: core.ErrUnavailable, Msg: fmt.Sprintf(format, args...) + ": database is full: no space left on device (" + err.Error() + ")", Err: diskFull{err}}
	}
	if kind := s.d.kind(err); kind != nil {
		return core.Errorf(kind, "%s: %w", fmt.Sprintf(format, args...), err)
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// diskFull is the cause of a "database is full" error: the database's own
// error, which also matches syscall.ENOSPC, as a full disk does in the blob
// store, so that a server answers both alike (507 Insufficient Storage).
type diskFull struct{ err error }

func (e diskFull) Error() string   { return e.err.Error() }
func (e diskFull) Unwrap() []error { return []error{syscall.ENOSPC, e.err} }

// micros stores a time as unix microseconds, the store's portable timestamp.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros reads a stored timestamp.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// jsonObject validates that raw is a JSON object and returns it compacted;
// nil or empty means {}.
func jsonObject(what string, raw json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "{}", nil
	}
	if !json.Valid(raw) {
		return "", core.Errorf(core.ErrInvalid, "%s is not valid JSON", what)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", core.Errorf(core.ErrInvalid, "%s is not valid JSON: %v", what, err)
	}
	if b.Len() == 0 || b.Bytes()[0] != '{' {
		return "", core.Errorf(core.ErrInvalid, "%s must be a JSON object", what)
	}
	return b.String(), nil
}

// idsJSON encodes ids for the dialect's idList subquery.
func idsJSON(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// ensureProject creates the entity (of kind EntityNone, at now) and the
// project if missing and returns the project's id.
func ensureProject(ctx context.Context, q q, entity, project string, now time.Time) (int64, error) {
	if err := core.ValidateEntity(entity); err != nil {
		return 0, err
	}
	if err := core.ValidateProject(project); err != nil {
		return 0, err
	}
	if _, err := q.exec(ctx, `INSERT INTO entities (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		entity, micros(now)); err != nil {
		return 0, err
	}
	if _, err := q.exec(ctx, `
		INSERT INTO projects (entity_id, name)
		SELECT id, ? FROM entities WHERE name = ?
		ON CONFLICT (entity_id, name) DO NOTHING`, project, entity); err != nil {
		return 0, err
	}
	var id int64
	err := q.queryRow(ctx, `
		SELECT p.id FROM projects p JOIN entities en ON en.id = p.entity_id
		WHERE en.name = ? AND p.name = ?`, entity, project).Scan(&id)
	return id, err
}

// newNode takes the next id of the shared node sequence.
func newNode(ctx context.Context, q q, kind string) (int64, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO nodes (kind) VALUES (?) RETURNING id`, kind).Scan(&id)
	return id, err
}

// addEdge records an edge in the direction data flows; an existing edge is
// kept as it is, with its original time.
func addEdge(ctx context.Context, q q, src, dst int64, kind string, now time.Time) error {
	_, err := q.exec(ctx, `
		INSERT INTO edges (src, dst, kind, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (src, dst) DO NOTHING`, src, dst, kind, micros(now))
	return err
}
