package meta

import (
	"context"
	"path/filepath"
	"testing"
)

// Commits are durable by default: synchronous(FULL) (2) on every
// connection, the read pool's included; NoSync gives NORMAL (1).
func TestSQLiteSynchronous(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		o    Options
		want int
	}{{Options{}, 2}, {Options{NoSync: true}, 1}} {
		s, err := OpenSQLiteWith(ctx, filepath.Join(t.TempDir(), "meta.db"), tc.o)
		if err != nil {
			t.Fatal(err)
		}
		var w, r int
		if err := s.wdb.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&w); err != nil {
			t.Fatal(err)
		}
		if err := s.rdb.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&r); err != nil {
			t.Fatal(err)
		}
		if w != tc.want || r != tc.want {
			t.Errorf("%+v: PRAGMA synchronous = %d (write), %d (read); want %d", tc.o, w, r, tc.want)
		}
		s.Close()
	}
}
