package meta

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/troveml/trove/internal/core"
)

// The PostgreSQL driver is pgx's database/sql driver, registered by import
// (github.com/troveml/trove/scheme/postgres, which the trove command
// imports) as database/sql drivers are: a program that only opens SQLite
// stores, such as one using the Go SDK, does not link pgx. The store uses
// nothing of pgx but that driver, and recognises its errors by their
// methods (SQLState, SafeToRetry).

// postgresDriver is the database/sql name pgx's driver registers.
const postgresDriver = "pgx"

// postgresImport is the package whose import registers postgresDriver.
const postgresImport = "github.com/troveml/trove/scheme/postgres"

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
	binary:     ` COLLATE "C"`,
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
//
// Without the PostgreSQL driver registered, OpenPostgres fails with
// core.ErrInvalid naming the import that registers it.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	dsn, poolSize, err := parsePostgresURL(url)
	if err != nil {
		return nil, err
	}
	db, err := openPostgresDB(dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	// Idle connections are given back now and then, so that a replica that
	// was busy once does not hold the server's connections forever.
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{d: postgresDialect, rdb: db, wdb: db}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		if msg, ok := pgBadURL(err); ok {
			return nil, core.Errorf(core.ErrInvalid, "PostgreSQL URL %s: %s", redactURL(url), msg)
		}
		return nil, s.dbErr(err, "connecting to PostgreSQL at %s", redactURL(url))
	}
	if err := s.migratePostgres(ctx, dsn); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// openPostgresDB returns a handle on the database at dsn, through the
// registered driver; it does not connect.
func openPostgresDB(dsn string) (*sql.DB, error) { return openDriverDB(postgresDriver, dsn) }

// openDriverDB is openPostgresDB with the database/sql driver named driver.
func openDriverDB(driver, dsn string) (*sql.DB, error) {
	if !slices.Contains(sql.Drivers(), driver) {
		return nil, core.Errorf(core.ErrInvalid, "postgres:// stores need: import _ %q", postgresImport)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "PostgreSQL URL %s: %v", redactURL(dsn), err)
	}
	return db, nil
}

// pgBadURL reports whether err, from a first connection, says that the
// connection string did not parse (pgx's ParseConfigError, which the driver
// only meets on connecting), and returns its message.
func pgBadURL(err error) (string, bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if msg := e.Error(); strings.HasPrefix(msg, "cannot parse `") {
			return msg, true
		}
	}
	return "", false
}

// parsePostgresURL checks a connection URL and takes out the store's own
// parameter pool_max_conns, which PostgreSQL would refuse as an unknown
// setting; it returns the connection string for the driver and the pool
// size.
func parsePostgresURL(raw string) (string, int, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", 0, core.Errorf(core.ErrInvalid, "PostgreSQL URL %s: want postgres://user@host:port/database?param=value…", redactURL(raw))
	}
	poolSize := defaultPoolSize
	query := u.Query()
	if v := query.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return "", 0, core.Errorf(core.ErrInvalid, "PostgreSQL URL: pool_max_conns %q is not a positive number", v)
		}
		poolSize = n
	}
	query.Del("pool_max_conns")
	u.RawQuery = query.Encode()
	return u.String(), poolSize, nil
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
// taken on a connection of its own, from a pool of its own: goose needs the
// store's pool, which may be a single connection, and closing the lock's
// pool closes its connection, which releases the lock whatever happens. pg_advisory_lock blocks in the server until the lock is free
// (rather than polling, as goose's session locker does) and gives up when
// ctx ends.
func (s *Store) migratePostgres(ctx context.Context, dsn string) error {
	db, err := openPostgresDB(dsn)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return s.dbErr(err, "connecting to PostgreSQL to migrate")
	}
	defer func() { _ = conn.Close() }()
	var schema sql.NullString
	if err := conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return s.dbErr(err, "reading the current schema")
	}
	if !schema.Valid {
		return core.Errorf(core.ErrInvalid, "PostgreSQL: no schema of the search_path exists: create it first")
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, migrationLockClass, schema.String); err != nil {
		return s.dbErr(err, "waiting for the migration lock")
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, migrationLockClass, schema.String)
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

// sqlState returns the SQLSTATE code of the PostgreSQL error in err's
// chain (pgx's PgError), and whether there is one.
func sqlState(err error) (string, bool) {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState(), true
	}
	return "", false
}

// postgresFull reports whether err is PostgreSQL's disk_full.
func postgresFull(err error) bool {
	code, _ := sqlState(err)
	return code == pgDiskFull
}

func postgresRetryable(err error) bool {
	code, _ := sqlState(err)
	return code == pgSerializationFailure || code == pgDeadlockDetected
}

func postgresKind(err error) error {
	if code, ok := sqlState(err); ok {
		switch {
		case code == pgUniqueViolation:
			return core.ErrConflict
		case code == pgSerializationFailure, code == pgDeadlockDetected:
			// Still failing after write's retries: the database is too
			// busy right now.
			return core.ErrUnavailable
		case strings.HasPrefix(code, "08"), // connection exception
			code == pgTooManyConnections, code == pgAdminShutdown, code == pgCrashShutdown,
			code == pgCannotConnectNow, code == pgReadOnlyTransaction:
			return core.ErrUnavailable
		}
		return nil
	}
	var ne net.Error
	var retry interface{ SafeToRetry() bool }
	switch {
	case pgConnectFailed(err), errors.As(err, &ne), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &retry) && retry.SafeToRetry():
		return core.ErrUnavailable
	}
	return nil
}

// pgConnectFailed reports whether err's chain holds pgx's ConnectError (a
// connection that could not be made: server down, TLS, authentication
// refused without a SQLSTATE), known by its message as it has no method of
// its own.
func pgConnectFailed(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), "failed to connect to `") {
			return true
		}
	}
	return false
}
