package meta

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/troveml/trove/internal/core"
)

// defaultPoolSize is how many connections one store opens to PostgreSQL at
// most, unless the URL's pool_max_conns says otherwise. Transactions are
// short, so a few connections per core of the server serve many clients;
// every replica has its own pool, so it also bounds what N replicas take
// from the server's max_connections.
const defaultPoolSize = 16

// migrationLockClass is the first key of the advisory lock that serializes
// migrations; the second is a hash of the schema being migrated.
const migrationLockClass = 0x7472_6f76 // "trov"

var postgresDialect = &dialect{
	name:       "postgres",
	goose:      goose.DialectPostgres,
	migrations: "migrations/postgres",
	numbered:   true,
	forUpdate:  ` FOR UPDATE`,
	idList:     `SELECT CAST(value AS BIGINT) FROM jsonb_array_elements_text(CAST(? AS jsonb))`,
	// Writes run at READ COMMITTED, every statement on a fresh snapshot,
	// which is what lets a committer see the versions of the one before it
	// once it holds the collection's row lock. Reads want one snapshot for
	// all their statements: a read-only REPEATABLE READ transaction has it
	// and can never fail to serialize.
	readTx:    &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead},
	kind:      postgresKind,
	retryable: postgresRetryable,
	full:      postgresFull,
}

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://user:password@host:port/database?param=value…), brings its
// schema up to date and returns the store. Besides pgx's parameters (sslmode,
// connect_timeout, search_path and any other run-time setting…), the URL may
// set pool_max_conns, the store's connection limit (default 16).
//
// Any number of processes may open the same database at once, server
// replicas included: migrations run under an advisory lock, one process at a
// time, and every write is safe against the others (see CommitVersion).
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	cfg, poolSize, err := parsePostgresURL(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	// Idle connections are given back now and then, so that a replica that
	// was busy once does not hold the server's connections forever.
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{d: postgresDialect, rdb: db, wdb: db}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, s.dbErr(err, "connecting to PostgreSQL at %s", redactURL(url))
	}
	if err := s.migratePostgres(ctx, cfg); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// parsePostgresURL reads a connection URL into pgx's configuration, taking
// out the store's own parameter pool_max_conns, which PostgreSQL would refuse
// as an unknown setting.
func parsePostgresURL(raw string) (*pgx.ConnConfig, int, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, 0, core.Errorf(core.ErrInvalid, "PostgreSQL URL %s: want postgres://user@host:port/database?param=value…", redactURL(raw))
	}
	poolSize := defaultPoolSize
	query := u.Query()
	if v := query.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, 0, core.Errorf(core.ErrInvalid, "PostgreSQL URL: pool_max_conns %q is not a positive number", v)
		}
		poolSize = n
	}
	query.Del("pool_max_conns")
	u.RawQuery = query.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, 0, core.Errorf(core.ErrInvalid, "PostgreSQL URL %s: %w", redactURL(raw), err)
	}
	return cfg, poolSize, nil
}

// redactURL returns raw with its password hidden, for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// migratePostgres runs the migrations while holding a session advisory lock
// keyed by the current schema, so that replicas starting at once migrate one
// after the other, and the later ones find nothing left to do. The lock is
// taken on a connection of its own: goose needs the pool's, which may be a
// single one, and closing the lock's connection releases the lock whatever
// happens. pg_advisory_lock blocks in the server until the lock is free
// (rather than polling, as goose's session locker does) and gives up when
// ctx ends.
func (s *Store) migratePostgres(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return s.dbErr(err, "connecting to PostgreSQL to migrate")
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	var schema sql.NullString
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return s.dbErr(err, "reading the current schema")
	}
	if !schema.Valid {
		return core.Errorf(core.ErrInvalid, "PostgreSQL: no schema of the search_path exists: create it first")
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, migrationLockClass, schema.String); err != nil {
		return s.dbErr(err, "waiting for the migration lock")
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, migrationLockClass, schema.String)
	}()
	return s.migrate(ctx)
}

// PostgreSQL error codes the store acts on
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgTooManyConnections   = "53300"
	pgAdminShutdown        = "57P01"
	pgCrashShutdown        = "57P02"
	pgCannotConnectNow     = "57P03"
	pgReadOnlyTransaction  = "25006" // a write reached a standby
)

// pgDiskFull is PostgreSQL's disk_full condition.
const pgDiskFull = "53100"

// postgresFull reports whether err is PostgreSQL's disk_full.
func postgresFull(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgDiskFull
}

func postgresRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == pgSerializationFailure || pe.Code == pgDeadlockDetected)
}

func postgresKind(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == pgUniqueViolation:
			return core.ErrConflict
		case pe.Code == pgSerializationFailure, pe.Code == pgDeadlockDetected:
			// Still failing after write's retries: the database is too
			// busy right now.
			return core.ErrUnavailable
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == pgTooManyConnections, pe.Code == pgAdminShutdown, pe.Code == pgCrashShutdown,
			pe.Code == pgCannotConnectNow, pe.Code == pgReadOnlyTransaction:
			return core.ErrUnavailable
		}
		return nil
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), pgconn.SafeToRetry(err):
		return core.ErrUnavailable
	}
	return nil
}
