package core

import (
	"strings"
)

// Ref names an artifact version: [[entity/]project/]name[:vN|:alias].
// Empty Entity or Project mean "the caller's default"; an empty Selector means
// the latest version.
type Ref struct {
	Entity   string
	Project  string
	Name     string
	Selector string // "vN", an alias, or "" for latest
}

// ParseRef parses and validates a reference. It accepts one to three
// slash-separated parts and at most one ':'.
func ParseRef(s string) (Ref, error) {
	var r Ref
	if s == "" {
		return r, Errorf(ErrInvalid, "artifact reference is empty")
	}
	path, sel, hasSel := strings.Cut(s, ":")
	if hasSel {
		if sel == "" {
			return r, Errorf(ErrInvalid, "artifact reference %q: empty version or alias after ':'", s)
		}
		if _, ok := ParseVersionIndex(sel); !ok {
			if err := validName("alias", sel); err != nil {
				return r, Errorf(ErrInvalid, "artifact reference %q: %v", s, err)
			}
			if isVersionShaped(sel) {
				return r, Errorf(ErrInvalid, "artifact reference %q: version %q has leading zeros", s, sel)
			}
		}
		r.Selector = sel
	}
	parts := strings.Split(path, "/")
	switch len(parts) {
	case 1:
		r.Name = parts[0]
	case 2:
		r.Project, r.Name = parts[0], parts[1]
	case 3:
		r.Entity, r.Project, r.Name = parts[0], parts[1], parts[2]
	default:
		return r, Errorf(ErrInvalid, "artifact reference %q: expected [[entity/]project/]name[:version|:alias]", s)
	}
	if r.Entity != "" || len(parts) == 3 {
		if err := ValidateEntity(r.Entity); err != nil {
			return r, Errorf(ErrInvalid, "artifact reference %q: %v", s, err)
		}
	}
	if r.Project != "" || len(parts) >= 2 {
		if err := ValidateProject(r.Project); err != nil {
			return r, Errorf(ErrInvalid, "artifact reference %q: %v", s, err)
		}
	}
	if err := ValidateName(r.Name); err != nil {
		return r, Errorf(ErrInvalid, "artifact reference %q: %v", s, err)
	}
	return r, nil
}

// String formats r in the form ParseRef reads.
func (r Ref) String() string {
	var b strings.Builder
	if r.Entity != "" {
		b.WriteString(r.Entity)
		b.WriteByte('/')
	}
	if r.Project != "" || r.Entity != "" {
		b.WriteString(r.Project)
		b.WriteByte('/')
	}
	b.WriteString(r.Name)
	if r.Selector != "" {
		b.WriteByte(':')
		b.WriteString(r.Selector)
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler.
func (r Ref) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Ref) UnmarshalText(b []byte) error {
	p, err := ParseRef(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// Index returns the version index when the selector is "vN".
func (r Ref) Index() (int, bool) { return ParseVersionIndex(r.Selector) }

// WithDefaults fills an empty entity and project.
func (r Ref) WithDefaults(entity, project string) Ref {
	if r.Entity == "" {
		r.Entity = entity
	}
	if r.Project == "" {
		r.Project = project
	}
	return r
}

// Collection returns r without its selector.
func (r Ref) Collection() Ref { r.Selector = ""; return r }
