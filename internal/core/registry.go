package core

import (
	"strings"
	"time"
)

// RegistryEntity is the reserved entity whose projects are the registries:
// registry model, collection MNIST-dev is registry/model/MNIST-dev.
const RegistryEntity = "registry"

// Registry is an organisation-wide home for collections that link versions
// of other projects (DESIGN §1 "Registry").
type Registry struct {
	Name string `json:"name"`
	// Types are the artifact types the registry accepts; empty means any.
	Types []string `json:"types"`
	// ProtectedAliases may be set, moved or removed by registry admins only.
	ProtectedAliases []string  `json:"protected_aliases"`
	CollectionCount  int       `json:"collection_count"`
	CreatedAt        time.Time `json:"created_at"`
}

// Accepts reports whether the registry takes versions of type typ.
func (r Registry) Accepts(typ string) bool {
	if len(r.Types) == 0 {
		return true
	}
	for _, t := range r.Types {
		if t == typ {
			return true
		}
	}
	return false
}

// Protects reports whether alias is one of the registry's protected aliases.
func (r Registry) Protects(alias string) bool {
	for _, a := range r.ProtectedAliases {
		if a == alias {
			return true
		}
	}
	return false
}

// ParseLinkTarget parses a link target, REGISTRY/COLLECTION, also accepted
// in its full form registry/REGISTRY/COLLECTION. It returns the registry
// and collection names.
func ParseLinkTarget(s string) (registry, collection string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) == 3 && parts[0] == RegistryEntity {
		parts = parts[1:]
	}
	if len(parts) != 2 {
		return "", "", Errorf(ErrInvalid, "link target %q: want REGISTRY/COLLECTION (e.g. model/MNIST-dev)", s)
	}
	if err := ValidateProject(parts[0]); err != nil {
		return "", "", Errorf(ErrInvalid, "link target %q: registry: %v", s, err)
	}
	if err := ValidateName(parts[1]); err != nil {
		return "", "", Errorf(ErrInvalid, "link target %q: %v", s, err)
	}
	return parts[0], parts[1], nil
}
