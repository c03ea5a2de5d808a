package meta

import (
	"bytes"
	"context"
	"database/sql"
	"slices"

	"github.com/troveml/trove/internal/core"
)

// BlobUse is a stored blob that live metadata references, for verification.
type BlobUse struct {
	Digest core.Digest
	// Size is the size the manifests record.
	Size int64
	// Versions are the full names (entity/project/name:vN) of the committed
	// versions whose manifests hold the blob, and of the committed registry
	// links to them, sorted; empty for a blob only a pending (distributed)
	// artifact holds so far.
	Versions []string
}

// BlobUses returns every blob (entries without a reference URI) of the
// committed versions and of the open pending artifacts, sorted by digest,
// each once with the versions that reference it. It reads one snapshot and
// holds the whole answer in memory: about 150 bytes per (blob, version)
// pair.
func (s *Store) BlobUses(ctx context.Context) ([]BlobUse, error) {
	var uses []BlobUse
	err := s.read(ctx, func(q q) error {
		rows, err := q.query(ctx, `
			SELECT e.digest, e.size, en.name, p.name, c.name, v.idx
			FROM entries e
			JOIN versions v ON v.id = e.version_id
			JOIN collections c ON c.id = v.collection_id
			JOIN projects p ON p.id = c.project_id
			JOIN entities en ON en.id = p.entity_id
			WHERE e.ref = '' AND v.state = 'committed'
			UNION ALL
			SELECT e.digest, e.size, en.name, p.name, c.name, l.idx
			FROM entries e
			JOIN versions v ON v.id = e.version_id
			JOIN versions l ON l.source_id = v.id
			JOIN collections c ON c.id = l.collection_id
			JOIN projects p ON p.id = c.project_id
			JOIN entities en ON en.id = p.entity_id
			WHERE e.ref = '' AND v.state = 'committed' AND l.state = 'committed'
			UNION ALL
			SELECT pe.digest, pe.size, NULL, NULL, NULL, NULL
			FROM pending_entries pe
			JOIN pending_artifacts pa ON pa.id = pe.pending_id
			WHERE pe.ref = '' AND pa.state = 'open'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		byDigest := make(map[string]*BlobUse)
		for rows.Next() {
			var (
				digest                string
				size                  int64
				entity, project, name sql.NullString
				idx                   sql.NullInt64
			)
			if err := rows.Scan(&digest, &size, &entity, &project, &name, &idx); err != nil {
				return err
			}
			u := byDigest[digest]
			if u == nil {
				d, err := core.ParseDigest(digest)
				if err != nil {
					return core.Errorf(core.ErrCorrupt, "stored entry digest %q: %w", digest, err)
				}
				u = &BlobUse{Digest: d, Size: size, Versions: []string{}}
				byDigest[digest] = u
			}
			if name.Valid {
				v := core.Version{Entity: entity.String, Project: project.String, Name: name.String, Index: int(idx.Int64)}
				u.Versions = append(u.Versions, v.FullName())
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		uses = make([]BlobUse, 0, len(byDigest))
		for _, u := range byDigest {
			slices.Sort(u.Versions)
			u.Versions = slices.Compact(u.Versions)
			uses = append(uses, *u)
		}
		slices.SortFunc(uses, func(a, b BlobUse) int { return bytes.Compare(a.Digest[:], b.Digest[:]) })
		return nil
	})
	return uses, err
}
