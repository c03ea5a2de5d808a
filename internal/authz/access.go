package authz

import (
	"context"
	"errors"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// String names the access level, for messages and tests.
func (a Access) String() string {
	switch a {
	case NoAccess:
		return "none"
	case Read:
		return "read"
	case Write:
		return "write"
	case Admin:
		return "admin"
	}
	return "unknown"
}

// roleAccess is what each team role grants in the team's projects.
var roleAccess = map[meta.Role]Access{
	meta.RoleAdmin:  Admin,
	meta.RoleMember: Write,
	meta.RoleViewer: Read,
}

// checker answers access questions for one principal during one call. It
// remembers answers only for that call, so a revocation, a role change or a
// project turning private is seen by the very next request.
type checker struct {
	st       Store
	p        Principal
	entities map[string]Access
	projects map[meta.ProjectKey]Access
}

func newChecker(st Store, p Principal) *checker {
	return &checker{st: st, p: p, entities: map[string]Access{}, projects: map[meta.ProjectKey]Access{}}
}

// entity returns what p may do in every project of entity, before project
// visibility is taken into account.
func (c *checker) entity(ctx context.Context, entity string) (Access, error) {
	if a, ok := c.entities[entity]; ok {
		return a, nil
	}
	a, err := c.entityUncached(ctx, entity)
	if err != nil {
		return NoAccess, err
	}
	c.entities[entity] = a
	return a, nil
}

func (c *checker) entityUncached(ctx context.Context, entity string) (Access, error) {
	switch {
	case c.p.User.Admin:
		return Admin, nil
	case c.p.User.Name != "" && entity == c.p.User.Name:
		return Admin, nil
	case c.p.User.Name != "" && entity == core.RegistryEntity:
		// Registries are readable by every user; changes to them are
		// checked by the guard (registry.go).
		return Read, nil
	}
	// An entity that is neither this user nor a team it belongs to grants
	// nothing; in particular an entity of kind "" (made by the embedded
	// store, or never claimed) is writable by site admins only.
	e, err := c.st.GetEntity(ctx, entity)
	if errors.Is(err, core.ErrNotFound) {
		return NoAccess, nil
	}
	if err != nil {
		return NoAccess, err
	}
	if e.Kind != meta.EntityTeam || c.p.User.Name == "" {
		return NoAccess, nil
	}
	role, err := c.st.MemberRole(ctx, entity, c.p.User.Name)
	if errors.Is(err, core.ErrNotFound) {
		return NoAccess, nil
	}
	if err != nil {
		return NoAccess, err
	}
	return roleAccess[role], nil
}

// project returns what p may do in entity/project.
func (c *checker) project(ctx context.Context, entity, project string) (Access, error) {
	k := meta.ProjectKey{Entity: entity, Project: project}
	if a, ok := c.projects[k]; ok {
		return a, nil
	}
	a, err := c.entity(ctx, entity)
	if err != nil {
		return NoAccess, err
	}
	if a < Read {
		public, err := c.st.ProjectPublic(ctx, entity, project)
		if err != nil {
			return NoAccess, err
		}
		if public {
			a = Read
		}
	}
	c.projects[k] = a
	return a, nil
}

// need checks that p has at least want in entity/project. Where p may not
// even read, it returns notFound(): the error a missing thing gives, so a
// refusal does not reveal that the thing exists.
func (c *checker) need(ctx context.Context, entity, project string, want Access, notFound func() error) error {
	a, err := c.project(ctx, entity, project)
	switch {
	case err != nil:
		return err
	case a >= want:
		return nil
	case a == NoAccess:
		return notFound()
	}
	return core.Errorf(core.ErrPermission, "%s has %s access to %s/%s, %s access is needed",
		c.who(), a, entity, project, want)
}

// who names the principal in messages.
func (c *checker) who() string {
	if c.p.User.Name == "" {
		return "this caller"
	}
	return "user " + c.p.User.Name
}

// ProjectAccess returns what p may do in entity/project.
func ProjectAccess(ctx context.Context, st Store, p Principal, entity, project string) (Access, error) {
	return newChecker(st, p).project(ctx, entity, project)
}

// CanReadBlob reports whether p may download blob d: site admins always;
// others when d belongs to a committed version of a project p may read, or
// when p proved to have d by uploading it (meta.Uploads). Otherwise
// core.ErrNotFound, as for a blob that is not stored.
//
// meta.ReadableDigests decides in one query, by the rule of checker.project
// written in SQL: the user's own entity, its teams in any role, public
// projects.
func CanReadBlob(ctx context.Context, st Store, p Principal, d core.Digest) error {
	if p.User.Admin {
		return nil
	}
	if !d.IsZero() {
		ok, err := st.ReadableDigests(ctx, p.User.Name, []core.Digest{d})
		if err != nil {
			return err
		}
		if ok[d] {
			return nil
		}
	}
	// The blob store's own message for a missing blob.
	return core.Errorf(core.ErrNotFound, "blob %s not found", d)
}
