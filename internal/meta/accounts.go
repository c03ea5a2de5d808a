package meta

// This file fixes the accounts part of the store's API: users, API keys,
// teams with members and roles, and project visibility. They live in the same
// database as the artifacts, so one transaction can check and write both.

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Role is a user's role in a team.
type Role string

// Team roles, from most to least powerful.
const (
	RoleAdmin  Role = "admin"  // read, write, delete, manage members
	RoleMember Role = "member" // read, write, delete
	RoleViewer Role = "viewer" // read
)

// EntityKind says what owns an entity's name.
type EntityKind string

// Entity kinds. Entities created by the embedded store (no accounts) have
// kind EntityNone.
const (
	EntityNone EntityKind = ""
	EntityUser EntityKind = "user"
	EntityTeam EntityKind = "team"
)

// Entity is a user's personal namespace or a team.
type Entity struct {
	Name      string     `json:"name"`
	Kind      EntityKind `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`
}

// User is an account. Its personal entity has the same name.
type User struct {
	ID        int64     `json:"-"`
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"` // site administrator: may do anything
	CreatedAt time.Time `json:"created_at"`
}

// APIKey describes a key; the secret itself is never stored, only its hash.
type APIKey struct {
	ID        int64      `json:"id"`
	User      string     `json:"user"`
	Prefix    string     `json:"prefix"` // the first characters of the key, to tell keys apart
	Label     string     `json:"label"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// Member is a user's membership of a team.
type Member struct {
	User string `json:"user"`
	Role Role   `json:"role"`
}

// ProjectKey names a project.
type ProjectKey struct {
	Entity  string `json:"entity"`
	Project string `json:"project"`
}

// Accounts is the method set of the accounts store, here to document each
// method's contract in one place; *Store implements it.
type Accounts interface {
	// CreateUser creates a user and its personal entity of the same name.
	// core.ErrConflict if a user or team already has the name, or one that
	// differs from it only in case. An entity of
	// kind EntityNone of that name (made by logging before accounts existed,
	// or by a site admin logging to a name no account has) is adopted
	// instead: it becomes the user's, its projects with it. core.ErrInvalid
	// for a bad name (core.ValidateEntity) or the reserved "registry".
	CreateUser(ctx context.Context, name string, admin bool, now time.Time) (User, error)
	// GetUser finds a user by name; core.ErrNotFound if absent.
	GetUser(ctx context.Context, name string) (User, error)
	// ListUsers lists users by name.
	ListUsers(ctx context.Context) ([]User, error)
	// CountUsers returns how many users exist.
	CountUsers(ctx context.Context) (int, error)

	// CreateAPIKey stores the hash of a new key for a user. core.ErrNotFound
	// for an unknown user; core.ErrConflict if the hash exists.
	CreateAPIKey(ctx context.Context, user string, hash [32]byte, prefix, label string, now time.Time) (APIKey, error)
	// CreateFirstAPIKey is CreateAPIKey for a user that has never had a
	// key: core.ErrConflict, storing nothing, if the user has any key,
	// revoked ones included. Of several servers racing to give a new user
	// its first key, exactly one succeeds.
	CreateFirstAPIKey(ctx context.Context, user string, hash [32]byte, prefix, label string, now time.Time) (APIKey, error)
	// UserByKeyHash returns the user owning the unrevoked key with this
	// hash, and the key; core.ErrNotFound otherwise (unknown or revoked).
	UserByKeyHash(ctx context.Context, hash [32]byte) (User, APIKey, error)
	// ListAPIKeys lists a user's keys, revoked ones included, oldest first;
	// core.ErrNotFound for an unknown user.
	ListAPIKeys(ctx context.Context, user string) ([]APIKey, error)
	// RevokeAPIKey revokes one of the user's keys; core.ErrNotFound if the
	// user has no key with that id. Revoking twice is not an error.
	RevokeAPIKey(ctx context.Context, user string, id int64, now time.Time) error

	// CreateTeam creates a team entity with creator as its admin member.
	// core.ErrConflict if the name is taken, by an entity of kind
	// EntityNone too, or a user or team has a name that differs from it
	// only in case: unlike CreateUser, which only a site admin calls, any
	// user may create a team, and adopting would hand the entity's projects
	// to whoever asks first. core.ErrNotFound for an unknown creator;
	// core.ErrInvalid for a bad name or the reserved "registry".
	CreateTeam(ctx context.Context, name, creator string, now time.Time) (Entity, error)
	// GetEntity finds an entity by name; core.ErrNotFound if absent.
	GetEntity(ctx context.Context, name string) (Entity, error)
	// SetMember adds a user to a team or changes its role. core.ErrNotFound
	// for an unknown team or user; core.ErrInvalid for a bad role.
	SetMember(ctx context.Context, team, user string, role Role) error
	// RemoveMember removes a user from a team; core.ErrNotFound if not a
	// member.
	RemoveMember(ctx context.Context, team, user string) error
	// Members lists a team's members by user name; core.ErrNotFound for an
	// unknown team.
	Members(ctx context.Context, team string) ([]Member, error)
	// MemberRole returns the user's role in the team; core.ErrNotFound if
	// the user is not a member (or the team does not exist).
	MemberRole(ctx context.Context, team, user string) (Role, error)

	// SetProjectPublic makes a project public (readable by every user) or
	// private, creating the project (and a kind-less entity) if missing.
	SetProjectPublic(ctx context.Context, entity, project string, public bool) error
	// ProjectPublic reports whether a project is public; false for unknown
	// projects.
	ProjectPublic(ctx context.Context, entity, project string) (bool, error)
	// ProjectExists reports whether entity has a project of that name
	// (made by logging to it, or by SetProjectPublic).
	ProjectExists(ctx context.Context, entity, project string) (bool, error)
	// DigestProjects lists the projects (at most limit) that hold a
	// committed version with an entry of digest d, by entity and project;
	// a registry project holds the digests of the versions it links.
	// core.ErrInvalid if limit < 1.
	DigestProjects(ctx context.Context, d core.Digest, limit int) ([]ProjectKey, error)
}

var _ Accounts = (*Store)(nil)

// reservedEntity is the entity name the registry lives under (DESIGN §1): no
// account may take it.
const reservedEntity = "registry"

// validAccountName checks the name of a new user or team.
func validAccountName(name string) error {
	if err := core.ValidateEntity(name); err != nil {
		return err
	}
	if name == reservedEntity {
		return core.Errorf(core.ErrInvalid, "entity name %q is reserved", name)
	}
	return nil
}

// claimAccountName records name, lower-cased, as an account's (a user's or a
// team's), in the caller's transaction: core.ErrConflict, naming the
// existing account, when one is named like it up to case ("Alice" and
// "alice"), which people and scripts would confuse. The primary key makes
// concurrent claims of one folded name wait for each other: one wins.
func claimAccountName(ctx context.Context, q q, name string) error {
	folded := strings.ToLower(name)
	res, err := q.exec(ctx, `INSERT INTO account_names (folded) VALUES (?) ON CONFLICT (folded) DO NOTHING`, folded)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var other string
	if err := q.queryRow(ctx, `SELECT name FROM entities WHERE lower(name) = ? AND kind <> '' AND name <> ? ORDER BY name LIMIT 1`,
		folded, name).Scan(&other); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			other = folded
		} else {
			return err
		}
	}
	return core.Errorf(core.ErrConflict, "name %q is taken: it differs from %q only in case; choose another", name, other)
}

// userSelect reads User rows (see scanUser).
const userSelect = `SELECT u.id, en.name, u.admin, u.created_at FROM users u JOIN entities en ON en.id = u.entity_id `

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner, extra ...any) (User, error) {
	var u User
	var created int64
	err := row.Scan(append([]any{&u.ID, &u.Name, &u.Admin, &created}, extra...)...)
	u.CreatedAt = fromMicros(created)
	return u, err
}

// CreateUser implements Accounts.
func (s *Store) CreateUser(ctx context.Context, name string, admin bool, now time.Time) (User, error) {
	if err := validAccountName(name); err != nil {
		return User{}, err
	}
	var u User
	err := s.write(ctx, func(q q) error {
		var entity int64
		err := q.queryRow(ctx, `INSERT INTO entities (name, kind, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING RETURNING id`, name, string(EntityUser), micros(now)).Scan(&entity)
		if errors.Is(err, sql.ErrNoRows) {
			// The name exists: adopt it if no account has it. The row
			// lock makes a concurrent CreateUser or CreateTeam of the
			// same name wait here and then see the kind this one set.
			var kind string
			if err := q.queryRow(ctx, `SELECT id, kind FROM entities WHERE name = ?`+q.d.forUpdate, name).Scan(&entity, &kind); err != nil {
				return err
			}
			if kind != string(EntityNone) {
				return core.Errorf(core.ErrConflict, "name %q is taken by a %s", name, kind)
			}
			_, err = q.exec(ctx, `UPDATE entities SET kind = ? WHERE id = ?`, string(EntityUser), entity)
		}
		if err != nil {
			return err
		}
		if err := claimAccountName(ctx, q, name); err != nil {
			return err
		}
		var id int64
		if err := q.queryRow(ctx, `INSERT INTO users (entity_id, admin, created_at) VALUES (?, ?, ?) RETURNING id`,
			entity, admin, micros(now)).Scan(&id); err != nil {
			return err
		}
		u = User{ID: id, Name: name, Admin: admin, CreatedAt: fromMicros(micros(now))}
		return nil
	})
	return u, err
}

// GetUser implements Accounts.
func (s *Store) GetUser(ctx context.Context, name string) (User, error) {
	var u User
	err := s.readOne(ctx, func(q q) (err error) {
		u, err = getUser(ctx, q, name)
		return err
	})
	return u, err
}

// getUser reads a user by name; core.ErrNotFound if absent.
func getUser(ctx context.Context, q q, name string) (User, error) {
	u, err := scanUser(q.queryRow(ctx, userSelect+`WHERE en.name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, core.Errorf(core.ErrNotFound, "user %q not found", name)
	}
	return u, err
}

// ListUsers implements Accounts.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	users := []User{}
	err := s.readOne(ctx, func(q q) error {
		rows, err := q.query(ctx, userSelect+`ORDER BY en.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		return rows.Err()
	})
	return users, err
}

// CountUsers implements Accounts.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.readOne(ctx, func(q q) error {
		return q.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	})
	return n, err
}

// keySelect reads APIKey rows (see scanKey) from a query joining api_keys k
// to its user's entity en.
const keySelect = `SELECT k.id, en.name, k.prefix, k.label, k.created_at, k.revoked_at `

func scanKey(row scanner, extra ...any) (APIKey, error) {
	var (
		k       APIKey
		created int64
		revoked sql.NullInt64
	)
	err := row.Scan(append([]any{&k.ID, &k.User, &k.Prefix, &k.Label, &created, &revoked}, extra...)...)
	k.CreatedAt = fromMicros(created)
	if revoked.Valid {
		t := fromMicros(revoked.Int64)
		k.RevokedAt = &t
	}
	return k, err
}

// CreateAPIKey implements Accounts.
func (s *Store) CreateAPIKey(ctx context.Context, user string, hash [32]byte, prefix, label string, now time.Time) (APIKey, error) {
	return s.createAPIKey(ctx, user, hash, prefix, label, now, false)
}

// CreateFirstAPIKey implements Accounts.
func (s *Store) CreateFirstAPIKey(ctx context.Context, user string, hash [32]byte, prefix, label string, now time.Time) (APIKey, error) {
	return s.createAPIKey(ctx, user, hash, prefix, label, now, true)
}

func (s *Store) createAPIKey(ctx context.Context, user string, hash [32]byte, prefix, label string, now time.Time, first bool) (APIKey, error) {
	var k APIKey
	err := s.write(ctx, func(q q) error {
		u, err := getUser(ctx, q, user)
		if err != nil {
			return err
		}
		if first {
			// Lock the user's row (PostgreSQL; SQLite serialises writers)
			// so that two first keys cannot both see no key.
			var id int64
			if err := q.queryRow(ctx, `SELECT id FROM users WHERE id = ?`+q.d.forUpdate, u.ID).Scan(&id); err != nil {
				return err
			}
			var n int
			if err := q.queryRow(ctx, `SELECT COUNT(*) FROM api_keys WHERE user_id = ?`, u.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return core.Errorf(core.ErrConflict, "user %q already has an API key", user)
			}
		}
		var id int64
		err = q.queryRow(ctx, `INSERT INTO api_keys (user_id, hash, prefix, label, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (hash) DO NOTHING RETURNING id`, u.ID, hex.EncodeToString(hash[:]), prefix, label, micros(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrConflict, "an API key with this hash exists")
		} else if err != nil {
			return err
		}
		k = APIKey{ID: id, User: u.Name, Prefix: prefix, Label: label, CreatedAt: fromMicros(micros(now))}
		return nil
	})
	if err != nil {
		return APIKey{}, err
	}
	return k, nil
}

// UserByKeyHash implements Accounts.
func (s *Store) UserByKeyHash(ctx context.Context, hash [32]byte) (User, APIKey, error) {
	var (
		u User
		k APIKey
	)
	err := s.readOne(ctx, func(q q) error {
		var (
			kid, kcreated int64
			prefix, label string
		)
		var err error
		u, err = scanUser(q.queryRow(ctx, `SELECT u.id, en.name, u.admin, u.created_at, k.id, k.prefix, k.label, k.created_at
			FROM api_keys k JOIN users u ON u.id = k.user_id JOIN entities en ON en.id = u.entity_id
			WHERE k.hash = ? AND k.revoked_at IS NULL`, hex.EncodeToString(hash[:])), &kid, &prefix, &label, &kcreated)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "no valid API key has this hash")
		}
		k = APIKey{ID: kid, User: u.Name, Prefix: prefix, Label: label, CreatedAt: fromMicros(kcreated)}
		return err
	})
	if err != nil {
		return User{}, APIKey{}, err
	}
	return u, k, nil
}

// ListAPIKeys implements Accounts.
func (s *Store) ListAPIKeys(ctx context.Context, user string) ([]APIKey, error) {
	keys := []APIKey{}
	err := s.read(ctx, func(q q) error {
		u, err := getUser(ctx, q, user)
		if err != nil {
			return err
		}
		rows, err := q.query(ctx, keySelect+`FROM api_keys k JOIN users u ON u.id = k.user_id JOIN entities en ON en.id = u.entity_id
			WHERE k.user_id = ? ORDER BY k.created_at, k.id`, u.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			k, err := scanKey(rows)
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	return keys, err
}

// RevokeAPIKey implements Accounts. A key revoked twice keeps the time of
// its first revocation.
func (s *Store) RevokeAPIKey(ctx context.Context, user string, id int64, now time.Time) error {
	return s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)
			WHERE id = ? AND user_id = (SELECT u.id FROM users u JOIN entities en ON en.id = u.entity_id WHERE en.name = ?)`,
			micros(now), id, user)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ErrNotFound, "user %q has no API key %d", user, id)
		}
		return nil
	})
}

// CreateTeam implements Accounts.
func (s *Store) CreateTeam(ctx context.Context, name, creator string, now time.Time) (Entity, error) {
	if err := validAccountName(name); err != nil {
		return Entity{}, err
	}
	var e Entity
	err := s.write(ctx, func(q q) error {
		u, err := getUser(ctx, q, creator)
		if err != nil {
			return err
		}
		var team int64
		err = q.queryRow(ctx, `INSERT INTO entities (name, kind, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING RETURNING id`, name, string(EntityTeam), micros(now)).Scan(&team)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrConflict, "name %q is taken", name)
		} else if err != nil {
			return err
		}
		if err := claimAccountName(ctx, q, name); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `INSERT INTO members (team_id, user_id, role) VALUES (?, ?, ?)`,
			team, u.ID, string(RoleAdmin)); err != nil {
			return err
		}
		e = Entity{Name: name, Kind: EntityTeam, CreatedAt: fromMicros(micros(now))}
		return nil
	})
	return e, err
}

// GetEntity implements Accounts.
func (s *Store) GetEntity(ctx context.Context, name string) (Entity, error) {
	var e Entity
	err := s.readOne(ctx, func(q q) error {
		var kind string
		var created int64
		err := q.queryRow(ctx, `SELECT name, kind, created_at FROM entities WHERE name = ?`, name).Scan(&e.Name, &kind, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "entity %q not found", name)
		}
		e.Kind, e.CreatedAt = EntityKind(kind), fromMicros(created)
		return err
	})
	return e, err
}

// teamID returns the entity id of team; core.ErrNotFound unless it is a
// team.
func teamID(ctx context.Context, q q, team string) (int64, error) {
	var id int64
	err := q.queryRow(ctx, `SELECT id FROM entities WHERE name = ? AND kind = ?`, team, string(EntityTeam)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, core.Errorf(core.ErrNotFound, "team %q not found", team)
	}
	return id, err
}

// SetMember implements Accounts.
func (s *Store) SetMember(ctx context.Context, team, user string, role Role) error {
	switch role {
	case RoleAdmin, RoleMember, RoleViewer:
	default:
		return core.Errorf(core.ErrInvalid, "role %q is not one of admin, member, viewer", role)
	}
	return s.write(ctx, func(q q) error {
		tid, err := teamID(ctx, q, team)
		if err != nil {
			return err
		}
		u, err := getUser(ctx, q, user)
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, `INSERT INTO members (team_id, user_id, role) VALUES (?, ?, ?)
			ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role`, tid, u.ID, string(role))
		return err
	})
}

// RemoveMember implements Accounts.
func (s *Store) RemoveMember(ctx context.Context, team, user string) error {
	return s.write(ctx, func(q q) error {
		res, err := q.exec(ctx, `DELETE FROM members
			WHERE team_id = (SELECT id FROM entities WHERE name = ? AND kind = ?)
			AND user_id = (SELECT u.id FROM users u JOIN entities en ON en.id = u.entity_id WHERE en.name = ?)`,
			team, string(EntityTeam), user)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ErrNotFound, "user %q is not a member of team %q", user, team)
		}
		return nil
	})
}

// Members implements Accounts.
func (s *Store) Members(ctx context.Context, team string) ([]Member, error) {
	members := []Member{}
	err := s.read(ctx, func(q q) error {
		tid, err := teamID(ctx, q, team)
		if err != nil {
			return err
		}
		rows, err := q.query(ctx, `SELECT en.name, m.role FROM members m
			JOIN users u ON u.id = m.user_id JOIN entities en ON en.id = u.entity_id
			WHERE m.team_id = ? ORDER BY en.name`, tid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Member
			var role string
			if err := rows.Scan(&m.User, &role); err != nil {
				return err
			}
			m.Role = Role(role)
			members = append(members, m)
		}
		return rows.Err()
	})
	return members, err
}

// MemberRole implements Accounts.
func (s *Store) MemberRole(ctx context.Context, team, user string) (Role, error) {
	var role string
	err := s.readOne(ctx, func(q q) error {
		err := q.queryRow(ctx, `SELECT m.role FROM members m
			JOIN entities t ON t.id = m.team_id
			JOIN users u ON u.id = m.user_id JOIN entities en ON en.id = u.entity_id
			WHERE t.name = ? AND t.kind = ? AND en.name = ?`, team, string(EntityTeam), user).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "user %q is not a member of team %q", user, team)
		}
		return err
	})
	return Role(role), err
}

// SetProjectPublic implements Accounts. An entity it creates is stamped
// with the current time, the contract having no now.
func (s *Store) SetProjectPublic(ctx context.Context, entity, project string, public bool) error {
	return s.write(ctx, func(q q) error {
		pid, err := ensureProject(ctx, q, entity, project, time.Now())
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, `UPDATE projects SET public = ? WHERE id = ?`, public, pid)
		return err
	})
}

// ProjectPublic implements Accounts.
func (s *Store) ProjectPublic(ctx context.Context, entity, project string) (bool, error) {
	var public bool
	err := s.readOne(ctx, func(q q) error {
		err := q.queryRow(ctx, `SELECT p.public FROM projects p JOIN entities en ON en.id = p.entity_id
			WHERE en.name = ? AND p.name = ?`, entity, project).Scan(&public)
		if errors.Is(err, sql.ErrNoRows) {
			public = false
			return nil
		}
		return err
	})
	return public, err
}

// ProjectExists implements Accounts.
func (s *Store) ProjectExists(ctx context.Context, entity, project string) (bool, error) {
	var n int
	err := s.readOne(ctx, func(q q) error {
		return q.queryRow(ctx, `SELECT COUNT(*) FROM projects p JOIN entities en ON en.id = p.entity_id
			WHERE en.name = ? AND p.name = ?`, entity, project).Scan(&n)
	})
	return n > 0, err
}

// DigestProjects implements Accounts. It starts from the entries with the
// digest (index entries_by_digest), so its cost grows with how many
// entries share the blob, not with the number of projects.
func (s *Store) DigestProjects(ctx context.Context, d core.Digest, limit int) ([]ProjectKey, error) {
	if limit < 1 {
		return nil, core.Errorf(core.ErrInvalid, "limit %d is not positive", limit)
	}
	keys := []ProjectKey{}
	err := s.readOne(ctx, func(q q) error {
		// A registry link holds its source's entries: the registry
		// project holds the digest too.
		rows, err := q.query(ctx, `SELECT DISTINCT en.name, p.name FROM entries e
			JOIN versions v ON v.id = e.version_id OR v.source_id = e.version_id
			JOIN collections c ON c.id = v.collection_id
			JOIN projects p ON p.id = c.project_id
			JOIN entities en ON en.id = p.entity_id
			WHERE e.digest = ? AND e.ref = '' AND v.state = 'committed'
			ORDER BY en.name, p.name LIMIT ?`, d.String(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k ProjectKey
			if err := rows.Scan(&k.Entity, &k.Project); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	return keys, err
}
