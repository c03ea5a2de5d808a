package meta

import (
	"context"
	"database/sql"
	"time"
)

// SetSourceForTest makes version link a registry link of version source, as
// the registry feature does, for tests of what links keep alive.
func SetSourceForTest(ctx context.Context, s *Store, link, source int64) error {
	_, err := s.wdb.ExecContext(ctx, s.d.rebind(`UPDATE versions SET source_id = ? WHERE id = ?`), source, link)
	return err
}

// DeletedAtForTest returns the deleted_at of version id, zero when unset.
func DeletedAtForTest(ctx context.Context, s *Store, id int64) (time.Time, error) {
	var us sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT deleted_at FROM versions WHERE id = ?`), id).Scan(&us)
	if err != nil || !us.Valid {
		return time.Time{}, err
	}
	return fromMicros(us.Int64), nil
}
