package trove

import (
	"context"
	"os"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Registry is an organisation-wide home for collections that link versions
// of any project without copying them: registry "model", collection
// "MNIST-dev" is addressed as registry/model/MNIST-dev[:vN|:alias].
type Registry = core.Registry

// LinkArtifact links v into a registry collection, target "REGISTRY/COLLECTION"
// (e.g. "model/MNIST-dev"; "registry/model/MNIST-dev" is accepted too), as
// the run, and returns the link: a version of the registry collection with
// its own index and aliases whose files and lineage are v's. Linking a
// version linked there already returns that link and moves aliases to it.
func (r *Run) LinkArtifact(ctx context.Context, v *Version, target string, aliases ...string) (*Version, error) {
	if v == nil {
		return nil, core.Errorf(core.ErrInvalid, "LinkArtifact needs a version")
	}
	registry, collection, err := core.ParseLinkTarget(target)
	if err != nil {
		return nil, err
	}
	l, err := r.c.api.LinkArtifact(ctx, service.LinkRequest{
		Source: v.ref(), Registry: registry, Collection: collection, Aliases: aliases, RunID: r.ID,
	})
	if err != nil {
		return nil, err
	}
	return r.c.newVersion(l), nil
}

// LinkModel logs path (a file or a directory) as a version of type "model"
// named name ("" names it run-<run id>-model) through the run, then links
// it into the model registry as model/registeredModelName with aliases,
// and returns the link.
func (r *Run) LinkModel(ctx context.Context, path, registeredModelName, name string, aliases ...string) (*Version, error) {
	if name == "" {
		name = "run-" + r.ID + "-model"
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "model path: %w", err)
	}
	a := NewArtifact(name, "model")
	if fi.IsDir() {
		err = a.AddDir(path)
	} else {
		err = a.AddFile(path)
	}
	if err != nil {
		return nil, err
	}
	v, err := r.LogArtifact(ctx, a)
	if err != nil {
		return nil, err
	}
	return r.LinkArtifact(ctx, v, "model/"+registeredModelName, aliases...)
}

// Registries lists every registry, by name.
func (c *Client) Registries(ctx context.Context) ([]Registry, error) {
	return c.api.Registries(ctx)
}

// Links returns the registry links of the version (of its source, when v
// is itself a link), oldest first.
func (v *Version) Links(ctx context.Context) ([]*Version, error) {
	return v.c.versions(v.c.api.Links(ctx, v.ref()))
}

// LinkArtifact links the version ref names into a registry collection,
// target "REGISTRY/COLLECTION", without a run, and returns the link; see
// (*Run).LinkArtifact.
func (c *Client) LinkArtifact(ctx context.Context, ref, target string, aliases ...string) (*Version, error) {
	src, err := c.qualify(ref)
	if err != nil {
		return nil, err
	}
	registry, collection, err := core.ParseLinkTarget(target)
	if err != nil {
		return nil, err
	}
	l, err := c.api.LinkArtifact(ctx, service.LinkRequest{Source: src, Registry: registry, Collection: collection, Aliases: aliases})
	if err != nil {
		return nil, err
	}
	return c.newVersion(l), nil
}

// CreateRegistry creates a registry (on a server: server admins only).
func (c *Client) CreateRegistry(ctx context.Context, r Registry) (Registry, error) {
	return c.api.CreateRegistry(ctx, r)
}

// UpdateRegistry replaces a registry's accepted types and protected
// aliases (on a server: registry admins only).
func (c *Client) UpdateRegistry(ctx context.Context, r Registry) (Registry, error) {
	return c.api.UpdateRegistry(ctx, r)
}
