package meta

import (
	"context"
	"math"
	"slices"

	"github.com/troveml/trove/internal/core"
)

// checkPendingTotal refuses (core.ErrInvalid) entries whose sizes would
// make pending artifact id's entries add up to more than an int64 holds:
// finishing it could never build its manifest (core.NewManifest refuses such
// a total), so the artifact would be stuck. Stored files are checked
// against their blobs, but a reference's size is what its remote reported,
// so only this check bounds the sum.
//
// Summing a large pending artifact's sizes on every upsert would cost a scan
// of its entries each time, so batches of stored files under a terabyte are
// let through unsummed: each of their entries is its blob's size, and a
// total past 2^63 bytes would take some eight million such upserts. The
// database adds the sizes up as floating point, which cannot overflow; only
// a total within a factor two of the limit is summed again exactly, here.
func checkPendingTotal(ctx context.Context, q q, id int64, m core.Manifest) error {
	add := m.Size() // cannot overflow: NewManifest checked it
	refs := slices.ContainsFunc(m.Entries(), func(e core.Entry) bool { return e.Ref != "" })
	if !refs && add < 1<<40 {
		return nil
	}
	var approx float64
	if err := q.queryRow(ctx, `SELECT COALESCE(SUM(CAST(size AS DOUBLE PRECISION)), 0) FROM pending_entries WHERE pending_id = ?`,
		id).Scan(&approx); err != nil {
		return err
	}
	if approx+float64(add) < math.MaxInt64/2 {
		return nil
	}
	rows, err := q.query(ctx, `SELECT size FROM pending_entries WHERE pending_id = ?`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	total := add
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if n < 0 || n > math.MaxInt64-total {
			return core.Errorf(core.ErrInvalid, "the entries would make the pending artifact's sizes add up to more than %d bytes", int64(math.MaxInt64))
		}
		total += n
	}
	return rows.Err()
}
