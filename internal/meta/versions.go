package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// versionSelect reads core.Version rows (see queryVersions); a query adds its
// WHERE and ORDER BY, or joins more tables to v.
const versionSelect = `SELECT v.id, en.name, p.name, c.name, c.type, v.idx, v.digest, v.description,
		v.metadata, v.size, v.file_count, v.state, v.created_at, COALESCE(v.created_by, ''),
		COALESCE(v.source_id, 0), v.expires_at
	FROM versions v
	JOIN collections c ON c.id = v.collection_id
	JOIN projects p ON p.id = c.project_id
	JOIN entities en ON en.id = p.entity_id `

// entryBatch is how many entries one INSERT writes: few round trips on a
// server database, and far below every database's parameter limit.
const entryBatch = 200

// ListProjects returns the names of entity's projects, sorted; an empty slice
// for an unknown entity.
func (s *Store) ListProjects(ctx context.Context, entity string) ([]string, error) {
	names := []string{}
	err := s.read(ctx, func(q q) error {
		rows, err := q.query(ctx, `
			SELECT p.name FROM projects p JOIN entities en ON en.id = p.entity_id
			WHERE en.name = ? ORDER BY p.name`, entity)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	return names, err
}

// collectionSelect reads core.Collection rows (see queryCollections).
const collectionSelect = `SELECT en.name, p.name, c.name, c.type, c.created_at,
		(SELECT COUNT(*) FROM versions v WHERE v.collection_id = c.id AND v.state = 'committed'),
		(SELECT v.idx FROM aliases a JOIN versions v ON v.id = a.version_id
			WHERE a.collection_id = c.id AND a.alias = 'latest')
	FROM collections c
	JOIN projects p ON p.id = c.project_id
	JOIN entities en ON en.id = p.entity_id `

// ListCollections returns the collections of entity/project of type typ (""
// for all), sorted by name; an empty slice for an unknown project.
// Only collections with a committed version are listed: one whose versions
// are all deleted (or expired, or unlinked) is left out, as its versions
// are, though GetCollection still finds it and its indexes are not reused.
func (s *Store) ListCollections(ctx context.Context, entity, project, typ string) ([]core.Collection, error) {
	var cs []core.Collection
	err := s.read(ctx, func(q q) (err error) {
		query, args := collectionSelect+`WHERE en.name = ? AND p.name = ?
			AND EXISTS (SELECT 1 FROM versions v WHERE v.collection_id = c.id AND v.state = 'committed')`, []any{entity, project}
		if typ != "" {
			query, args = query+` AND c.type = ?`, append(args, typ)
		}
		cs, err = queryCollections(ctx, q, query+` ORDER BY c.name`, args...)
		return err
	})
	return cs, err
}

// GetCollection returns entity/project/name; core.ErrNotFound if there is no
// such collection.
func (s *Store) GetCollection(ctx context.Context, entity, project, name string) (core.Collection, error) {
	var cs []core.Collection
	err := s.read(ctx, func(q q) (err error) {
		cs, err = queryCollections(ctx, q, collectionSelect+`WHERE en.name = ? AND p.name = ? AND c.name = ?`,
			entity, project, name)
		return err
	})
	if err != nil {
		return core.Collection{}, err
	}
	if len(cs) == 0 {
		return core.Collection{}, core.Errorf(core.ErrNotFound, "artifact %s/%s/%s not found", entity, project, name)
	}
	return cs[0], nil
}

func queryCollections(ctx context.Context, q q, query string, args ...any) ([]core.Collection, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cs := []core.Collection{}
	for rows.Next() {
		var (
			c       core.Collection
			created int64
			latest  sql.NullInt64
		)
		if err := rows.Scan(&c.Entity, &c.Project, &c.Name, &c.Type, &created, &c.VersionCount, &latest); err != nil {
			return nil, err
		}
		c.CreatedAt = fromMicros(created)
		if latest.Valid {
			c.Latest = core.VersionLabel(int(latest.Int64))
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// collection is a collection row as a commit sees it.
type collection struct {
	id  int64
	typ string
}

// CommitVersion logs c.Manifest as a version of c.Entity/c.Project/c.Name,
// creating the entity, project and collection if missing, in one
// transaction. If a committed version of the collection has the manifest's
// digest, no version is created: the run gets an output edge to that version,
// c.Aliases move to it, and it is returned with created false (its
// description and metadata unchanged). Otherwise the new version takes the
// collection's next index, which concurrent committers never share or skip,
// gets c.Aliases (moved from other versions) and latest, and is returned with
// created true. core.ErrConflict if the collection exists with another type;
// core.ErrNotFound if c.RunID names no run; core.ErrInvalid for metadata that
// is not a JSON object.
func (s *Store) CommitVersion(ctx context.Context, c Commit) (v core.Version, created bool, err error) {
	if err := core.ValidateName(c.Name); err != nil {
		return v, false, err
	}
	if c.Type == "" {
		return v, false, core.Errorf(core.ErrInvalid, "artifact %s has no type", c.Name)
	}
	meta, err := jsonObject("metadata", c.Metadata)
	if err != nil {
		return v, false, err
	}
	digest := c.Manifest.Digest().String()
	if c.Manifest.Len() > stageThreshold && (!c.RequireBlobs || c.LeaseUntil.After(c.Now)) {
		return s.commitStaged(ctx, c, digest, meta)
	}
	err = s.write(ctx, func(q q) (err error) {
		v, created, err = commitTx(ctx, q, c, digest, meta, 0)
		return err
	})
	if err != nil {
		return core.Version{}, false, err
	}
	return v, created, nil
}

// commitTx is CommitVersion inside the caller's write transaction, so that
// other writes (finishing a distributed artifact) commit with the version
// or not at all. staged, when not 0, is the node id under which the
// manifest's entries were written already, its blobs checked and leased
// (commitStaged): a new version takes that id, and neither checks blobs nor
// writes entries.
func commitTx(ctx context.Context, q q, c Commit, digest, meta string, staged int64) (v core.Version, created bool, err error) {
	pid, err := ensureProject(ctx, q, c.Entity, c.Project, c.Now)
	if err != nil {
		return v, created, err
	}
	col, err := ensureCollection(ctx, q, pid, c)
	if err != nil {
		return v, created, err
	}
	var run int64
	if c.RunID != "" {
		if run, err = runNode(ctx, q, c.RunID); err != nil {
			return v, created, err
		}
	}
	var id int64
	err = q.queryRow(ctx, `SELECT id FROM versions WHERE collection_id = ? AND digest = ? AND state = 'committed'`,
		col.id, digest).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows) && staged != 0:
		created, id = true, staged
		if err := claimStaged(ctx, q, staged); err != nil {
			return v, created, err
		}
		if err := insertVersionRow(ctx, q, col, c, digest, meta, id); err != nil {
			return v, created, err
		}
	case errors.Is(err, sql.ErrNoRows):
		created = true
		if c.RequireBlobs {
			if err := checkBlobs(ctx, q, c.Manifest, c.Now); err != nil {
				return v, created, err
			}
		}
		if id, err = insertVersion(ctx, q, col, c, digest, meta); err != nil {
			return v, created, err
		}
	case err != nil:
		return v, created, err
	case c.TTL > 0:
		// The latest log's time-to-live wins, counted from the version's
		// creation like every time-to-live.
		if err := setTTL(ctx, q, id, c.TTL); err != nil {
			return v, created, err
		}
	}
	if run != 0 {
		if err := addEdge(ctx, q, run, id, "output", c.Now); err != nil {
			return v, created, err
		}
	}
	if err := putAliases(ctx, q, col.id, id, c.Aliases); err != nil {
		return v, created, err
	}
	if created {
		if err := refreshLatest(ctx, q, col.id); err != nil {
			return v, created, err
		}
	}
	v, err = getVersion(ctx, q, id)
	return v, created, err
}

// ensureCollection creates the commit's collection if missing and returns it,
// locked for the rest of the transaction. core.ErrConflict if it exists with
// another type.
func ensureCollection(ctx context.Context, q q, project int64, c Commit) (collection, error) {
	if _, err := q.exec(ctx, `
		INSERT INTO collections (project_id, name, type, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (project_id, name) DO NOTHING`, project, c.Name, c.Type, micros(c.Now)); err != nil {
		return collection{}, err
	}
	var col collection
	if err := q.queryRow(ctx, `SELECT id, type FROM collections WHERE project_id = ? AND name = ?`+q.d.forUpdate,
		project, c.Name).Scan(&col.id, &col.typ); err != nil {
		return collection{}, err
	}
	if col.typ != c.Type {
		return collection{}, core.Errorf(core.ErrConflict, "artifact %s is of type %s, not %s", c.Name, col.typ, c.Type)
	}
	return col, nil
}

// insertVersion writes a new committed version of col with its entries and
// returns its id. The index comes from the collection's counter, updated in
// the same transaction: a rollback gives it back, so indexes have no gaps.
func insertVersion(ctx context.Context, q q, col collection, c Commit, digest, meta string) (int64, error) {
	id, err := newNode(ctx, q, "version")
	if err != nil {
		return 0, err
	}
	if err := insertVersionRow(ctx, q, col, c, digest, meta, id); err != nil {
		return 0, err
	}
	return id, insertEntries(ctx, q, id, c.Manifest.Entries())
}

// insertVersionRow writes the row of a new committed version of col with
// node id id, without its entries.
func insertVersionRow(ctx context.Context, q q, col collection, c Commit, digest, meta string, id int64) error {
	var idx int64
	if err := q.queryRow(ctx, `UPDATE collections SET next_index = next_index + 1 WHERE id = ? RETURNING next_index - 1`,
		col.id).Scan(&idx); err != nil {
		return err
	}
	var createdBy, expires any
	if c.RunID != "" {
		createdBy = c.RunID
	}
	if c.TTL > 0 {
		expires = micros(c.Now) + c.TTL.Microseconds()
	}
	if _, err := q.exec(ctx, `
		INSERT INTO versions (id, collection_id, idx, digest, description, metadata, size, file_count,
			state, created_at, created_by, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'committed', ?, ?, ?)`,
		id, col.id, idx, digest, c.Description, meta, c.Manifest.Size(), c.Manifest.Len(),
		micros(c.Now), createdBy, expires); err != nil {
		return err
	}
	return nil
}

// insertEntries writes entries under version (or staged node) id.
func insertEntries(ctx context.Context, q q, id int64, entries []core.Entry) error {
	for len(entries) > 0 {
		batch := entries[:min(len(entries), entryBatch)]
		entries = entries[len(batch):]
		args := make([]any, 0, 6*len(batch))
		for _, e := range batch {
			var extra any
			if len(e.Extra) > 0 {
				b, err := json.Marshal(e.Extra)
				if err != nil {
					return err
				}
				extra = string(b)
			}
			args = append(args, id, e.Path, e.Digest.String(), e.Size, e.Ref, extra)
		}
		query := `INSERT INTO entries (version_id, path, digest, size, ref, extra) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(batch)), ", ")
		if _, err := q.exec(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

// putAliases points aliases of collection col at version id, taking each
// from whichever version held it. core.ErrTooLarge when the version would
// then have more than core.MaxAliases aliases besides latest (the caller's
// transaction rolls back).
func putAliases(ctx context.Context, q q, col, id int64, aliases []string) error {
	for _, a := range aliases {
		if _, err := q.exec(ctx, `
			INSERT INTO aliases (collection_id, alias, version_id) VALUES (?, ?, ?)
			ON CONFLICT (collection_id, alias) DO UPDATE SET version_id = excluded.version_id`,
			col, a, id); err != nil {
			return err
		}
	}
	if len(aliases) == 0 {
		return nil
	}
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM aliases WHERE version_id = ? AND alias <> 'latest'`, id).Scan(&n); err != nil {
		return err
	}
	if n > core.MaxAliases {
		return core.Errorf(core.ErrTooLarge, "a version may have at most %d aliases (besides latest); this one would have %d: remove some first",
			core.MaxAliases, n)
	}
	return nil
}

// refreshLatest points latest at the highest committed version of col, or
// removes it when none is left.
func refreshLatest(ctx context.Context, q q, col int64) error {
	if _, err := q.exec(ctx, `DELETE FROM aliases WHERE collection_id = ? AND alias = 'latest'`, col); err != nil {
		return err
	}
	_, err := q.exec(ctx, `
		INSERT INTO aliases (collection_id, alias, version_id)
		SELECT collection_id, 'latest', id FROM versions
		WHERE collection_id = ? AND state = 'committed'
		ORDER BY idx DESC LIMIT 1`, col)
	return err
}

// FindVersionByDigest returns the committed version of entity/project/name
// whose manifest digest is d; core.ErrNotFound if there is none.
func (s *Store) FindVersionByDigest(ctx context.Context, entity, project, name string, d core.Digest) (core.Version, error) {
	var vs []core.Version
	err := s.read(ctx, func(q q) (err error) {
		vs, err = queryVersions(ctx, q, versionSelect+`
			WHERE en.name = ? AND p.name = ? AND c.name = ? AND v.digest = ? AND v.state = 'committed'`,
			entity, project, name, d.String())
		return err
	})
	if err != nil {
		return core.Version{}, err
	}
	if len(vs) == 0 {
		return core.Version{}, core.Errorf(core.ErrNotFound, "no version of %s/%s/%s has digest %s", entity, project, name, d)
	}
	return vs[0], nil
}

// ResolveVersion returns the committed version r names: r.Entity and
// r.Project must be set; Selector "" or "latest" is the latest version, "vN"
// the version of index N, anything else an alias. core.ErrNotFound, naming r,
// if there is no such version.
func (s *Store) ResolveVersion(ctx context.Context, r core.Ref) (core.Version, error) {
	query, args := versionSelect+`WHERE en.name = ? AND p.name = ? AND c.name = ? AND v.state = 'committed' AND `,
		[]any{r.Entity, r.Project, r.Name}
	if i, ok := r.Index(); ok {
		query, args = query+`v.idx = ?`, append(args, i)
	} else {
		alias := r.Selector
		if alias == "" {
			alias = core.LatestAlias
		}
		query = query + `v.id = (SELECT a.version_id FROM aliases a WHERE a.collection_id = c.id AND a.alias = ?)`
		args = append(args, alias)
	}
	var vs []core.Version
	err := s.read(ctx, func(q q) (err error) {
		vs, err = queryVersions(ctx, q, query, args...)
		return err
	})
	if err != nil {
		return core.Version{}, err
	}
	if len(vs) == 0 {
		ref := r
		if ref.Selector == "" {
			ref.Selector = core.LatestAlias
		}
		return core.Version{}, core.Errorf(core.ErrNotFound, "artifact version %s not found", ref)
	}
	return vs[0], nil
}

// GetVersion returns the committed version with id; core.ErrNotFound if there
// is none.
func (s *Store) GetVersion(ctx context.Context, id int64) (core.Version, error) {
	var v core.Version
	err := s.read(ctx, func(q q) (err error) {
		v, err = getVersion(ctx, q, id)
		return err
	})
	return v, err
}

// ListVersions returns the committed versions of entity/project/name in index
// order; core.ErrNotFound if the collection does not exist.
func (s *Store) ListVersions(ctx context.Context, entity, project, name string) ([]core.Version, error) {
	var vs []core.Version
	err := s.read(ctx, func(q q) error {
		var n int
		if err := q.queryRow(ctx, `
			SELECT COUNT(*) FROM collections c
			JOIN projects p ON p.id = c.project_id JOIN entities en ON en.id = p.entity_id
			WHERE en.name = ? AND p.name = ? AND c.name = ?`, entity, project, name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return core.Errorf(core.ErrNotFound, "artifact %s/%s/%s not found", entity, project, name)
		}
		var err error
		vs, err = queryVersions(ctx, q, versionSelect+`
			WHERE en.name = ? AND p.name = ? AND c.name = ? AND v.state = 'committed' ORDER BY v.idx`,
			entity, project, name)
		return err
	})
	return vs, err
}

// Manifest returns the manifest of the committed version with id;
// core.ErrNotFound if there is no such version.
func (s *Store) Manifest(ctx context.Context, versionID int64) (core.Manifest, error) {
	var m core.Manifest
	err := s.read(ctx, func(q q) error {
		// A registry link has no entries of its own: its source's are its.
		content, err := contentID(ctx, q, versionID)
		if err != nil {
			return err
		}
		es, err := queryEntries(ctx, q, `WHERE version_id = ? ORDER BY path`, content)
		if err != nil {
			return err
		}
		if m, err = core.NewManifest(es); err != nil {
			return core.Errorf(core.ErrCorrupt, "stored manifest of version %d: %w", versionID, err)
		}
		return nil
	})
	return m, err
}

// Entry returns the entry at path of the committed version with id;
// core.ErrNotFound, naming the path, if the version or the entry does not
// exist.
func (s *Store) Entry(ctx context.Context, versionID int64, path string) (core.Entry, error) {
	var e core.Entry
	err := s.read(ctx, func(q q) error {
		content, err := contentID(ctx, q, versionID)
		if err != nil {
			return err
		}
		es, err := queryEntries(ctx, q, `WHERE version_id = ? AND path = ?`, content, path)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			v, err := getVersion(ctx, q, versionID)
			if err != nil {
				return err
			}
			return core.Errorf(core.ErrNotFound, "%s has no entry %q", v.FullName(), path)
		}
		e = es[0]
		return nil
	})
	return e, err
}

func queryEntries(ctx context.Context, q q, where string, args ...any) ([]core.Entry, error) {
	rows, err := q.query(ctx, `SELECT path, digest, size, ref, extra FROM entries `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []core.Entry
	for rows.Next() {
		var (
			e      core.Entry
			digest string
			extra  sql.NullString
		)
		if err := rows.Scan(&e.Path, &digest, &e.Size, &e.Ref, &extra); err != nil {
			return nil, err
		}
		if e.Digest, err = core.ParseDigest(digest); err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "stored entry %q: %w", e.Path, err)
		}
		if extra.Valid {
			if err := json.Unmarshal([]byte(extra.String), &e.Extra); err != nil {
				return nil, core.Errorf(core.ErrCorrupt, "stored entry %q: extra: %w", e.Path, err)
			}
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// UpdateVersion changes the description, metadata and aliases of the
// committed version with id and returns it. Aliases in u.DelAliases are
// removed first, then those in u.AddAliases are moved here. core.ErrNotFound
// if there is no such version or it lacks an alias of u.DelAliases;
// core.ErrInvalid for metadata that is not a JSON object. Nothing changes on
// error.
func (s *Store) UpdateVersion(ctx context.Context, id int64, u VersionUpdate) (core.Version, error) {
	var meta string
	if u.Metadata != nil {
		var err error
		if meta, err = jsonObject("metadata", u.Metadata); err != nil {
			return core.Version{}, err
		}
	}
	var v core.Version
	err := s.write(ctx, func(q q) error {
		col, err := lockVersionCollection(ctx, q, id)
		if err != nil {
			return err
		}
		cur, err := getVersion(ctx, q, id)
		if err != nil {
			return err
		}
		if u.Description != nil {
			if _, err := q.exec(ctx, `UPDATE versions SET description = ? WHERE id = ?`, *u.Description, id); err != nil {
				return err
			}
		}
		if u.Metadata != nil {
			if _, err := q.exec(ctx, `UPDATE versions SET metadata = ? WHERE id = ?`, meta, id); err != nil {
				return err
			}
		}
		for _, a := range u.DelAliases {
			res, err := q.exec(ctx, `DELETE FROM aliases WHERE collection_id = ? AND alias = ? AND version_id = ?`, col, a, id)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return core.Errorf(core.ErrNotFound, "%s has no alias %q", cur.FullName(), a)
			}
		}
		if err := putAliases(ctx, q, col, id, u.AddAliases); err != nil {
			return err
		}
		if u.TTL != nil {
			if err := setTTL(ctx, q, id, *u.TTL); err != nil {
				return err
			}
		}
		v, err = getVersion(ctx, q, id)
		return err
	})
	return v, err
}

// DeleteVersion marks the committed version with id deleted: it disappears
// from every lookup, listing and lineage query, while its entries stay for
// garbage collection. A version with aliases (latest included) is deleted
// only when deleteAliases is set, else core.ErrConflict lists them and
// nothing changes; its aliases go with it, and latest moves to the highest
// remaining committed version. core.ErrNotFound if there is no such version.
// It records the deletion time as the system clock's; DeleteVersionAt takes
// it from the caller.
func (s *Store) DeleteVersion(ctx context.Context, id int64, deleteAliases bool) error {
	return s.DeleteVersionAt(ctx, id, deleteAliases, time.Now())
}

// DeleteVersionAt is DeleteVersion recording now as the version's
// deleted_at.
func (s *Store) DeleteVersionAt(ctx context.Context, id int64, deleteAliases bool, now time.Time) error {
	return s.write(ctx, func(q q) error {
		col, err := lockVersionCollection(ctx, q, id)
		if err != nil {
			return err
		}
		v, err := getVersion(ctx, q, id)
		if err != nil {
			return err
		}
		// Unlinking a registry link takes its aliases with it: they are
		// the registry's, and the source keeps its own.
		if len(v.Aliases) > 0 && !deleteAliases && v.Source == "" {
			return aliasedError(ctx, q, col, v)
		}
		links, err := liveLinks(ctx, q, id)
		if err != nil {
			return err
		}
		if len(links) > 0 {
			return core.Errorf(core.ErrConflict, "%s is linked in %s: unlink it first",
				v.FullName(), strings.Join(links, ", "))
		}
		if _, err := q.exec(ctx, `DELETE FROM aliases WHERE version_id = ?`, id); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE versions SET state = 'deleted', deleted_at = ? WHERE id = ?`, micros(now), id); err != nil {
			return err
		}
		return refreshLatest(ctx, q, col)
	})
}

// aliasedError is the refusal to delete v, of collection col, without its
// aliases. It names them and says what deleting with them does, latest
// included: latest cannot be removed by hand (Trove moves it), so the
// message never asks for that; it says where latest goes instead.
func aliasedError(ctx context.Context, q q, col int64, v core.Version) error {
	var custom []string
	latest := false
	for _, a := range v.Aliases {
		if a == "latest" {
			latest = true
		} else {
			custom = append(custom, a)
		}
	}
	what := "has aliases " + strings.Join(v.Aliases, ", ")
	if latest && len(custom) == 0 {
		what = "is latest"
	}
	effect := "removes them"
	if latest {
		var prev int
		err := q.queryRow(ctx, `SELECT idx FROM versions
			WHERE collection_id = ? AND state = 'committed' AND id <> ?
			ORDER BY idx DESC LIMIT 1`, col, v.ID).Scan(&prev)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			effect = "removes latest: no version of " + v.Name + " remains"
			if len(custom) > 0 {
				effect = "removes them: no version of " + v.Name + " remains"
			}
		case err != nil:
			return err
		case len(custom) > 0:
			effect = fmt.Sprintf("removes %s and moves latest to v%d", strings.Join(custom, ", "), prev)
		default:
			effect = fmt.Sprintf("moves latest to v%d", prev)
		}
	}
	return core.Errorf(core.ErrConflict, "%s %s: deleting it with its aliases %s", v.FullName(), what, effect)
}

// lockVersionCollection returns the collection of the committed version with
// id, locked for the rest of the transaction like a commit locks it, so that
// alias moves and latest never interleave with a concurrent commit.
// core.ErrNotFound if there is no such version.
func lockVersionCollection(ctx context.Context, q q, id int64) (int64, error) {
	var col int64
	err := q.queryRow(ctx, `SELECT id FROM collections
		WHERE id = (SELECT collection_id FROM versions WHERE id = ? AND state = 'committed')`+q.d.forUpdate, id).Scan(&col)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, core.Errorf(core.ErrNotFound, "artifact version %d not found", id)
	}
	return col, err
}

// getVersion reads the committed version with id; core.ErrNotFound if there
// is none.
func getVersion(ctx context.Context, q q, id int64) (core.Version, error) {
	vs, err := queryVersions(ctx, q, versionSelect+`WHERE v.id = ? AND v.state = 'committed'`, id)
	if err != nil {
		return core.Version{}, err
	}
	if len(vs) == 0 {
		return core.Version{}, core.Errorf(core.ErrNotFound, "artifact version %d not found", id)
	}
	return vs[0], nil
}

// checkVersion returns core.ErrNotFound unless a committed version has id.
func checkVersion(ctx context.Context, q q, id int64) error {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM versions WHERE id = ? AND state = 'committed'`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.ErrNotFound, "artifact version %d not found", id)
	}
	return nil
}

// queryVersions runs a query whose columns are versionSelect's and returns
// its versions, with their aliases, in the query's order; an empty slice when
// there are none.
func queryVersions(ctx context.Context, q q, query string, args ...any) ([]core.Version, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vs := []core.Version{}
	var sources map[int64]int64 // link id → source id
	for rows.Next() {
		var (
			v                   core.Version
			digest, meta, state string
			created, source     int64
			expires             sql.NullInt64
		)
		if err := rows.Scan(&v.ID, &v.Entity, &v.Project, &v.Name, &v.Type, &v.Index, &digest, &v.Description,
			&meta, &v.Size, &v.FileCount, &state, &created, &v.CreatedBy, &source, &expires); err != nil {
			return nil, err
		}
		if source != 0 {
			if sources == nil {
				sources = make(map[int64]int64)
			}
			sources[v.ID] = source
		}
		if v.Digest, err = core.ParseDigest(digest); err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "stored version %d: %w", v.ID, err)
		}
		v.Metadata = json.RawMessage(meta)
		v.State = core.VersionState(state)
		v.CreatedAt = fromMicros(created)
		if expires.Valid {
			t := fromMicros(expires.Int64)
			v.ExpiresAt = &t
		}
		v.Aliases = []string{}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(vs) == 0 {
		return vs, nil
	}
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	aliases, err := aliasesOf(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if a := aliases[vs[i].ID]; a != nil {
			vs[i].Aliases = a
		}
	}
	if len(sources) > 0 {
		names, err := sourceNames(ctx, q, sources)
		if err != nil {
			return nil, err
		}
		for i := range vs {
			vs[i].Source = names[vs[i].ID]
		}
	}
	return vs, nil
}

// aliasesOf returns the sorted aliases of each of the versions ids that has
// any.
func aliasesOf(ctx context.Context, q q, ids []int64) (map[int64][]string, error) {
	var rows *sql.Rows
	var err error
	if len(ids) == 1 {
		rows, err = q.query(ctx, `SELECT version_id, alias FROM aliases WHERE version_id = ?`, ids[0])
	} else {
		rows, err = q.query(ctx, `SELECT version_id, alias FROM aliases WHERE version_id IN (`+q.d.idList+`)`, idsJSON(ids))
	}
	if err != nil {
		return nil, fmt.Errorf("aliases: %w", err)
	}
	defer rows.Close()
	m := make(map[int64][]string)
	for rows.Next() {
		var id int64
		var a string
		if err := rows.Scan(&id, &a); err != nil {
			return nil, err
		}
		m[id] = append(m[id], a)
	}
	for _, a := range m {
		slices.Sort(a)
	}
	return m, rows.Err()
}
