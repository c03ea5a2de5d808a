package authz

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// keyAlphabet is base62: keys survive copy-paste, shells, URLs and YAML
// without quoting.
const keyAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// keyBodyLen random base62 characters carry 40·log2(62) ≈ 238 bits, well
// above the 160 bits that make guessing hopeless.
const keyBodyLen = 40

// keyPrefixLen is how much of a key is kept for display: "trove_" and six
// random characters, enough to tell a user's keys apart and far too little
// to help guess one.
const keyPrefixLen = 12

// maxKeyLen bounds what Authenticate looks at, so junk headers cost nothing.
const maxKeyLen = 256

// NewKey returns a new random API key, its hash (what the store keeps) and
// its display prefix.
func NewKey() (key string, hash [32]byte, prefix string, err error) {
	b := make([]byte, len(KeyPrefix), len(KeyPrefix)+keyBodyLen)
	copy(b, KeyPrefix)
	// Rejection sampling keeps every character uniform: 248 = 4·62, so
	// bytes below it map evenly onto the alphabet.
	var buf [64]byte
	for len(b) < cap(b) {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", [32]byte{}, "", core.Errorf(core.ErrUnavailable, "generating an API key: %w", err)
		}
		for _, c := range buf {
			if c < 248 && len(b) < cap(b) {
				b = append(b, keyAlphabet[c%62])
			}
		}
	}
	key = string(b)
	return key, HashKey(key), key[:keyPrefixLen], nil
}

// HashKey returns the hash under which a key is stored.
//
// A key is 238 random bits, not a password: no dictionary or brute force
// reaches it, so a fast hash is as safe as a slow one (bcrypt and friends
// only help low-entropy secrets) and lets every request be checked by one
// indexed lookup. That lookup is by hash, so there is no secret-dependent
// comparison to time either: the database compares hashes of the key, which
// reveal nothing about the stored ones.
func HashKey(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// wellFormed reports whether key looks like a key NewKey makes. Any length
// of body is accepted so that a future change of length keeps old keys
// working.
func wellFormed(key string) bool {
	body, ok := strings.CutPrefix(key, KeyPrefix)
	if !ok || body == "" || len(key) > maxKeyLen {
		return false
	}
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(keyAlphabet, body[i]) < 0 {
			return false
		}
	}
	return true
}

// Authenticate returns the principal owning key. A missing, malformed,
// unknown or revoked key is core.ErrUnauthenticated.
//
// Nothing is cached: every request looks its key up, so a revocation takes
// effect on the next request on every replica.
func Authenticate(ctx context.Context, st Store, key string) (Principal, error) {
	if key == "" {
		return Principal{}, core.Errorf(core.ErrUnauthenticated, "an API key is required")
	}
	if !wellFormed(key) {
		return Principal{}, core.Errorf(core.ErrUnauthenticated, "the API key is malformed: keys start with %q", KeyPrefix)
	}
	u, k, err := st.UserByKeyHash(ctx, HashKey(key))
	if errors.Is(err, core.ErrNotFound) {
		return Principal{}, core.Errorf(core.ErrUnauthenticated, "the API key is unknown or revoked")
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{User: u, KeyID: k.ID}, nil
}
