package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/troveml/trove/internal/core"
)

// Integrity of the metadata database. A damaged SQLite page, or a damaged
// PostgreSQL relation, shows only when a query happens to read it: the
// store would open, answer most requests and let `trove verify` report a
// clean blob store over a half-readable catalog. CheckIntegrity looks for
// damage on purpose:
//
//   - SQLite: PRAGMA quick_check, which reads every page of the file and
//     checks the b-tree structure, records and constraints (NOT NULL, CHECK)
//     — O(N) in the file's size, so a server runs it at start and now and
//     then (WatchIntegrity), not for every readiness probe. (It does not
//     compare indexes with their tables; integrity_check does, at several
//     times the cost.)
//   - PostgreSQL, whose server guards its own pages: a catalog check that
//     every table and index the migrations create exists and that no index
//     of those tables is invalid, not ready or not live (what a failed or
//     interrupted CREATE INDEX CONCURRENTLY, or a REINDEX gone wrong,
//     leaves: queries then silently stop using it or fail), and the data
//     page checksum failures the server counted in the database
//     (pg_stat_database.checksum_failures, when checksums are on). All of
//     it reads catalogs only, in milliseconds. Reading every page (amcheck)
//     would cost what quick_check costs and needs an extension; it is left
//     to the operator.
//   - Both: the tables and indexes the migrations create, parsed from them
//     (expectedSchema), must exist: a dropped or renamed object fails
//     queries only on the paths that use it.
//
// Any query that fails with SQLITE_CORRUPT or SQLITE_NOTADB (PostgreSQL:
// data_corrupted, index_corrupted) is remembered as well (noteDamage), wakes
// the watcher to run a check, and keeps Health failing until the process
// restarts: the database needs repair either way.

// IntegrityReport is what CheckIntegrity found.
type IntegrityReport struct {
	// Database is the driver: "sqlite" or "postgres".
	Database string `json:"database"`
	// Checks says what was checked.
	Checks string `json:"checks"`
	// Problems are the damage found, one line each (the first 100 that
	// quick_check reports); empty when the database is sound.
	Problems  []string      `json:"problems"`
	CheckedAt time.Time     `json:"checked_at"`
	Duration  time.Duration `json:"duration"` // nanoseconds
}

// OK reports whether the check found no damage.
func (r IntegrityReport) OK() bool { return len(r.Problems) == 0 }

// integrityState is what the store knows of its database's integrity.
type integrityState struct {
	mu      sync.Mutex
	last    *IntegrityReport // the last check's result; nil before the first
	lastErr error            // the last check could not run
	seen    error            // the first query that met damage
	wake    chan struct{}    // wakes WatchIntegrity; buffered, made by wakeChan
}

func (st *integrityState) wakeChan() chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.wake == nil {
		st.wake = make(chan struct{}, 1)
	}
	return st.wake
}

// isDamage reports whether err is a database's report of damaged storage.
func isDamage(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
		return false
	}
	code, _ := sqlState(err)
	return code == "XX001" || code == "XX002" // data_corrupted, index_corrupted
}

// noteDamage remembers err and wakes the watcher when err reports damage,
// and reports whether it did.
func (s *Store) noteDamage(err error) bool {
	if !isDamage(err) {
		return false
	}
	wake := s.integrity.wakeChan()
	s.integrity.mu.Lock()
	if s.integrity.seen == nil {
		s.integrity.seen = err
	}
	s.integrity.mu.Unlock()
	select {
	case wake <- struct{}{}:
	default:
	}
	return true
}

// Health reports the database's integrity as last found, for a server's
// readiness check; it runs no query. nil when the last check found the
// database sound and no query met damage since; core.ErrCorrupt naming the
// damage otherwise; core.ErrUnavailable before the first check finished.
func (s *Store) Health() error {
	st := &s.integrity
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.seen != nil:
		return core.Errorf(core.ErrCorrupt, "the %s metadata database is damaged: a query failed with %v; run trove verify, repair or restore the database, and restart", s.d.name, st.seen)
	case st.last == nil && st.lastErr != nil:
		return core.Errorf(core.ErrUnavailable, "checking the %s metadata database: %v", s.d.name, st.lastErr)
	case st.last == nil:
		return core.Errorf(core.ErrUnavailable, "checking the %s metadata database: not done yet", s.d.name)
	case !st.last.OK():
		more := ""
		if n := len(st.last.Problems); n > 1 {
			more = fmt.Sprintf(" (and %d more)", n-1)
		}
		return core.Errorf(core.ErrCorrupt, "the %s metadata database is damaged: %s%s; run trove verify, repair or restore the database, and restart",
			s.d.name, st.last.Problems[0], more)
	}
	return nil
}

// CheckIntegrity checks the database for damage (see above) and returns
// what it found; Health reports the result from then on. An error means
// the check could not run (the database is unreachable, ctx ended), not
// that it found damage.
func (s *Store) CheckIntegrity(ctx context.Context) (IntegrityReport, error) {
	start := time.Now()
	rep := IntegrityReport{Database: s.d.name, Problems: []string{}, CheckedAt: start.UTC()}
	var err error
	if s.d == postgresDialect {
		rep.Checks = "catalog: Trove's tables and indexes exist and every index is valid; data page checksum failures"
		err = s.checkPostgres(ctx, &rep)
	} else {
		rep.Checks = "PRAGMA quick_check; Trove's tables and indexes exist"
		err = s.checkSQLite(ctx, &rep)
	}
	rep.Duration = time.Since(start)
	st := &s.integrity
	st.mu.Lock()
	defer st.mu.Unlock()
	if err != nil {
		st.lastErr = err
		return IntegrityReport{}, err
	}
	if st.seen != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("a query failed with %v", st.seen))
	}
	st.last, st.lastErr = &rep, nil
	return rep, nil
}

// maxQuickCheck bounds the problems quick_check reports.
const maxQuickCheck = 100

func (s *Store) checkSQLite(ctx context.Context, rep *IntegrityReport) error {
	// A damaged page can fail the pragma itself, or the schema query.
	damaged := func(what string, err error) error {
		if isDamage(err) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", what, err))
			return nil
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	rows, err := s.rdb.QueryContext(ctx, fmt.Sprintf(`PRAGMA quick_check(%d)`, maxQuickCheck))
	if err != nil {
		return damaged("quick_check", err)
	}
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return damaged("quick_check", err)
		}
		lines = append(lines, line)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged("quick_check", err)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		rep.Problems = append(rep.Problems, lines...)
	}
	have := map[string]bool{}
	rows, err = s.rdb.QueryContext(ctx, `SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')`)
	if err != nil {
		return damaged("reading the schema", err)
	}
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			rows.Close()
			return damaged("reading the schema", err)
		}
		have[typ+" "+name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged("reading the schema", err)
	}
	return s.checkSchema(rep, have)
}

func (s *Store) checkPostgres(ctx context.Context, rep *IntegrityReport) error {
	have := map[string]bool{}
	rows, err := s.rdb.QueryContext(ctx, `
		SELECT CASE WHEN c.relkind IN ('i', 'I') THEN 'index' ELSE 'table' END, c.relname
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'i', 'I')`)
	if err != nil {
		return fmt.Errorf("reading the catalog: %w", err)
	}
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			rows.Close()
			return err
		}
		have[typ+" "+name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := s.checkSchema(rep, have); err != nil {
		return err
	}
	tables, _, err := expectedSchema(s.d)
	if err != nil {
		return err
	}
	rows, err = s.rdb.QueryContext(ctx, `
		SELECT t.relname, ic.relname, i.indisvalid, i.indisready, i.indislive
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_class t ON t.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready AND i.indislive)
		ORDER BY t.relname, ic.relname`)
	if err != nil {
		return fmt.Errorf("reading the indexes: %w", err)
	}
	for rows.Next() {
		var table, index string
		var valid, ready, live bool
		if err := rows.Scan(&table, &index, &valid, &ready, &live); err != nil {
			rows.Close()
			return err
		}
		if !slices.Contains(tables, table) {
			continue // not Trove's
		}
		var not []string
		for _, f := range []struct {
			ok   bool
			name string
		}{{valid, "valid"}, {ready, "ready"}, {live, "live"}} {
			if !f.ok {
				not = append(not, f.name)
			}
		}
		rep.Problems = append(rep.Problems, fmt.Sprintf("index %s of table %s is not %s: REINDEX INDEX %s", index, table, strings.Join(not, ", "), index))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// checksum_failures exists from PostgreSQL 12 on, and is NULL when the
	// cluster runs without data checksums.
	var failures *int64
	var last *time.Time
	err = s.rdb.QueryRowContext(ctx, `
		SELECT checksum_failures, checksum_last_failure FROM pg_stat_database
		WHERE datname = current_database() AND current_setting('server_version_num')::int >= 120000`).Scan(&failures, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("reading pg_stat_database: %w", err)
	case failures != nil && *failures > 0:
		at := ""
		if last != nil {
			at = ", the last at " + last.UTC().Format(time.RFC3339)
		}
		rep.Problems = append(rep.Problems, fmt.Sprintf("PostgreSQL counted %d data page checksum failures in this database%s: see the server log", *failures, at))
	}
	return nil
}

// checkSchema adds a problem for every table and index of expectedSchema
// missing from have ("table NAME", "index NAME").
func (s *Store) checkSchema(rep *IntegrityReport, have map[string]bool) error {
	tables, indexes, err := expectedSchema(s.d)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if !have["table "+t] {
			rep.Problems = append(rep.Problems, fmt.Sprintf("table %s is missing", t))
		}
	}
	for _, i := range indexes {
		if !have["index "+i] {
			rep.Problems = append(rep.Problems, fmt.Sprintf("index %s is missing", i))
		}
	}
	return nil
}

// schemaRE finds the statements of a migration that create, drop or rename
// tables and indexes.
var schemaRE = regexp.MustCompile(`(?is)\b(?:` +
	`CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)` +
	`|CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+ON\s+(\w+)` +
	`|DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)` +
	`|DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?(\w+)` +
	`|ALTER\s+TABLE\s+(\w+)\s+RENAME\s+TO\s+(\w+)` +
	`|ALTER\s+INDEX\s+(\w+)\s+RENAME\s+TO\s+(\w+))`)

var (
	schemaOnce    sync.Map // *dialect → schemaResult
	sqlCommentsRE = regexp.MustCompile(`--[^\n]*`)
)

type schemaResult struct {
	tables, indexes []string
	err             error
}

// expectedSchema returns the tables and the named indexes the dialect's
// migrations leave, sorted, by reading what each migration's Up part
// creates, drops and renames, in version order (migration 00012's DDL
// included). Indexes that back a primary key or UNIQUE constraint have no
// name in the migrations and are not listed.
func expectedSchema(d *dialect) (tables, indexes []string, err error) {
	if r, ok := schemaOnce.Load(d); ok {
		r := r.(schemaResult)
		return r.tables, r.indexes, r.err
	}
	tables, indexes, err = parseSchema(d)
	schemaOnce.Store(d, schemaResult{tables, indexes, err})
	return tables, indexes, err
}

func parseSchema(d *dialect) ([]string, []string, error) {
	fsys, err := d.migrationFiles()
	if err != nil {
		return nil, nil, err
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, nil, err
	}
	type migration struct {
		version int64
		up      string
	}
	ms := []migration{{integrityVersion, integrityDDL}}
	for _, f := range files {
		v, err := goose.NumericComponent(f)
		if err != nil {
			continue // goose ignores it too
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, nil, err
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		ms = append(ms, migration{v, up})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	tables := map[string]bool{}
	indexes := map[string]string{} // index → table
	for _, m := range ms {
		for _, g := range schemaRE.FindAllStringSubmatch(sqlCommentsRE.ReplaceAllString(m.up, ""), -1) {
			switch {
			case g[1] != "":
				tables[strings.ToLower(g[1])] = true
			case g[2] != "":
				indexes[strings.ToLower(g[2])] = strings.ToLower(g[3])
			case g[4] != "":
				t := strings.ToLower(g[4])
				delete(tables, t)
				for i, it := range indexes {
					if it == t {
						delete(indexes, i)
					}
				}
			case g[5] != "":
				delete(indexes, strings.ToLower(g[5]))
			case g[6] != "":
				from, to := strings.ToLower(g[6]), strings.ToLower(g[7])
				delete(tables, from)
				tables[to] = true
				for i, it := range indexes {
					if it == from {
						indexes[i] = to
					}
				}
			case g[8] != "":
				from, to := strings.ToLower(g[8]), strings.ToLower(g[9])
				indexes[to] = indexes[from]
				delete(indexes, from)
			}
		}
	}
	ts := make([]string, 0, len(tables))
	for t := range tables {
		ts = append(ts, t)
	}
	is := make([]string, 0, len(indexes))
	for i := range indexes {
		is = append(is, i)
	}
	slices.Sort(ts)
	slices.Sort(is)
	return ts, is, nil
}

// WatchIntegrity runs CheckIntegrity at once, then every interval (never
// again when interval is 0), and whenever a query met damage, until ctx
// ends; Health reports the latest result. A check that cannot run is
// retried after a minute. It logs what it finds and returns nil when ctx
// ends.
func (s *Store) WatchIntegrity(ctx context.Context, interval time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wake := s.integrity.wakeChan()
	for {
		rep, err := s.CheckIntegrity(ctx)
		next := interval
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Warn("metadata database integrity check could not run", "err", err)
			next = time.Minute
		case !rep.OK():
			log.Error("metadata database is damaged", "database", rep.Database, "problems", len(rep.Problems), "first", rep.Problems[0])
		default:
			log.Debug("metadata database integrity check", "database", rep.Database, "duration", rep.Duration)
		}
		var tick <-chan time.Time
		var t *time.Timer
		if next > 0 {
			t = time.NewTimer(next)
			tick = t.C
		}
		select {
		case <-ctx.Done():
		case <-tick:
		case <-wake:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}
