package core

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// DigestPrefix starts every digest's text form.
const DigestPrefix = "sha256:"

// Digest is a SHA-256 content address. Its text form is "sha256:<64 hex>".
// The zero Digest means "none".
type Digest [sha256.Size]byte

// NewHash returns the hash Trove addresses content with.
func NewHash() hash.Hash { return sha256.New() }

// DigestOf returns the digest of b.
func DigestOf(b []byte) Digest { return Digest(sha256.Sum256(b)) }

// DigestFromHash returns the digest accumulated by h, which must come from
// NewHash.
func DigestFromHash(h hash.Hash) Digest {
	var d Digest
	h.Sum(d[:0])
	return d
}

// ParseDigest parses "sha256:<64 lower-case hex>".
func ParseDigest(s string) (Digest, error) {
	var d Digest
	hexPart, ok := strings.CutPrefix(s, DigestPrefix)
	if !ok || len(hexPart) != 2*sha256.Size {
		return d, Errorf(ErrInvalid, "digest %.80q: want %s followed by %d hex digits", s, DigestPrefix, 2*sha256.Size)
	}
	for i := 0; i < len(hexPart); i++ {
		c := hexPart[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return d, Errorf(ErrInvalid, "digest %.80q: want lower-case hex digits", s)
		}
	}
	if _, err := hex.Decode(d[:], []byte(hexPart)); err != nil {
		return d, Errorf(ErrInvalid, "digest %.80q: %v", s, err)
	}
	if d.IsZero() {
		// The zero value means "no digest"; no content hashes to it.
		return d, Errorf(ErrInvalid, "digest %.80q is all zeros", s)
	}
	return d, nil
}

// String returns "sha256:<hex>", or "" for the zero digest.
func (d Digest) String() string {
	if d.IsZero() {
		return ""
	}
	return DigestPrefix + hex.EncodeToString(d[:])
}

// Hex returns the 64 hex digits without the algorithm prefix.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is the zero digest.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText implements encoding.TextMarshaler.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. Empty text is the zero
// digest.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Digest{}
		return nil
	}
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
