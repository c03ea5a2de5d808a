package meta

import (
	"context"
	"slices"
	"time"

	"github.com/troveml/trove/internal/core"
)

// expireBatch bounds how many versions one ExpireDue transaction expires, so
// that a sweep after a long pause never holds the write lock for long.
const expireBatch = 500

// dueWhere selects, from versions v, the committed versions whose expiry is
// at or before the bound time (the one argument) and that no committed
// registry link points at: a linked source stays until it is unlinked.
const dueWhere = `v.state = 'committed' AND v.expires_at IS NOT NULL AND v.expires_at <= ?
	AND NOT EXISTS (SELECT 1 FROM versions l WHERE l.source_id = v.id AND l.state = 'committed')`

// setTTL makes version id expire at its created_at + ttl, or never for ttl
// 0. The caller holds the collection's lock.
func setTTL(ctx context.Context, q q, id int64, ttl time.Duration) error {
	if ttl <= 0 {
		_, err := q.exec(ctx, `UPDATE versions SET expires_at = NULL WHERE id = ?`, id)
		return err
	}
	_, err := q.exec(ctx, `UPDATE versions SET expires_at = created_at + ? WHERE id = ?`, ttl.Microseconds(), id)
	return err
}

// ExpireDue deletes, as DeleteVersionAt with deleteAliases does, the
// committed versions whose expires_at is at or before now, except those a
// committed registry link points at (versions.source_id), and returns them
// (state deleted, with the aliases they had). It expires at most a batch
// (500) in one transaction, oldest collection first: call it again while it
// returns that many. When nothing is due it costs one indexed read and
// writes nothing, so callers may run it before every lookup. Concurrent
// calls expire each version once.
func (s *Store) ExpireDue(ctx context.Context, now time.Time) ([]core.Version, error) {
	var due int
	if err := s.readOne(ctx, func(q q) error {
		return q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM versions v WHERE `+dueWhere+` LIMIT 1) d`,
			micros(now)).Scan(&due)
	}); err != nil {
		return nil, err
	}
	if due == 0 {
		return []core.Version{}, nil
	}
	var expired []core.Version
	err := s.write(ctx, func(q q) error {
		expired = []core.Version{}
		vs, err := queryVersions(ctx, q, versionSelect+`WHERE `+dueWhere+` ORDER BY v.collection_id, v.id LIMIT ?`,
			micros(now), expireBatch)
		if err != nil {
			return err
		}
		// Lock each collection, in id order so that two sweeps never
		// deadlock, before changing its versions and latest.
		cols := make(map[int64][]core.Version)
		for _, v := range vs {
			var col int64
			if err := q.queryRow(ctx, `SELECT collection_id FROM versions WHERE id = ?`, v.ID).Scan(&col); err != nil {
				return err
			}
			cols[col] = append(cols[col], v)
		}
		ids := make([]int64, 0, len(cols))
		for col := range cols {
			ids = append(ids, col)
		}
		slices.Sort(ids)
		for _, col := range ids {
			var locked int64
			if err := q.queryRow(ctx, `SELECT id FROM collections WHERE id = ?`+q.d.forUpdate, col).Scan(&locked); err != nil {
				return err
			}
			changed := false
			for _, v := range cols[col] {
				// Re-checked under the lock: another sweep, a delete or
				// a new link may have come first.
				res, err := q.exec(ctx, `UPDATE versions SET state = 'deleted', deleted_at = ?
					WHERE id = ? AND `+dueWhereOn("versions"), micros(now), v.ID, micros(now))
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n == 0 {
					continue
				}
				if _, err := q.exec(ctx, `DELETE FROM aliases WHERE version_id = ?`, v.ID); err != nil {
					return err
				}
				v.State = core.VersionDeleted
				expired = append(expired, v)
				changed = true
			}
			if changed {
				if err := refreshLatest(ctx, q, col); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return expired, nil
}

// dueWhereOn is dueWhere for an UPDATE of table, which cannot alias it as v.
func dueWhereOn(table string) string {
	return table + `.state = 'committed' AND ` + table + `.expires_at IS NOT NULL AND ` + table + `.expires_at <= ?
	AND NOT EXISTS (SELECT 1 FROM versions l WHERE l.source_id = ` + table + `.id AND l.state = 'committed')`
}
