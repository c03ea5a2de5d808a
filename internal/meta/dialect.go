package meta

import (
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/troveml/trove/internal/core"
)

// migrationsFS holds the schema of every dialect, one directory each.
//
//go:embed migrations
var migrationsFS embed.FS

// dialect is everything that differs between the SQL databases the store
// runs on. The queries elsewhere are written once, with ? placeholders and
// SQL that SQLite (3.35+) and PostgreSQL both accept (ON CONFLICT, RETURNING,
// recursive CTEs); what they cannot share lives here, so supporting another
// database is a migrations directory and a dialect value.
type dialect struct {
	name  string
	goose goose.Dialect
	// migrations is the directory under migrationsFS.
	migrations string
	// numbered reports whether placeholders are $1, $2… instead of ?.
	numbered bool
	// forUpdate is appended to the SELECT that reads a collection before a
	// commit. SQLite needs nothing because every write transaction already
	// holds the database's write lock (BEGIN IMMEDIATE); PostgreSQL locks
	// the row so that concurrent committers to one collection queue up
	// before the dedup check.
	forUpdate string
	// idList is a subquery yielding one column of BIGINT ids from a single
	// parameter holding a JSON array of numbers. It lets one statement take
	// a set of any size, with no per-id placeholder and no temporary table.
	idList string
	// binary follows an expression compared as bytes, as the search's
	// prefix ranges need (and its indexes are built with): nothing in
	// SQLite, whose default collation is bytes already.
	binary string
	// readTx is how a read transaction begins: it must see one snapshot
	// for all its statements.
	readTx *sql.TxOptions
	// kind returns the core error kind of a database error, or nil when it
	// has none the store's callers could act on.
	kind func(error) error
	// retryable reports whether err aborted a write transaction that is
	// certain not to have committed and is worth running again, such as a
	// serialization failure or a deadlock between concurrent writers.
	retryable func(error) bool
	// full reports whether err says the database has no room left (its
	// disk is full): see dbErr.
	full func(error) bool
}

var sqliteDialect = &dialect{
	name:       "sqlite",
	goose:      goose.DialectSQLite3,
	migrations: "migrations/sqlite",
	idList:     `SELECT CAST(value AS BIGINT) FROM json_each(?)`,
	// A deferred transaction on a WAL database reads one snapshot from its
	// first statement on.
	readTx: &sql.TxOptions{ReadOnly: true},
	kind: func(err error) error {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return nil
		}
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return core.ErrConflict
		}
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// The store has waited busyTimeout already: a retry would
			// only double the wait.
			return core.ErrUnavailable
		}
		return nil
	},
	retryable: func(error) bool { return false },
	full:      sqliteFull,
}

// migrationFiles returns the dialect's migrations as goose reads them.
func (d *dialect) migrationFiles() (fs.FS, error) {
	return fs.Sub(migrationsFS, d.migrations)
}

// rebind rewrites the ? placeholders of query for the dialect. Queries in
// this package never contain a literal '?' in a string or comment, which is
// what makes the plain scan safe.
func (d *dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}
