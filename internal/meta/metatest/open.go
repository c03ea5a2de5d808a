package metatest

import (
	"path/filepath"
	"testing"

	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
)

// OpenSQLite returns a store on a fresh SQLite file in tb.TempDir(), closed
// when the test ends.
func OpenSQLite(tb testing.TB) *meta.Store {
	tb.Helper()
	s, err := meta.OpenSQLite(tb.Context(), filepath.Join(tb.TempDir(), "meta.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// OpenPostgres returns a store on a fresh schema of the test database (see
// pgschema.URL: skipped when PostgreSQL is unreachable, unless
// TROVE_REQUIRE_ALL=1), closed and dropped when the test ends.
func OpenPostgres(tb testing.TB) *meta.Store {
	tb.Helper()
	return OpenURL(tb, pgschema.URL(tb))
}

// OpenURL opens the store at url (see meta.Open) and closes it when the
// test ends; several stores on one database stand for several processes or
// server replicas.
func OpenURL(tb testing.TB, url string) *meta.Store {
	tb.Helper()
	s, err := meta.Open(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}
