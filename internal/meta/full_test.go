package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/troveml/trove/internal/core"
)

// TestFullSQLite: a write that finds the database full fails in one line
// saying so, of kind unavailable and matching syscall.ENOSPC (so a server
// answers 507), changes nothing, and leaves a sound database that takes
// writes again once there is room. SQLite's max_page_count makes the
// database full without filling a disk (cmd/trove's TestDiskFull fills a
// real one).
func TestFullSQLite(t *testing.T) {
	s := openFile(t)
	ctx := t.Context()
	var pages int
	if err := s.wdb.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// The write pool is one connection, kept open: the limit holds for
	// every write.
	if _, err := s.wdb.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+8)); err != nil {
		t.Fatal(err)
	}
	config, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", 16<<10)})
	created := 0
	var err error
	for i := range 100 {
		_, err = s.CreateRun(ctx, NewRun{ID: fmt.Sprintf("run%d", i), Entity: "alice", Project: "p", Config: config, Now: time.Now()})
		if err != nil {
			break
		}
		created++
	}
	if err == nil {
		t.Fatal("100 runs of 16 KiB fitted in 8 pages more")
	}
	if !errors.Is(err, core.ErrUnavailable) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "database is full") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("full database: %v (kind %v), want one line of kind unavailable saying the database is full, matching ENOSPC", err, core.KindOf(err))
	}
	runs, lerr := s.ListRuns(ctx, "alice", "p")
	if lerr != nil || len(runs) != created {
		t.Errorf("after the failed write: %d runs (%v), want the %d that were created", len(runs), lerr, created)
	}
	var check string
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("quick_check: %q, %v", check, err)
	}
	if _, err := s.wdb.ExecContext(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRun(ctx, NewRun{ID: "later", Entity: "alice", Project: "p", Config: config, Now: time.Now()}); err != nil {
		t.Errorf("a write once there is room: %v", err)
	}
}

// TestFullPostgres: PostgreSQL's disk_full (53100) is a full database as
// SQLite's SQLITE_FULL is. A PostgreSQL server's disk cannot be filled from
// a test, so the classification is checked on the error itself.
func TestFullPostgres(t *testing.T) {
	s := &Store{d: postgresDialect}
	pe := &pgconn.PgError{Severity: "ERROR", Code: "53100", Message: `could not extend file "base/16384/16397": No space left on device`}
	err := s.dbErr(fmt.Errorf("inserting: %w", pe), "write")
	if !errors.Is(err, core.ErrUnavailable) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "database is full") {
		t.Errorf("disk_full: %v, want unavailable, ENOSPC, \"database is full\"", err)
	}
	var got *pgconn.PgError
	if !errors.As(err, &got) {
		t.Errorf("the database's own error is not reachable")
	}
	if err := s.dbErr(&pgconn.PgError{Code: "23503"}, "write"); errors.Is(err, syscall.ENOSPC) {
		t.Errorf("a foreign key violation reads as a full disk: %v", err)
	}
}
