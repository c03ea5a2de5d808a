// Package authz decides who may do what on a Trove server: it turns API keys
// into principals, restricts the service API to what a principal may see and
// change, and manages accounts (users, keys, teams, project visibility) with
// the same checks. It knows nothing of HTTP: the server maps its errors
// (core.ErrUnauthenticated → 401, core.ErrNotFound → 404,
// core.ErrPermission → 403) to statuses.
package authz

import (
	"context"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
)

// Store is the accounts store authz needs; *meta.Store implements it (see
// meta.Accounts for each method's contract).
type Store interface {
	meta.Accounts
}

// Principal is the authenticated caller of a request.
type Principal struct {
	User meta.User
	// KeyID is the id of the API key the request carried.
	KeyID int64
}

// Access is what a principal may do in a project.
type Access int

// Access levels, each including the ones before it.
const (
	NoAccess Access = iota // the project is invisible: 404
	Read                   // list, get, download, lineage
	Write                  // log, use, update, alias, delete
	Admin                  // manage the entity (members, visibility)
)

// KeyPrefix starts every API key, so keys are recognisable in configs and
// by secret scanners.
const KeyPrefix = "trove_"

// NewKey returns a new random API key, its hash (what the store keeps) and
// its display prefix.
func NewKey() (key string, hash [32]byte, prefix string, err error) {
	panic("authz: not implemented yet")
}

// HashKey returns the hash under which a key is stored.
func HashKey(key string) [32]byte { panic("authz: not implemented yet") }

// Authenticate returns the principal owning key. A missing, malformed,
// unknown or revoked key is core.ErrUnauthenticated.
func Authenticate(ctx context.Context, st Store, key string) (Principal, error) {
	panic("authz: not implemented yet")
}

// ProjectAccess returns what p may do in entity/project.
func ProjectAccess(ctx context.Context, st Store, p Principal, entity, project string) (Access, error) {
	panic("authz: not implemented yet")
}

// Guard returns api restricted to what p may do: every call checks p's
// access to the projects it names (runs are checked through their project)
// and fails with core.ErrNotFound where p may not read, core.ErrPermission
// where p may read but not write. Listings and lineage graphs leave out
// what p may not read.
func Guard(api service.API, st Store, p Principal) service.API {
	panic("authz: not implemented yet")
}

// Accounts manages users, keys, teams and project visibility, checking that
// the principal may.
type Accounts struct {
	st  Store
	now func() time.Time
}

// NewAccounts returns account management on st.
func NewAccounts(st Store) *Accounts { return &Accounts{st: st, now: time.Now} }

// Bootstrap creates the site administrator `admin` when the store has no
// user yet and writes its API key to dataDir/admin-api-key (mode 0600).
// created reports whether it did; several servers starting at once on one
// database create one admin between them.
func (a *Accounts) Bootstrap(ctx context.Context, dataDir string) (created bool, keyFile string, err error) {
	panic("authz: not implemented yet")
}

// CreateUser creates a user (site admins only) and its first API key, which
// is returned once and never stored.
func (a *Accounts) CreateUser(ctx context.Context, p Principal, name string, admin bool) (meta.User, string, error) {
	panic("authz: not implemented yet")
}

// ListUsers lists users (site admins only).
func (a *Accounts) ListUsers(ctx context.Context, p Principal) ([]meta.User, error) {
	panic("authz: not implemented yet")
}

// CreateKey creates an API key for user (the user itself or a site admin);
// the key is returned once.
func (a *Accounts) CreateKey(ctx context.Context, p Principal, user, label string) (meta.APIKey, string, error) {
	panic("authz: not implemented yet")
}

// ListKeys lists user's keys (the user itself or a site admin).
func (a *Accounts) ListKeys(ctx context.Context, p Principal, user string) ([]meta.APIKey, error) {
	panic("authz: not implemented yet")
}

// RevokeKey revokes one of user's keys (the user itself or a site admin).
func (a *Accounts) RevokeKey(ctx context.Context, p Principal, user string, id int64) error {
	panic("authz: not implemented yet")
}

// CreateTeam creates a team with p as its admin.
func (a *Accounts) CreateTeam(ctx context.Context, p Principal, name string) (meta.Entity, error) {
	panic("authz: not implemented yet")
}

// SetMember adds user to team with role, or changes the role (team admins
// and site admins).
func (a *Accounts) SetMember(ctx context.Context, p Principal, team, user string, role meta.Role) error {
	panic("authz: not implemented yet")
}

// RemoveMember removes user from team (team admins and site admins).
func (a *Accounts) RemoveMember(ctx context.Context, p Principal, team, user string) error {
	panic("authz: not implemented yet")
}

// Members lists team's members (members of the team and site admins).
func (a *Accounts) Members(ctx context.Context, p Principal, team string) ([]meta.Member, error) {
	panic("authz: not implemented yet")
}

// SetProjectPublic makes a project public or private (Admin access to it).
func (a *Accounts) SetProjectPublic(ctx context.Context, p Principal, entity, project string, public bool) error {
	panic("authz: not implemented yet")
}

// CanReadBlob reports whether p may download blob d: site admins always;
// others when d belongs to a committed version of a project p may read.
// Otherwise core.ErrNotFound.
func CanReadBlob(ctx context.Context, st Store, p Principal, d core.Digest) error {
	panic("authz: not implemented yet")
}
