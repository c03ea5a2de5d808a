package meta

import (
	"context"
)

// ProjectInfo is a project with its visibility and sizes, as trove project
// ls shows it.
type ProjectInfo struct {
	Entity, Name string
	Public       bool
	Artifacts    int // collections with at least one committed version
	Runs         int
}

// ProjectInfos lists the projects of entity, or of every entity when
// entity is "", by entity then name, with their visibility and counts; the
// registries (the reserved entity "registry") are not projects to list. An
// unknown entity has none. It is one statement; each count starts from an
// index on the project (collections' and runs' unique keys). Safe for
// concurrent use.
func (s *Store) ProjectInfos(ctx context.Context, entity string) ([]ProjectInfo, error) {
	out := []ProjectInfo{}
	err := s.readOne(ctx, func(q q) error {
		rows, err := q.query(ctx, `SELECT en.name, p.name, p.public,
				(SELECT COUNT(*) FROM collections c WHERE c.project_id = p.id
					AND EXISTS (SELECT 1 FROM versions v WHERE v.collection_id = c.id AND v.state = 'committed')),
				(SELECT COUNT(*) FROM runs r WHERE r.project_id = p.id)
			FROM projects p JOIN entities en ON en.id = p.entity_id
			WHERE en.name <> 'registry' AND (? = '' OR en.name = ?)
			ORDER BY en.name, p.name`, entity, entity)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p ProjectInfo
			if err := rows.Scan(&p.Entity, &p.Name, &p.Public, &p.Artifacts, &p.Runs); err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
