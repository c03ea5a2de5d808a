package core

import (
	"strings"
	"unicode/utf8"
)

// MaxPathLen is the longest entry path, in bytes: Linux's PATH_MAX, so that
// a path joined under a short download directory can still be opened.
const MaxPathLen = 4096

// MaxSegmentLen is the longest segment (file or directory name) of an entry
// path, in bytes: NAME_MAX of Linux, macOS and Windows file systems. A longer
// name could be committed but never downloaded.
const MaxSegmentLen = 255

// ValidatePath checks that p is a clean relative slash path as stored in a
// manifest: not empty, no leading '/', no empty, "." or ".." segments, no
// backslashes, NUL or other control characters, valid UTF-8, at most
// MaxPathLen bytes with segments of at most MaxSegmentLen bytes. Such a path
// can be joined under any directory without escaping it, and created there.
func ValidatePath(p string) error {
	switch {
	case p == "":
		return Errorf(ErrInvalid, "path is empty")
	case len(p) > MaxPathLen:
		return Errorf(ErrInvalid, "path %.40q… is longer than %d bytes", p, MaxPathLen)
	case !utf8.ValidString(p):
		return Errorf(ErrInvalid, "path %q is not valid UTF-8", p)
	case p[0] == '/':
		return Errorf(ErrInvalid, "path %q is absolute; entry paths are relative", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return Errorf(ErrInvalid, "path %q contains a control character or backslash", p)
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return Errorf(ErrInvalid, "path %q has an empty segment", p)
		case ".", "..":
			return Errorf(ErrInvalid, "path %q has a %q segment", p, seg)
		}
		if len(seg) > MaxSegmentLen {
			return Errorf(ErrInvalid, "path %.60q…: segment %.20q… is longer than %d bytes, which file systems cannot store", p, seg, MaxSegmentLen)
		}
	}
	return nil
}

// JoinPath joins entry path segments with '/' and validates the result.
// Empty segments are skipped, so JoinPath("", "a.txt") is "a.txt", and a
// trailing '/' on a prefix is dropped ("images/" + "cat.png").
func JoinPath(segs ...string) (string, error) {
	var parts []string
	for i, s := range segs {
		if i < len(segs)-1 {
			s = strings.TrimSuffix(s, "/")
		}
		if s != "" {
			parts = append(parts, s)
		}
	}
	p := strings.Join(parts, "/")
	return p, ValidatePath(p)
}
