// Package pgschema gives each test its own PostgreSQL schema, so tests on
// one database are independent and may run in parallel. It does not import
// the store, so the store's own internal tests may use it too.
package pgschema

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	// The PostgreSQL driver the store opens by name, registered for every
	// test that asks for a database (as github.com/troveml/trove/scheme/postgres
	// registers it for the trove command).
	_ "github.com/jackc/pgx/v5/stdlib"
)

// DefaultDSN is the database tests use when TROVE_TEST_POSTGRES is unset.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// unreachable remembers the first failure to connect, so that a test run
// without a server skips every later test at once instead of waiting for a
// connection timeout each time.
var unreachable struct {
	sync.Mutex
	err error
}

// URL creates a fresh, empty schema t_<random> in the test database and
// returns the database's URL with search_path set to it; the schema is
// dropped when the test ends. The database is env TROVE_TEST_POSTGRES
// (default DefaultDSN, a postgres:// URL). When it is unreachable the test
// is skipped, or fails if env TROVE_REQUIRE_ALL=1.
func URL(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("TROVE_TEST_POSTGRES")
	if dsn == "" {
		dsn = DefaultDSN
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("TROVE_TEST_POSTGRES must be a postgres:// URL, not %q", dsn)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)

	unreachable.Lock()
	prev := unreachable.err
	unreachable.Unlock()
	if prev != nil {
		unavailable(tb, u, prev)
	}
	reached, err := exec(tb.Context(), dsn, `CREATE SCHEMA `+schema)
	if !reached {
		unreachable.Lock()
		unreachable.err = err
		unreachable.Unlock()
		unavailable(tb, u, err)
	}
	if err != nil {
		tb.Fatalf("creating test schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		// The test's context is done by now.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := exec(ctx, dsn, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("dropping test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func unavailable(tb testing.TB, u *url.URL, err error) {
	tb.Helper()
	if os.Getenv("TROVE_REQUIRE_ALL") == "1" {
		tb.Fatalf("PostgreSQL at %s is required (TROVE_REQUIRE_ALL=1): %v", u.Redacted(), err)
	}
	tb.Skipf("PostgreSQL at %s is unavailable (set TROVE_TEST_POSTGRES): %v", u.Redacted(), err)
}

// exec runs one statement on a connection of its own; reached reports
// whether it could connect.
func exec(ctx context.Context, dsn, stmt string) (reached bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false, err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(ctx, stmt)
	return true, err
}
