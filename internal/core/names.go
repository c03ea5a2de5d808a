package core

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest entity, project, artifact, alias or type name.
const MaxNameLen = 128

// LatestAlias is the alias Trove keeps on the highest committed version.
const LatestAlias = "latest"

// ReservedTypePrefix starts the artifact types Trove keeps for itself.
const ReservedTypePrefix = "trove-"

// isNameChar reports whether c may appear in a name: ASCII letters, digits,
// '.', '_' and '-'.
func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// validName checks s against ^[A-Za-z0-9._-]{1,128}$ and refuses "." and
// "..", which would be path traversals wherever a name becomes a directory.
func validName(what, s string) error {
	if s == "" {
		return Errorf(ErrInvalid, "%s is empty", what)
	}
	if len(s) > MaxNameLen {
		return Errorf(ErrInvalid, "%s %.20q… is longer than %d characters", what, s, MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return Errorf(ErrInvalid, "%s %q: only letters, digits, '.', '_' and '-' are allowed", what, s)
		}
	}
	if s == "." || s == ".." {
		return Errorf(ErrInvalid, "%s %q is not allowed", what, s)
	}
	return nil
}

// ValidateName checks an artifact collection name.
func ValidateName(s string) error { return validName("artifact name", s) }

// ValidateProject checks a project name.
func ValidateProject(s string) error { return validName("project name", s) }

// ValidateEntity checks an entity (user or team) name.
func ValidateEntity(s string) error { return validName("entity name", s) }

// ValidateAlias checks an alias a user may set: a name that is not a version
// index ("v3") or of the reserved shape v<digits>.
func ValidateAlias(s string) error {
	if err := validName("alias", s); err != nil {
		return err
	}
	if isVersionShaped(s) {
		return Errorf(ErrInvalid, "alias %q is reserved: v<N> names versions", s)
	}
	return nil
}

// ValidateType checks an artifact type given by a user: 1 to 128 printable
// characters, no '/' or ':', not starting with the reserved "trove-".
func ValidateType(s string) error {
	if err := validLabel("artifact type", s); err != nil {
		return err
	}
	if strings.ContainsAny(s, "/:") {
		return Errorf(ErrInvalid, "artifact type %q: '/' and ':' are not allowed", s)
	}
	if strings.HasPrefix(s, ReservedTypePrefix) {
		return Errorf(ErrInvalid, "artifact type %q: types starting %q are reserved", s, ReservedTypePrefix)
	}
	return nil
}

// ValidateLabel checks a free-form label such as a job type, a group or a
// run's display name: at most 128 characters of valid UTF-8 with no control
// characters. Empty is allowed.
func ValidateLabel(what, s string) error {
	if s == "" {
		return nil
	}
	return validLabel(what, s)
}

func validLabel(what, s string) error {
	if s == "" {
		return Errorf(ErrInvalid, "%s is empty", what)
	}
	if !utf8.ValidString(s) {
		return Errorf(ErrInvalid, "%s is not valid UTF-8", what)
	}
	if utf8.RuneCountInString(s) > MaxNameLen {
		return Errorf(ErrInvalid, "%s %.20q… is longer than %d characters", what, s, MaxNameLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return Errorf(ErrInvalid, "%s %q contains a control character", what, s)
		}
	}
	if strings.TrimSpace(s) != s {
		return Errorf(ErrInvalid, "%s %q has leading or trailing spaces", what, s)
	}
	return nil
}

// isVersionShaped reports whether s looks like v<digits>.
func isVersionShaped(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseVersionIndex parses "vN" (no leading zeros) and reports whether s has
// that form.
func ParseVersionIndex(s string) (int, bool) {
	if !isVersionShaped(s) || (len(s) > 2 && s[1] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// VersionLabel formats a version index as "vN".
func VersionLabel(index int) string { return "v" + strconv.Itoa(index) }
