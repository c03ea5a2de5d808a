// Package authz decides who may do what on a Trove server: it turns API keys
// into principals, restricts the service API to what a principal may see and
// change, and manages accounts (users, keys, teams, project visibility) with
// the same checks. It knows nothing of HTTP: the server maps its errors
// (core.ErrUnauthenticated → 401, core.ErrNotFound → 404,
// core.ErrPermission → 403) to statuses.
package authz

import (
	"time"

	"github.com/troveml/trove/internal/meta"
)

// Store is the store authz needs: accounts, the records of who proved to
// have which blob, and browser sessions; *meta.Store implements it (see
// meta.Accounts, meta.Uploads and meta.Sessions for each method's contract).
type Store interface {
	meta.Accounts
	meta.Uploads
	meta.Sessions
	meta.RegistryAdmins
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

// Accounts manages users, keys, teams and project visibility, checking that
// the principal may.
type Accounts struct {
	st  Store
	now func() time.Time
}

// NewAccounts returns account management on st.
func NewAccounts(st Store) *Accounts { return &Accounts{st: st, now: time.Now} }
