// Package core holds Trove's value types: names and references, digests,
// manifests, the records the service exchanges, and errors with kinds. It does
// no I/O.
package core

import (
	"errors"
	"fmt"
)

// Error kinds. Every error Trove returns wraps exactly one of them, so callers
// test the kind with errors.Is, locally and — because the HTTP client rebuilds
// the kind from the error code — over the network too.
var (
	// ErrInvalid: the input is malformed (bad name, path, JSON, reference…).
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: the named thing does not exist (or is not visible).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request contradicts the current state (alias held,
	// type mismatch, path added twice…).
	ErrConflict = errors.New("conflict")
	// ErrCorrupt: stored or sent bytes do not match their digest.
	ErrCorrupt = errors.New("corrupt")
	// ErrPermission: the caller may not do this.
	ErrPermission = errors.New("permission denied")
	// ErrUnauthenticated: no valid credentials.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrTooLarge: a body or a collection exceeds a limit.
	ErrTooLarge = errors.New("too large")
	// ErrUnavailable: a dependency (database, object store) is unreachable.
	ErrUnavailable = errors.New("unavailable")
)

// kinds maps each kind to its stable code, used in JSON errors and exit
// messages. The codes are part of the HTTP contract.
var kinds = []struct {
	err  error
	code string
}{
	{ErrInvalid, "invalid"},
	{ErrNotFound, "not_found"},
	{ErrConflict, "conflict"},
	{ErrCorrupt, "corrupt"},
	{ErrPermission, "permission_denied"},
	{ErrUnauthenticated, "unauthenticated"},
	{ErrTooLarge, "too_large"},
	{ErrUnavailable, "unavailable"},
}

// Error is an error of a known kind with a human-readable message.
type Error struct {
	Kind error  // one of the Err* kinds above
	Msg  string // what went wrong, for a person, including the cause
	Err  error  // the underlying cause, if any
}

func (e *Error) Error() string { return e.Msg }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error of the given kind with a formatted message. A %w
// verb in format wraps its argument as the cause.
func Errorf(kind error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// KindOf returns the kind of err: the kind of the outermost *Error in its
// chain, else the first kind err wraps, else nil.
func KindOf(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Kind != nil {
		return e.Kind
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.err
		}
	}
	return nil
}

// Code returns the stable code of err's kind ("not_found", …), or "internal"
// when err has none of the known kinds.
func Code(err error) string {
	kind := KindOf(err)
	for _, k := range kinds {
		if k.err == kind {
			return k.code
		}
	}
	return "internal"
}

// KindFromCode returns the kind whose code is code, or nil for an unknown
// code.
func KindFromCode(code string) error {
	for _, k := range kinds {
		if k.code == code {
			return k.err
		}
	}
	return nil
}
