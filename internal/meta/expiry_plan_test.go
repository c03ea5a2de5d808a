package meta

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The due check, run before every lookup, must use the index of live
// expiring versions rather than scan versions.
func TestExpiryUsesIndexSQLite(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.rdb.QueryContext(t.Context(), `EXPLAIN QUERY PLAN SELECT 1 FROM versions v WHERE `+dueWhere+` LIMIT 1`, micros(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if !strings.Contains(plan[0], "versions_due") {
		t.Errorf("due check plan = %q, want the versions_due index", plan)
	}
}
