package meta

// This file fixes the accounts part of the store's API: users, API keys,
// teams with members and roles, and project visibility. They live in the same
// database as the artifacts, so one transaction can check and write both.

import (
	"context"
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
	// core.ErrConflict if a user or team already has the name, or if an
	// entity of that name already owns projects (kind EntityNone is
	// adopted: its projects become the user's). core.ErrInvalid for a bad
	// name (core.ValidateEntity).
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
	// UserByKeyHash returns the user owning the unrevoked key with this
	// hash, and the key; core.ErrNotFound otherwise (unknown or revoked).
	UserByKeyHash(ctx context.Context, hash [32]byte) (User, APIKey, error)
	// ListAPIKeys lists a user's keys, revoked ones included, oldest first.
	ListAPIKeys(ctx context.Context, user string) ([]APIKey, error)
	// RevokeAPIKey revokes one of the user's keys; core.ErrNotFound if the
	// user has no key with that id. Revoking twice is not an error.
	RevokeAPIKey(ctx context.Context, user string, id int64, now time.Time) error

	// CreateTeam creates a team entity with creator as its admin member.
	// core.ErrConflict if the name is taken; core.ErrNotFound for an unknown
	// creator.
	CreateTeam(ctx context.Context, name, creator string, now time.Time) (Entity, error)
	// GetEntity finds an entity by name; core.ErrNotFound if absent.
	GetEntity(ctx context.Context, name string) (Entity, error)
	// SetMember adds a user to a team or changes its role. core.ErrNotFound
	// for an unknown team or user; core.ErrInvalid for a bad role.
	SetMember(ctx context.Context, team, user string, role Role) error
	// RemoveMember removes a user from a team; core.ErrNotFound if not a
	// member.
	RemoveMember(ctx context.Context, team, user string) error
	// Members lists a team's members by user name.
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
	// DigestProjects lists the projects (at most limit) that hold a
	// committed version with an entry of digest d, by entity and project.
	DigestProjects(ctx context.Context, d core.Digest, limit int) ([]ProjectKey, error)
}

var _ Accounts = (*Store)(nil)

// errTODO marks methods whose implementation is being written.
var errTODO = core.Errorf(core.ErrUnavailable, "accounts: not implemented yet")

func (s *Store) CreateUser(ctx context.Context, name string, admin bool, now time.Time) (User, error) {
	return User{}, errTODO
}
func (s *Store) GetUser(ctx context.Context, name string) (User, error) { return User{}, errTODO }
func (s *Store) ListUsers(ctx context.Context) ([]User, error)          { return nil, errTODO }
func (s *Store) CountUsers(ctx context.Context) (int, error)            { return 0, errTODO }
func (s *Store) CreateAPIKey(ctx context.Context, user string, hash [32]byte, prefix, label string, now time.Time) (APIKey, error) {
	return APIKey{}, errTODO
}
func (s *Store) UserByKeyHash(ctx context.Context, hash [32]byte) (User, APIKey, error) {
	return User{}, APIKey{}, errTODO
}
func (s *Store) ListAPIKeys(ctx context.Context, user string) ([]APIKey, error) { return nil, errTODO }
func (s *Store) RevokeAPIKey(ctx context.Context, user string, id int64, now time.Time) error {
	return errTODO
}
func (s *Store) CreateTeam(ctx context.Context, name, creator string, now time.Time) (Entity, error) {
	return Entity{}, errTODO
}
func (s *Store) GetEntity(ctx context.Context, name string) (Entity, error) { return Entity{}, errTODO }
func (s *Store) SetMember(ctx context.Context, team, user string, role Role) error {
	return errTODO
}
func (s *Store) RemoveMember(ctx context.Context, team, user string) error  { return errTODO }
func (s *Store) Members(ctx context.Context, team string) ([]Member, error) { return nil, errTODO }
func (s *Store) MemberRole(ctx context.Context, team, user string) (Role, error) {
	return "", errTODO
}
func (s *Store) SetProjectPublic(ctx context.Context, entity, project string, public bool) error {
	return errTODO
}
func (s *Store) ProjectPublic(ctx context.Context, entity, project string) (bool, error) {
	return false, errTODO
}
func (s *Store) DigestProjects(ctx context.Context, d core.Digest, limit int) ([]ProjectKey, error) {
	return nil, errTODO
}
