package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/troveml/trove/internal/core"
)

// busyTimeout is how long a statement waits for another connection's (or
// process's) lock before failing. Commits are short, so only a pile-up of
// dozens of writers comes near it.
const busyTimeout = 30 * time.Second

// OpenSQLite opens (creating if missing, with its parent directory) the SQLite
// database at path and brings its schema up to date. Several processes may
// open and write the same file at once.
//
// The store keeps two connection pools on the file. Writes go through a
// single connection whose transactions begin IMMEDIATE: SQLite admits one
// writer at a time anyway, so goroutines of one process queue in
// database/sql's pool, in order and without polling, and only writers of
// other processes meet in SQLite's busy handler, which waits up to
// busyTimeout; IMMEDIATE means no transaction ever has to upgrade a read lock
// and so none fails with SQLITE_BUSY halfway. Reads go through a pool of
// several query-only connections in deferred transactions: in WAL mode they
// read a snapshot and never wait for the writer, nor take its connection.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	return OpenSQLiteWith(ctx, path, Options{})
}

// Options are the settings of a metadata store that do not belong in its
// URL.
type Options struct {
	// NoSync, for scratch stores, opens SQLite with synchronous(NORMAL)
	// instead of FULL: commits then survive a crash of the process but a
	// power loss may lose the last ones (never corrupt the file). It pairs
	// with blob.Options.NoSync (TROVE_NO_SYNC=1, trove server --no-sync).
	// PostgreSQL ignores it: its durability is the server's configuration.
	NoSync bool
}

// OpenSQLiteWith is OpenSQLite with Options.
//
// By default every acknowledged commit is durable: WAL with
// synchronous(FULL), which fsyncs the WAL at each commit. Options.NoSync
// trades that for speed.
func OpenSQLiteWith(ctx context.Context, path string, o Options) (*Store, error) {
	if path == "" {
		return nil, core.Errorf(core.ErrInvalid, "sqlite database path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "sqlite database path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "creating the directory of %s: %w", abs, err)
	}
	// The lock serializes schema changes, and the switch to WAL, across
	// processes opening the same file: goose's own version table alone would
	// let two processes run the same migration.
	unlock, err := lockFile(ctx, abs+".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := privateFiles(abs); err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "creating %s: %w", abs, err)
	}

	wdb, err := sql.Open("sqlite", sqliteDSN(abs, true, o.NoSync))
	if err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "opening %s: %w", abs, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxIdleTime(0)
	rdb, err := sql.Open("sqlite", sqliteDSN(abs, false, o.NoSync))
	if err != nil {
		_ = wdb.Close()
		return nil, core.Errorf(core.ErrUnavailable, "opening %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s := &Store{d: sqliteDialect, rdb: rdb, wdb: wdb}

	// WAL is a property of the file: set once, it holds for every later
	// connection, the read pool's included.
	var mode string
	if err := wdb.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		_ = s.Close()
		return nil, openErr(abs, err)
	}
	if mode != "wal" {
		_ = s.Close()
		return nil, core.Errorf(core.ErrUnavailable, "opening %s: journal mode is %q, want wal", abs, mode)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// privateFiles makes the database at abs readable by its owner only: it
// creates the file with mode 0600 when it is missing (SQLite creates the
// -wal and -shm files with the mode of the database file), and takes
// group and other permissions away from an existing database and its -wal
// and -shm files, which older versions created 0644. A file of another
// owner is left as it is.
func privateFiles(abs string) error {
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, os.ErrExist):
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
		tighten(abs + suffix)
	}
	return nil
}

// PrivateDir creates a data directory (a store's database and blobs) with
// mode 0700, or takes group and other permissions away from an existing
// one: its files are created 0600, and older versions made the directory
// 0755 and the database 0644.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tighten(dir)
	return nil
}

// tighten takes group and other permissions away from the file or
// directory at path, if it has any; failures (another owner's file, a
// file system without modes) are ignored.
func tighten(path string) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(path, fi.Mode().Perm()&^0o077)
	}
}

// sqliteFull reports whether err says a write found no room because the
// disk (or a quota) is full: SQLITE_FULL, whatever the extended code, or
// SQLITE_IOERR_SHMSIZE, the failure to grow the shared-memory file that a
// process opening the database creates first.
func sqliteFull(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_FULL || e.Code() == sqlite3.SQLITE_IOERR_SHMSIZE)
}

// openErr is the error of a failed step of opening the database at abs.
func openErr(abs string, err error) error {
	if sqliteFull(err) {
		return &core.Error{Kind: core.ErrUnavailable, Msg: "opening " + abs + ": database is full: no space left on device (" + err.Error() + ")", Err: diskFull{err}}
	}
	return core.Errorf(core.ErrUnavailable, "opening %s: %w", abs, err)
}

// sqliteDSN returns the modernc.org/sqlite data source name of the file at
// abs, for the write pool or the read pool, with synchronous(FULL) unless
// noSync.
func sqliteDSN(abs string, write, noSync bool) string {
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	v.Add("_pragma", "foreign_keys(1)")
	// FULL in WAL mode syncs the WAL at every commit: a commit survives a
	// power loss. NORMAL (NoSync) is durable across application crashes
	// only; a power loss may drop the last commits, never corrupt the file.
	if noSync {
		v.Add("_pragma", "synchronous(NORMAL)")
	} else {
		v.Add("_pragma", "synchronous(FULL)")
	}
	if write {
		v.Set("_txlock", "immediate")
	} else {
		v.Set("_query_only", "1")
	}
	// A file: URI, escaped, so that a '?' or '#' in the path stays part of it.
	return "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + v.Encode()
}
