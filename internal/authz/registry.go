package authz

import (
	"context"
	"slices"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Registries (DESIGN §1): every user may read every registry and link the
// versions it may read into one; setting, moving or removing a registry's
// protected alias, setting or clearing a registry version's time-to-live
// (which would unlink it when it passes), unlinking, and managing
// registries need a registry admin: a server admin, or a user listed as an
// admin of that registry. Other changes to a registry version (description,
// metadata, unprotected aliases) are open to every user, as linking with
// those aliases is: registry members curate them, as in the reference's
// registry roles.

// Linker is the optional ability of an API to say whether a link is new;
// *service.Service and the guard have it.
type Linker interface {
	Link(ctx context.Context, req service.LinkRequest) (service.LinkResult, error)
}

// registryAdmin reports whether p administers registry.
func (g *guard) registryAdmin(ctx context.Context, registry string) (bool, error) {
	if g.p.User.Admin {
		return true, nil
	}
	if g.p.User.Name == "" {
		return false, nil
	}
	return g.st.IsRegistryAdmin(ctx, registry, g.p.User.Name)
}

// needRegistryAdmin returns core.ErrPermission unless p administers
// registry; what says what p tried.
func (g *guard) needRegistryAdmin(ctx context.Context, registry, what string) error {
	ok, err := g.registryAdmin(ctx, registry)
	if err != nil {
		return err
	}
	if !ok {
		return core.Errorf(core.ErrPermission, "%s is not an admin of registry %s: %s needs one", g.checker().who(), registry, what)
	}
	return nil
}

// registry returns the registry of that name, nil when there is none (the
// service then says so).
func (g *guard) registry(ctx context.Context, name string) (*core.Registry, error) {
	rs, err := g.api.Registries(ctx)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i], nil
		}
	}
	return nil, nil
}

// needProtected checks that p may set or remove aliases on a version of
// registry: registry admin for its protected aliases.
func (g *guard) needProtected(ctx context.Context, registry string, aliases []string) error {
	reg, err := g.registry(ctx, registry)
	if err != nil || reg == nil {
		return err
	}
	for _, a := range aliases {
		if reg.Protects(a) {
			return g.needRegistryAdmin(ctx, registry, "alias "+a+" (protected)")
		}
	}
	return nil
}

// LinkArtifact implements service.API.
func (g *guard) LinkArtifact(ctx context.Context, req service.LinkRequest) (core.Version, error) {
	res, err := g.Link(ctx, req)
	return res.Version, err
}

// Link implements Linker: Read on the source, Write on the linking run's
// project, registry admin for protected aliases.
func (g *guard) Link(ctx context.Context, req service.LinkRequest) (service.LinkResult, error) {
	c := g.checker()
	if err := g.needRef(ctx, c, req.Source, Read, versionNotFound(req.Source)); err != nil {
		return service.LinkResult{}, err
	}
	if req.RunID != "" {
		if _, err := g.needRun(ctx, c, req.RunID, Write); err != nil {
			return service.LinkResult{}, err
		}
	}
	if err := g.needProtected(ctx, req.Registry, req.Aliases); err != nil {
		return service.LinkResult{}, err
	}
	if l, ok := g.api.(Linker); ok {
		return l.Link(ctx, req)
	}
	v, err := g.api.LinkArtifact(ctx, req)
	return service.LinkResult{Version: v, Created: true}, err
}

// Registries implements service.API: every caller reads every registry.
func (g *guard) Registries(ctx context.Context) ([]core.Registry, error) {
	return g.api.Registries(ctx)
}

// CreateRegistry implements service.API: server admins only.
func (g *guard) CreateRegistry(ctx context.Context, r core.Registry) (core.Registry, error) {
	if !g.p.User.Admin {
		return core.Registry{}, core.Errorf(core.ErrPermission, "%s is not a server admin: creating a registry needs one", g.checker().who())
	}
	return g.api.CreateRegistry(ctx, r)
}

// UpdateRegistry implements service.API: registry admins.
func (g *guard) UpdateRegistry(ctx context.Context, r core.Registry) (core.Registry, error) {
	if err := g.needRegistryAdmin(ctx, r.Name, "changing the registry"); err != nil {
		return core.Registry{}, err
	}
	return g.api.UpdateRegistry(ctx, r)
}

// Links implements service.API: Read on the version; links p may not read
// are left out.
func (g *guard) Links(ctx context.Context, ref core.Ref) ([]core.Version, error) {
	c := g.checker()
	if err := g.needRef(ctx, c, ref, Read, versionNotFound(ref)); err != nil {
		return nil, err
	}
	vs, err := g.api.Links(ctx, ref)
	if err != nil {
		return nil, err
	}
	return filterVersions(ctx, c, vs)
}

// updateRegistryVersion is UpdateArtifact on a version of a registry:
// registry admin for a time-to-live (set or cleared: when it passes, the
// link is gone) and for protected aliases, any user otherwise.
func (g *guard) updateRegistryVersion(ctx context.Context, ref core.Ref, u service.Update) (core.Version, error) {
	if err := g.needRef(ctx, g.checker(), ref, Read, versionNotFound(ref)); err != nil {
		return core.Version{}, err
	}
	if u.TTL != nil {
		reg, err := g.registry(ctx, ref.Project)
		if err != nil {
			return core.Version{}, err
		}
		if reg != nil {
			if err := g.needRegistryAdmin(ctx, ref.Project, "a time-to-live on a registry version"); err != nil {
				return core.Version{}, err
			}
		}
	}
	if err := g.needProtected(ctx, ref.Project, slices.Concat(u.AddAliases, u.DelAliases)); err != nil {
		return core.Version{}, err
	}
	return g.api.UpdateArtifact(ctx, ref, u)
}

// deleteRegistryVersion is DeleteArtifact (unlink) on a version of a
// registry: registry admins only.
func (g *guard) deleteRegistryVersion(ctx context.Context, ref core.Ref, deleteAliases bool) error {
	if err := g.needRef(ctx, g.checker(), ref, Read, versionNotFound(ref)); err != nil {
		return err
	}
	if err := g.needRegistryAdmin(ctx, ref.Project, "unlinking"); err != nil {
		return err
	}
	return g.api.DeleteArtifact(ctx, ref, deleteAliases)
}

var _ Linker = (*service.Service)(nil)
