package cache

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/troveml/trove/internal/core"
)

const (
	// racyWindow is how much older than the start of hashing a file's mtime
	// and ctime must be for its digest to be recorded. Within one timestamp
	// tick, a write that lands after hashing leaves (size, mtime, ctime)
	// unchanged, so a fresh entry could pin stale content for good ("racy
	// git"). Linux stamps files from the coarse clock, which advances once a
	// jiffy: at most 10 ms (HZ=100). ext4, XFS, btrfs, tmpfs, APFS and NTFS
	// store nanoseconds, so 20 ms is two ticks of margin on all of them.
	racyWindow = 20 * time.Millisecond
	// coarseRacyWindow replaces racyWindow on file systems that keep whole
	// seconds (ext3, HFS+: 1 s; FAT: 2 s), recognised by a change time with
	// no sub-second part.
	coarseRacyWindow = 2*time.Second + racyWindow

	// touchAfter is how stale an entry's last-used time may get before a hit
	// rewrites it; refreshing at most daily keeps an unchanged re-log free of
	// writes while staying far inside pruneAfter.
	touchAfter = 24 * time.Hour
	// pruneAfter is how long an entry may go unused before it is deleted.
	pruneAfter = 30 * 24 * time.Hour
	// pruneEvery is how often a Flush looks for unused entries.
	pruneEvery = 24 * time.Hour

	// busyTimeout is how long a statement waits for another process's
	// write lock before giving up with SQLITE_BUSY.
	busyTimeout = 5 * time.Second

	// statSchemaVersion is stored in PRAGMA user_version.
	statSchemaVersion = 1
)

const statSchema = `
CREATE TABLE IF NOT EXISTS stat (
	path  TEXT PRIMARY KEY,
	entry BLOB NOT NULL,    -- see statEntry.marshal
	used  INTEGER NOT NULL  -- unix seconds of the last Record or refreshed hit
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
PRAGMA user_version = 1;
`

// statKey is what must be unchanged for a cached digest to still describe a
// file. Unknown fields are zero on both sides of the comparison.
type statKey struct {
	size  int64
	mtime int64 // ns since the epoch
	ctime int64 // ns since the epoch
	ino   uint64
	dev   uint64
}

// keyOf returns fi's identity.
func keyOf(fi fs.FileInfo) statKey {
	k := statKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	sysIdentity(fi, &k)
	return k
}

// statEntry is one row of the stat table.
type statEntry struct {
	key    statKey
	digest core.Digest
	used   int64 // unix seconds
}

// entrySize is the length of a marshalled entry.
const entrySize = 5*8 + len(core.Digest{})

// marshal packs the identity and digest into one column: size, mtime,
// ctime, inode and device as 8-byte big-endian integers, then the digest.
// One column instead of six trims Preload, whose cost in the driver is per
// column fetched (about a quarter less time for 10,000 rows).
func (e statEntry) marshal() []byte {
	b := make([]byte, 0, entrySize)
	b = binary.BigEndian.AppendUint64(b, uint64(e.key.size))
	b = binary.BigEndian.AppendUint64(b, uint64(e.key.mtime))
	b = binary.BigEndian.AppendUint64(b, uint64(e.key.ctime))
	b = binary.BigEndian.AppendUint64(b, e.key.ino)
	b = binary.BigEndian.AppendUint64(b, e.key.dev)
	return append(b, e.digest[:]...)
}

// unmarshal reads what marshal wrote and reports whether b had its shape.
func (e *statEntry) unmarshal(b []byte) bool {
	if len(b) != entrySize {
		return false
	}
	e.key.size = int64(binary.BigEndian.Uint64(b[0:]))
	e.key.mtime = int64(binary.BigEndian.Uint64(b[8:]))
	e.key.ctime = int64(binary.BigEndian.Uint64(b[16:]))
	e.key.ino = binary.BigEndian.Uint64(b[24:])
	e.key.dev = binary.BigEndian.Uint64(b[32:])
	copy(e.digest[:], b[40:])
	return true
}

// StatCache maps a file's identity — absolute path, size, mtime, ctime,
// inode and device — to the digest of its content. It is backed by a SQLite
// file that several processes may use at once. Lookup and Record are safe for
// concurrent use and never fail: a cache problem is a miss, and Flush
// reports write failures. A nil *StatCache is a valid, always-empty cache, so
// a caller whose OpenStatCache failed can carry on without branching.
type StatCache struct {
	db     *sql.DB
	lookup *sql.Stmt
	now    func() time.Time

	flushMu sync.Mutex // serialises Flush so that later entries are written last

	mu sync.Mutex
	// entries holds what Preload, point queries and Record learned.
	entries map[string]statEntry
	// covered lists directory prefixes (ending in a separator) that Preload
	// loaded in full: a path under one of them that is not in entries is a
	// miss without a query.
	covered []string
	pending map[string]statEntry // recorded, not yet written
	touched map[string]int64     // hit paths whose used time is due a refresh
	closed  bool
}

// OpenStatCache opens or creates the stat cache at path, e.g.
// <DefaultDir>/stat.db, creating its directory. An error (core.ErrCorrupt
// for a file that is not a valid cache) means the caller should run without
// one; removing the file is then safe.
func OpenStatCache(ctx context.Context, path string) (*StatCache, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "stat cache %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("stat cache: %w", err)
	}
	tighten(filepath.Dir(abs))
	if err := privateDB(abs); err != nil {
		return nil, fmt.Errorf("stat cache: %w", err)
	}
	// A file: URI keeps '?', '#' and '%' in the path from being read as URI
	// syntax. Immediate transactions take the write lock up front, where the
	// busy timeout applies, instead of failing on upgrade. WAL is set once,
	// in init: it is persistent, and setting it per connection would expose
	// every new connection to the conversion race init retries.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // file:///C:/… on Windows
	}
	dsn := (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, dbError(err, "stat cache %s", abs)
	}
	c := &StatCache{
		db:      db,
		now:     time.Now,
		entries: make(map[string]statEntry),
		pending: make(map[string]statEntry),
		touched: make(map[string]int64),
	}
	// Idle connections are kept for the point queries of several hashing
	// goroutines; opening one per query would cost more than the query.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	if err := c.initRetrying(ctx); err != nil {
		db.Close()
		return nil, dbError(err, "stat cache %s", abs)
	}
	return c, nil
}

// initRetrying runs init, retrying while it fails with SQLITE_BUSY for up to
// busyTimeout. Switching a new file to WAL takes an exclusive lock that the
// busy handler does not always cover: processes opening a fresh cache
// together were seen to get SQLITE_BUSY at once instead of waiting.
func (c *StatCache) initRetrying(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := c.init(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// init switches the file to WAL, creates or checks the schema and prepares
// the point query.
func (c *StatCache) init(ctx context.Context) error {
	var mode string
	if err := c.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	var v int
	if err := c.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	switch {
	case v == 0:
		// Two processes may race to create the schema; both statements are
		// idempotent, so the loser just repeats the winner's work.
		if _, err := c.db.ExecContext(ctx, statSchema); err != nil {
			return err
		}
	case v > statSchemaVersion:
		return fmt.Errorf("schema version %d is newer than this trove understands (%d)", v, statSchemaVersion)
	}
	if c.lookup != nil {
		return nil
	}
	var err error
	c.lookup, err = c.db.PrepareContext(ctx,
		"SELECT entry, used FROM stat WHERE path = ?")
	return err
}

// Preload loads every entry under directory dir (an absolute path) with one
// range query, so that Lookup of files below dir costs a map access; a file
// under dir that has no entry is then a miss without a query. Call it before
// walking dir. Entries recorded by other processes after Preload are not
// seen (they are misses, never wrong). Safe for concurrent use.
func (c *StatCache) Preload(ctx context.Context, dir string) error {
	if c == nil {
		return nil
	}
	if !filepath.IsAbs(dir) {
		return core.Errorf(core.ErrInvalid, "stat cache preload: %q is not an absolute path", dir)
	}
	lo := filepath.Clean(dir)
	if !strings.HasSuffix(lo, string(filepath.Separator)) {
		lo += string(filepath.Separator)
	}
	// SQLite compares TEXT bytewise, so [lo, hi) is exactly the paths that
	// start with lo.
	hi := lo[:len(lo)-1] + string(rune(filepath.Separator+1))
	rows, err := c.db.QueryContext(ctx,
		"SELECT path, entry, used FROM stat WHERE path >= ? AND path < ?", lo, hi)
	if err != nil {
		return dbError(err, "stat cache preload %s", dir)
	}
	defer rows.Close()
	loaded := make(map[string]statEntry)
	var p, b sql.RawBytes // outside the loop: Scan's pointers would make them escape on every row
	var e statEntry
	for rows.Next() {
		if err := rows.Scan(&p, &b, &e.used); err != nil {
			return dbError(err, "stat cache preload %s", dir)
		}
		if e.unmarshal(b) { // else not ours; a miss is always safe
			loaded[string(p)] = e
		}
	}
	if err := rows.Err(); err != nil {
		return dbError(err, "stat cache preload %s", dir)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.pending {
		// What this process recorded is newer than what it just read.
		delete(loaded, p)
	}
	if len(c.entries) == 0 {
		c.entries = loaded
	} else {
		maps.Copy(c.entries, loaded)
	}
	if !slices.Contains(c.covered, lo) {
		c.covered = append(c.covered, lo)
	}
	return nil
}

// Lookup returns the digest recorded for the file at absPath if fi — from an
// lstat or stat of absPath taken now — still matches the recorded size,
// mtime, ctime, inode and device (size and mtime only where the platform's
// stat is not available). A miss, a non-regular file and any cache error all
// return false. Safe for concurrent use.
func (c *StatCache) Lookup(absPath string, fi fs.FileInfo) (core.Digest, bool) {
	if c == nil || fi == nil || !fi.Mode().IsRegular() {
		return core.Digest{}, false
	}
	k := keyOf(fi)
	c.mu.Lock()
	e, ok := c.entries[absPath]
	skipQuery := ok || c.closed || c.coveredLocked(absPath)
	c.mu.Unlock()
	if !skipQuery {
		e, ok = c.query(absPath)
	}
	if !ok || e.key != k {
		return core.Digest{}, false
	}
	if now := c.now().Unix(); now-e.used > int64(touchAfter/time.Second) {
		c.mu.Lock()
		if !c.closed {
			c.touched[absPath] = now
		}
		c.mu.Unlock()
	}
	return e.digest, true
}

// coveredLocked reports whether a preloaded directory holds p.
func (c *StatCache) coveredLocked(p string) bool {
	for _, dir := range c.covered {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	return false
}

// query reads one entry from the database and remembers it.
func (c *StatCache) query(p string) (statEntry, bool) {
	var e statEntry
	var b []byte
	if err := c.lookup.QueryRow(p).Scan(&b, &e.used); err != nil || !e.unmarshal(b) {
		return statEntry{}, false
	}
	c.mu.Lock()
	if _, known := c.entries[p]; !known {
		c.entries[p] = e
	}
	c.mu.Unlock()
	return e, true
}

// Record remembers that the regular file at absPath, described by fi, has
// digest d. fi must come from an lstat or stat taken before hashing began,
// and hashStart must be no later than the first read of the content. A file
// changed within a racy window before hashStart is not recorded: a later
// write in the same timestamp tick would leave its stat unchanged (see
// racyWindow). Entries reach the database at the next Flush. Safe for
// concurrent use; recording a path again replaces its entry.
func (c *StatCache) Record(absPath string, fi fs.FileInfo, d core.Digest, hashStart time.Time) {
	if c == nil || fi == nil || !fi.Mode().IsRegular() || d.IsZero() || !filepath.IsAbs(absPath) {
		return
	}
	k := keyOf(fi)
	if isRacy(k, hashStart) {
		return
	}
	e := statEntry{key: k, digest: d, used: c.now().Unix()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.entries[absPath] = e
	c.pending[absPath] = e
	delete(c.touched, absPath)
}

// isRacy reports whether k's timestamps are too close to hashStart (or after
// it) for a same-tick write after hashing to be ruled out.
func isRacy(k statKey, hashStart time.Time) bool {
	// The change time is always stamped by the file system's clock, whereas
	// mtime may be set by hand (tar, rsync keep whole seconds), so ctime
	// tells the file system's granularity best.
	tick := k.ctime
	if tick == 0 {
		tick = k.mtime
	}
	window := racyWindow
	if tick%int64(time.Second) == 0 {
		window = coarseRacyWindow
	}
	limit := hashStart.Add(-window).UnixNano()
	return k.mtime >= limit || k.ctime >= limit
}

// Flush writes the entries recorded since the last Flush, and the refreshed
// last-used times of hits, in one transaction, and at most once a day prunes
// entries unused for 30 days. With nothing to write it does nothing. On
// failure the entries are kept for the next Flush or Close and the error is
// returned for the caller to report; the cache stays usable. Safe for
// concurrent use.
func (c *StatCache) Flush(ctx context.Context) error {
	if c == nil {
		return nil
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	return c.flushLocked(ctx)
}

// flushLocked is Flush with flushMu held.
func (c *StatCache) flushLocked(ctx context.Context) error {
	c.mu.Lock()
	pending, touched := c.pending, c.touched
	if len(pending) == 0 && len(touched) == 0 {
		c.mu.Unlock()
		return nil
	}
	c.pending, c.touched = make(map[string]statEntry), make(map[string]int64)
	c.mu.Unlock()

	if err := c.write(ctx, pending, touched); err != nil {
		c.mu.Lock()
		for p, e := range pending {
			if _, newer := c.pending[p]; !newer {
				c.pending[p] = e
			}
		}
		for p, t := range touched {
			if _, newer := c.pending[p]; !newer {
				c.touched[p] = max(c.touched[p], t)
			}
		}
		c.mu.Unlock()
		return dbError(err, "stat cache: writing %d entries", len(pending)+len(touched))
	}
	c.mu.Lock()
	for p, t := range touched {
		if e, ok := c.entries[p]; ok && e.used < t {
			e.used = t
			c.entries[p] = e
		}
	}
	c.mu.Unlock()
	return nil
}

// write runs one Flush transaction.
func (c *StatCache) write(ctx context.Context, pending map[string]statEntry, touched map[string]int64) (err error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if len(pending) > 0 {
		ins, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO stat (path, entry, used) VALUES (?, ?, ?)")
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, p := range sortedKeys(pending) {
			e := pending[p]
			if _, err := ins.ExecContext(ctx, p, e.marshal(), e.used); err != nil {
				return err
			}
		}
	}
	if len(touched) > 0 {
		upd, err := tx.PrepareContext(ctx, "UPDATE stat SET used = max(used, ?) WHERE path = ?")
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, p := range sortedKeys(touched) {
			if _, err := upd.ExecContext(ctx, touched[p], p); err != nil {
				return err
			}
		}
	}
	if err := c.prune(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// sortedKeys returns m's keys in order, so that inserts walk the primary key
// index sequentially.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// prune deletes entries unused for pruneAfter, if no process has done so
// within pruneEvery.
func (c *StatCache) prune(ctx context.Context, tx *sql.Tx) error {
	now := c.now()
	var last int64
	err := tx.QueryRowContext(ctx, "SELECT value FROM state WHERE key = 'pruned_at'").Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if now.Unix()-last < int64(pruneEvery/time.Second) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM stat WHERE used < ?", now.Add(-pruneAfter).Unix()); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT OR REPLACE INTO state (key, value) VALUES ('pruned_at', ?)", now.Unix())
	return err
}

// Close flushes and closes the cache. It returns the flush error, if any,
// but closes the database regardless. Lookup and Record still work after
// Close, as misses and no-ops.
func (c *StatCache) Close() error {
	if c == nil {
		return nil
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*busyTimeout)
	defer cancel()
	err := c.flushLocked(ctx)
	c.mu.Lock()
	c.closed = true
	c.pending, c.touched = nil, nil
	c.mu.Unlock()
	return errors.Join(err, c.lookup.Close(), c.db.Close())
}

// dbError gives a database error the kind its SQLite result code implies:
// ErrUnavailable when another process holds the lock too long, ErrCorrupt
// when the file is damaged or not a database.
func dbError(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if isBusy(err) {
		return core.Errorf(core.ErrUnavailable, "%s: %w", msg, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return core.Errorf(core.ErrCorrupt, "%s: %w", msg, err)
		}
	}
	return fmt.Errorf("%s: %w", msg, err)
}
