package authz

import "github.com/troveml/trove/internal/meta"

// SearchScope is p's read rule (access.go) as the store's search filter:
// site admins read everything; a user its own entity, its teams' projects,
// the registries and public projects; a caller without a user public
// projects only. TestSearchScopeAgrees (server) checks it against
// ProjectAccess.
func SearchScope(p Principal) meta.SearchScope {
	return meta.SearchScope{All: p.User.Admin, User: p.User.Name}
}
