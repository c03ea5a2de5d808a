package meta

import (
	"errors"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestPostgresDriverMissing: a program that did not import the PostgreSQL
// driver (the SDK alone) is told which import to add, in one line, and
// nothing is opened. This test binary has the driver (pgschema imports
// it), so a name nobody registered stands in for it.
func TestPostgresDriverMissing(t *testing.T) {
	_, err := openDriverDB("pgx-not-registered", "postgres://postgres@127.0.0.1:5432/test")
	want := `postgres:// stores need: import _ "github.com/troveml/trove/scheme/postgres"`
	if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v; want invalid with %s", err, want)
	}
	db, err := openPostgresDB("postgres://postgres@127.0.0.1:5432/test")
	if err != nil {
		t.Fatalf("with the driver registered: %v", err)
	}
	db.Close()
}

// TestPostgresBadURL: a URL the driver cannot parse is invalid input, found
// on the first connection, and its password is not shown.
func TestPostgresBadURL(t *testing.T) {
	_, err := OpenPostgres(t.Context(), "postgres://postgres:secret@127.0.0.1:5432/test?sslmode=bogus")
	if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "sslmode") || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %v; want invalid, naming sslmode, without the password", err)
	}
}
