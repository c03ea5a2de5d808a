package meta

// This file holds the registries (DESIGN §1 "Registry"). A registry's
// collections are collections of the project of the same name of the
// reserved entity "registry", so every query about collections, versions,
// aliases and lineage works on them unchanged. A link is a version of such
// a collection whose source_id names the version it links: it has its own
// index and aliases but no entries; its manifest, lineage and blobs are its
// source's.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Link is a version to link into a registry collection: see
// (*Store).LinkVersion.
type Link struct {
	SourceID   int64    // the committed version to link (a link's source is linked instead)
	Registry   string   // the registry, which must exist
	Collection string   // created on the first link, with the source's type
	Aliases    []string // custom aliases to put on the link (validated by the caller; never "latest")
	RunID      string   // the linking run; "" for none
	Now        time.Time
}

const registrySelect = `SELECT r.name, r.types, r.protected_aliases, r.created_at,
		(SELECT COUNT(*) FROM collections c JOIN projects p ON p.id = c.project_id
			JOIN entities en ON en.id = p.entity_id
			WHERE en.name = 'registry' AND p.name = r.name)
	FROM registries r `

// Registries returns every registry, by name.
func (s *Store) Registries(ctx context.Context) ([]core.Registry, error) {
	var rs []core.Registry
	err := s.read(ctx, func(q q) (err error) {
		rs, err = queryRegistries(ctx, q, registrySelect+`ORDER BY r.name`)
		return err
	})
	return rs, err
}

// GetRegistry returns the registry name; core.ErrNotFound if there is none.
func (s *Store) GetRegistry(ctx context.Context, name string) (core.Registry, error) {
	var r core.Registry
	err := s.read(ctx, func(q q) (err error) {
		r, err = getRegistry(ctx, q, name)
		return err
	})
	return r, err
}

func getRegistry(ctx context.Context, q q, name string) (core.Registry, error) {
	rs, err := queryRegistries(ctx, q, registrySelect+`WHERE r.name = ?`, name)
	if err != nil {
		return core.Registry{}, err
	}
	if len(rs) == 0 {
		return core.Registry{}, core.Errorf(core.ErrNotFound, "registry %q not found", name)
	}
	return rs[0], nil
}

func queryRegistries(ctx context.Context, q q, query string, args ...any) ([]core.Registry, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rs := []core.Registry{}
	for rows.Next() {
		var (
			r                core.Registry
			types, protected string
			created          int64
		)
		if err := rows.Scan(&r.Name, &types, &protected, &created, &r.CollectionCount); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(types), &r.Types); err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "stored registry %q: types: %w", r.Name, err)
		}
		if err := json.Unmarshal([]byte(protected), &r.ProtectedAliases); err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "stored registry %q: protected aliases: %w", r.Name, err)
		}
		if r.Types == nil {
			r.Types = []string{}
		}
		if r.ProtectedAliases == nil {
			r.ProtectedAliases = []string{}
		}
		r.CreatedAt = fromMicros(created)
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// CreateRegistry creates registry r.Name accepting r.Types (none = any)
// with r.ProtectedAliases, created at now, and returns it.
// core.ErrConflict if it exists; core.ErrInvalid for a bad name, type or
// alias. Nothing changes on error.
func (s *Store) CreateRegistry(ctx context.Context, r core.Registry, now time.Time) (core.Registry, error) {
	if err := core.ValidateProject(r.Name); err != nil {
		return core.Registry{}, core.Errorf(core.ErrInvalid, "registry name: %v", err)
	}
	types, protected, err := registryLists(r)
	if err != nil {
		return core.Registry{}, err
	}
	var out core.Registry
	err = s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `INSERT INTO registries (name, types, protected_aliases, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, r.Name, types, protected, micros(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ErrConflict, "registry %q exists", r.Name)
		}
		out, err = getRegistry(ctx, q, r.Name)
		return err
	})
	return out, err
}

// UpdateRegistry replaces the types and protected aliases of registry
// r.Name and returns it. Collections already linked keep their versions
// even if their type is no longer accepted. core.ErrNotFound for an
// unknown registry; core.ErrInvalid as for CreateRegistry.
func (s *Store) UpdateRegistry(ctx context.Context, r core.Registry) (core.Registry, error) {
	types, protected, err := registryLists(r)
	if err != nil {
		return core.Registry{}, err
	}
	var out core.Registry
	err = s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE registries SET types = ?, protected_aliases = ? WHERE name = ?`,
			types, protected, r.Name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ErrNotFound, "registry %q not found", r.Name)
		}
		out, err = getRegistry(ctx, q, r.Name)
		return err
	})
	return out, err
}

// registryLists validates and encodes a registry's types and protected
// aliases, sorted and without duplicates.
func registryLists(r core.Registry) (types, protected string, err error) {
	ts := []string{}
	for _, t := range r.Types {
		if err := core.ValidateType(t); err != nil {
			return "", "", err
		}
		if !contains(ts, t) {
			ts = append(ts, t)
		}
	}
	as := []string{}
	for _, a := range r.ProtectedAliases {
		if a == core.LatestAlias {
			return "", "", core.Errorf(core.ErrInvalid, "alias %q is managed by Trove and cannot be protected", a)
		}
		if err := core.ValidateAlias(a); err != nil {
			return "", "", err
		}
		if !contains(as, a) {
			as = append(as, a)
		}
	}
	tb, _ := json.Marshal(ts)
	ab, _ := json.Marshal(as)
	return string(tb), string(ab), nil
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// SetRegistryAdmin makes user an admin of registry (admin true) or not.
// core.ErrNotFound for an unknown registry or user.
func (s *Store) SetRegistryAdmin(ctx context.Context, registry, user string, admin bool) error {
	return s.write(ctx, func(q q) error {
		if _, err := getRegistry(ctx, q, registry); err != nil {
			return err
		}
		var uid int64
		err := q.queryRow(ctx, `SELECT u.id FROM users u JOIN entities en ON en.id = u.entity_id WHERE en.name = ?`,
			user).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "user %q not found", user)
		}
		if err != nil {
			return err
		}
		if !admin {
			_, err = q.exec(ctx, `DELETE FROM registry_admins WHERE registry = ? AND user_id = ?`, registry, uid)
			return err
		}
		_, err = q.exec(ctx, `INSERT INTO registry_admins (registry, user_id) VALUES (?, ?)
			ON CONFLICT (registry, user_id) DO NOTHING`, registry, uid)
		return err
	})
}

// IsRegistryAdmin reports whether user is listed as an admin of registry
// (server admins are the caller's business); false for unknown names.
func (s *Store) IsRegistryAdmin(ctx context.Context, registry, user string) (bool, error) {
	var n int
	err := s.readOne(ctx, func(q q) error {
		return q.queryRow(ctx, `SELECT COUNT(*) FROM registry_admins ra
			JOIN users u ON u.id = ra.user_id JOIN entities en ON en.id = u.entity_id
			WHERE ra.registry = ? AND en.name = ?`, registry, user).Scan(&n)
	})
	return n > 0, err
}

// LinkVersion links the committed version l.SourceID (or, if it is a link,
// its source) into collection l.Collection of registry l.Registry, in one
// transaction, and returns the link with created true. The collection is
// created on its first link with the source's type. The link takes the
// collection's next index, copies the source's digest, size, file count,
// description and metadata, gets l.Aliases and latest, and is created by
// l.RunID. If the source is linked in that collection already, that link
// is returned with created false and only l.Aliases move to it.
// core.ErrNotFound for an unknown registry, source or run; core.ErrInvalid
// when the registry does not accept the source's type or the collection
// holds another type. Nothing changes on error.
func (s *Store) LinkVersion(ctx context.Context, l Link) (v core.Version, created bool, err error) {
	if err := core.ValidateName(l.Collection); err != nil {
		return v, false, err
	}
	err = s.write(ctx, func(q q) error {
		created = false
		reg, err := getRegistry(ctx, q, l.Registry)
		if err != nil {
			return err
		}
		srcID, err := contentID(ctx, q, l.SourceID)
		if err != nil {
			return err
		}
		// Lock the source's collection as a delete or an expiry of the
		// source does, so that the source cannot be deleted or expire
		// while it is being linked (both check for live links under that
		// lock); ErrNotFound if it went already.
		if _, err := lockVersionCollection(ctx, q, srcID); err != nil {
			return err
		}
		src, err := getVersion(ctx, q, srcID)
		if err != nil {
			return err
		}
		target := core.RegistryEntity + "/" + reg.Name + "/" + l.Collection
		if !reg.Accepts(src.Type) {
			return core.Errorf(core.ErrInvalid, "registry %s accepts types %s, not %s (%s)",
				reg.Name, strings.Join(reg.Types, ", "), src.Type, src.FullName())
		}
		var have string
		err = q.queryRow(ctx, `SELECT c.type FROM collections c JOIN projects p ON p.id = c.project_id
			JOIN entities en ON en.id = p.entity_id WHERE en.name = ? AND p.name = ? AND c.name = ?`,
			core.RegistryEntity, reg.Name, l.Collection).Scan(&have)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case have != src.Type:
			return core.Errorf(core.ErrInvalid, "%s holds artifacts of type %s: cannot link %s of type %s",
				target, have, src.FullName(), src.Type)
		}
		if l.RunID != "" {
			if _, err := runNode(ctx, q, l.RunID); err != nil {
				return err
			}
		}
		pid, err := ensureProject(ctx, q, core.RegistryEntity, reg.Name, l.Now)
		if err != nil {
			return err
		}
		col, err := ensureCollection(ctx, q, pid, Commit{Name: l.Collection, Type: src.Type, Now: l.Now})
		if err != nil {
			return err
		}
		var id int64
		err = q.queryRow(ctx, `SELECT id FROM versions WHERE collection_id = ? AND source_id = ? AND state = 'committed'`,
			col.id, srcID).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			if id, err = insertLink(ctx, q, col, src, l); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if err := putAliases(ctx, q, col.id, id, l.Aliases); err != nil {
			return err
		}
		if created {
			if err := refreshLatest(ctx, q, col.id); err != nil {
				return err
			}
		}
		v, err = getVersion(ctx, q, id)
		return err
	})
	if err != nil {
		return core.Version{}, false, err
	}
	return v, created, nil
}

// insertLink writes a new link to src in col, with the collection's next
// index (see insertVersion), and returns its id.
func insertLink(ctx context.Context, q q, col collection, src core.Version, l Link) (int64, error) {
	var idx int64
	if err := q.queryRow(ctx, `UPDATE collections SET next_index = next_index + 1 WHERE id = ? RETURNING next_index - 1`,
		col.id).Scan(&idx); err != nil {
		return 0, err
	}
	id, err := newNode(ctx, q, "version")
	if err != nil {
		return 0, err
	}
	var createdBy any
	if l.RunID != "" {
		createdBy = l.RunID
	}
	meta := string(src.Metadata)
	if meta == "" {
		meta = "{}"
	}
	_, err = q.exec(ctx, `
		INSERT INTO versions (id, collection_id, idx, digest, description, metadata, size, file_count,
			state, created_at, created_by, source_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'committed', ?, ?, ?)`,
		id, col.id, idx, src.Digest.String(), src.Description, meta, src.Size, src.FileCount,
		micros(l.Now), createdBy, src.ID)
	return id, err
}

// Links returns the committed links of the committed version id (of its
// source if id is a link), in the order they were made.
// core.ErrNotFound if there is no such version.
func (s *Store) Links(ctx context.Context, id int64) ([]core.Version, error) {
	var vs []core.Version
	err := s.read(ctx, func(q q) error {
		src, err := contentID(ctx, q, id)
		if err != nil {
			return err
		}
		vs, err = queryVersions(ctx, q, versionSelect+`WHERE v.source_id = ? AND v.state = 'committed' ORDER BY v.id`, src)
		return err
	})
	return vs, err
}

// contentID returns the version whose entries and lineage stand for the
// committed version id: its source for a link, else id itself.
// core.ErrNotFound if there is no such version.
func contentID(ctx context.Context, q q, id int64) (int64, error) {
	var src sql.NullInt64
	err := q.queryRow(ctx, `SELECT source_id FROM versions WHERE id = ? AND state = 'committed'`, id).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, core.Errorf(core.ErrNotFound, "artifact version %d not found", id)
	}
	if err != nil {
		return 0, err
	}
	if src.Valid {
		return src.Int64, nil
	}
	return id, nil
}

// sourceNames returns the full name of the source of each link among the
// versions whose source ids are given (link id → source id).
func sourceNames(ctx context.Context, q q, sources map[int64]int64) (map[int64]string, error) {
	ids := make([]int64, 0, len(sources))
	for _, src := range sources {
		ids = append(ids, src)
	}
	rows, err := q.query(ctx, `SELECT v.id, en.name, p.name, c.name, v.idx FROM versions v
		JOIN collections c ON c.id = v.collection_id
		JOIN projects p ON p.id = c.project_id
		JOIN entities en ON en.id = p.entity_id
		WHERE v.id IN (`+q.d.idList+`)`, idsJSON(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := make(map[int64]string)
	for rows.Next() {
		var (
			id  int64
			src core.Version
		)
		if err := rows.Scan(&id, &src.Entity, &src.Project, &src.Name, &src.Index); err != nil {
			return nil, err
		}
		names[id] = src.FullName()
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(sources))
	for link, src := range sources {
		out[link] = names[src]
	}
	return out, nil
}

// liveLinks returns the full names of the committed links of version id.
func liveLinks(ctx context.Context, q q, id int64) ([]string, error) {
	vs, err := queryVersions(ctx, q, versionSelect+`WHERE v.source_id = ? AND v.state = 'committed' ORDER BY v.id`, id)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.FullName()
	}
	return names, nil
}

// RegistryAdmins is the method set of the registry admin records, for
// package authz; *Store implements it.
type RegistryAdmins interface {
	// IsRegistryAdmin: see (*Store).IsRegistryAdmin.
	IsRegistryAdmin(ctx context.Context, registry, user string) (bool, error)
	// SetRegistryAdmin: see (*Store).SetRegistryAdmin.
	SetRegistryAdmin(ctx context.Context, registry, user string, admin bool) error
	// RegistryAdmins: see (*Store).RegistryAdmins.
	RegistryAdmins(ctx context.Context, registry string) ([]string, error)
}

// RegistryAdmins lists the users listed as admins of registry, by name
// (server admins, who administer every registry, are not listed).
// core.ErrNotFound for an unknown registry.
func (s *Store) RegistryAdmins(ctx context.Context, registry string) ([]string, error) {
	names := []string{}
	err := s.read(ctx, func(q q) error {
		if _, err := getRegistry(ctx, q, registry); err != nil {
			return err
		}
		rows, err := q.query(ctx, `SELECT en.name FROM registry_admins ra
			JOIN users u ON u.id = ra.user_id JOIN entities en ON en.id = u.entity_id
			WHERE ra.registry = ? ORDER BY en.name`, registry)
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

var _ RegistryAdmins = (*Store)(nil)
