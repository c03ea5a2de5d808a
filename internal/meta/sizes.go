package meta

import (
	"context"
	"database/sql"
	"errors"
)

// SizeKnown reports whether any version, of any state, has a file entry of
// exactly size bytes. Large files rarely share a size by chance, so a "no"
// means new content: the caller may upload it without hashing it first,
// knowing the upload cannot be a duplicate. It is an index lookup.
func (s *Store) SizeKnown(ctx context.Context, size int64) (bool, error) {
	var one int
	err := s.readOne(ctx, func(q q) error {
		err := q.queryRow(ctx, `SELECT 1 FROM entries WHERE size = ? AND ref = '' LIMIT 1`, size).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			one = 0
			return nil
		}
		return err
	})
	return one == 1, err
}
