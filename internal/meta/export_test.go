package meta

import "context"

// SetSourceForTest makes version link a registry link of version source, as
// the registry feature does, for tests of what links keep alive.
func SetSourceForTest(ctx context.Context, s *Store, link, source int64) error {
	_, err := s.wdb.ExecContext(ctx, s.d.rebind(`UPDATE versions SET source_id = ? WHERE id = ?`), source, link)
	return err
}
