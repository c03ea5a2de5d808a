package blob

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// How a store keeps its blobs at rest, and the check that every process
// opening it agrees.
//
// A store records in its metadata database (the store setting SettingAtRest)
// whether its file blobs are encrypted and under the key of which id. Every
// open — a server's, an embedded CLI's or SDK's — compares the key it was
// given, or its absence, with the record and refuses a mismatch before
// anything is written: a process without the key would otherwise write
// blobs in plain that the others read as corrupt, and a server with the
// wrong key would start and call every blob corrupt.
//
// The first open records the way of its opener: encrypted under its key, or
// in plain without one. A store from before stores recorded this, which may
// hold blobs already, is surveyed first (surveyAtRest): its blobs tell, and
// the record is written only when they agree with the opener. A record never
// changes: on a store recorded as plain, a key is refused even while it
// holds no blob, since another process may have it open, without a key,
// and write at any moment.

// SettingAtRest is the name of the store setting (see Settings) that records
// how a store keeps its blobs: "none" (in plain) or "aes-256-gcm:" and the id
// of the key (KeyID) they are encrypted under (crypt.go).
const SettingAtRest = "blob_encryption"

// atRestCipher prefixes the recorded way of an encrypted store.
const atRestCipher = "aes-256-gcm:"

// KeyID returns the id of an encryption key: 16 hex digits, the 8 bytes
// HKDF-SHA256(key, no salt, "trove blob key id v1") that the header of every
// blob encrypted under the key carries (crypt.go). The id names a key; it
// does not help to recover it: HKDF is a one-way pseudorandom function of a
// 256-bit random key, so the id only lets whoever holds a candidate key test
// it, which holding the key allows anyway (by decrypting a blob). A key that
// is not KeySize bytes is core.ErrInvalid.
func KeyID(key []byte) (string, error) {
	k, err := newCipherKey(key)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(k.id[:]), nil
}

// AtRest is how a store keeps its blobs at rest.
type AtRest struct {
	// KeyID is the id (see KeyID) of the key the blobs are encrypted
	// under; "" means they are kept in plain.
	KeyID string
}

// Encrypted reports whether the blobs are encrypted.
func (a AtRest) Encrypted() bool { return a.KeyID != "" }

// String returns the recorded form: "none" or "aes-256-gcm:<key id>".
func (a AtRest) String() string {
	if !a.Encrypted() {
		return "none"
	}
	return atRestCipher + a.KeyID
}

// ParseAtRest parses the recorded form of an AtRest (see String). Anything
// else is core.ErrInvalid.
func ParseAtRest(s string) (AtRest, error) {
	if s == "none" {
		return AtRest{}, nil
	}
	id, ok := strings.CutPrefix(s, atRestCipher)
	if !ok || len(id) != 2*encKeyIDSize || strings.ToLower(id) != id {
		return AtRest{}, core.Errorf(core.ErrInvalid, "blob encryption %q: want none or %s and 16 lower-case hex digits", s, atRestCipher)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return AtRest{}, core.Errorf(core.ErrInvalid, "blob encryption %q: want none or %s and 16 lower-case hex digits", s, atRestCipher)
	}
	return AtRest{KeyID: id}, nil
}

// Settings is where a store records how it keeps its blobs: its metadata
// database, which every process opening the store shares (*meta.Store
// implements it). Both methods are safe for concurrent use by several
// processes.
type Settings interface {
	// Setting returns the value of the setting name, and false when it
	// was never set.
	Setting(ctx context.Context, name string) (string, bool, error)
	// InitSetting sets name to value unless it is set, and returns the
	// value it holds afterwards: of concurrent callers, the first wins
	// and all learn its value. A set value never changes.
	InitSetting(ctx context.Context, name, value string) (string, error)
}

// AtRestCheck is what CheckAtRest found.
type AtRestCheck struct {
	// AtRest is how the store keeps its blobs, as recorded.
	AtRest AtRest
	// Recorded reports whether this check recorded it: the store's
	// first open since stores record how they keep blobs.
	Recorded bool
	// Plain counts the blobs found in plain in a store that was just
	// recorded as encrypted: written without the key by embedded
	// processes before stores recorded how they keep blobs. Reading one
	// fails with core.ErrCorrupt ("no header of an encrypted blob");
	// trove verify lists them.
	Plain int
}

// OpenChecked opens the blob store rawURL names, as OpenWith does, and
// checks with CheckAtRest that o's key, or its absence, is the one the store
// keeps its blobs under, according to what s records (recording it on the
// store's first open). keyHint names, in errors, how the opener is given a
// key: a flag or an environment variable. On any error nothing is written
// and no store stays open.
func OpenChecked(ctx context.Context, rawURL string, o Options, s Settings, keyHint string) (*Bucket, AtRestCheck, error) {
	b, err := OpenWith(ctx, rawURL, o)
	if err != nil {
		return nil, AtRestCheck{}, err
	}
	c, err := b.CheckAtRest(ctx, s, keyHint)
	if err != nil {
		b.Close()
		return nil, AtRestCheck{}, err
	}
	return b, c, nil
}

// CheckAtRest checks that b was opened the way its store keeps its blobs —
// encrypted under the key b has, or in plain when b has none — as s
// records it, and records it on the store's first open (see the comment at
// the top of this file). A mismatch is core.ErrInvalid, with a message
// naming the store, the problem and what to do; keyHint names how the
// opener gives a key ("--encryption-key-file", "TROVE_ENCRYPTION_KEY_FILE").
// CheckAtRest writes no blob.
func (b *Bucket) CheckAtRest(ctx context.Context, s Settings, keyHint string) (AtRestCheck, error) {
	want := b.atRest()
	raw, ok, err := s.Setting(ctx, SettingAtRest)
	if err != nil {
		return AtRestCheck{}, err
	}
	if ok {
		rec, err := ParseAtRest(raw)
		if err != nil {
			return AtRestCheck{}, core.Errorf(core.ErrInvalid, "%s: the store's record of how it keeps blobs: %w", b.name(), err)
		}
		return AtRestCheck{AtRest: rec}, b.mismatch(rec, want, keyHint)
	}

	// No record: a new store, or one from before stores kept one.
	check := AtRestCheck{AtRest: want, Recorded: true}
	if b.root != "" {
		sv, err := b.surveyAtRest(ctx)
		if err != nil {
			return AtRestCheck{}, err
		}
		if check.Plain, err = b.judge(sv, want, keyHint); err != nil {
			return AtRestCheck{}, err
		}
	}
	stored, err := s.InitSetting(ctx, SettingAtRest, want.String())
	if err != nil {
		return AtRestCheck{}, err
	}
	if stored != want.String() {
		// Another process recorded its way first.
		rec, err := ParseAtRest(stored)
		if err != nil {
			return AtRestCheck{}, core.Errorf(core.ErrInvalid, "%s: the store's record of how it keeps blobs: %w", b.name(), err)
		}
		return AtRestCheck{AtRest: rec}, b.mismatch(rec, want, keyHint)
	}
	return check, nil
}

// atRest is how b was opened.
func (b *Bucket) atRest() AtRest {
	if b.key == nil {
		return AtRest{}
	}
	return AtRest{KeyID: hex.EncodeToString(b.key.id[:])}
}

// name names b's store in messages.
func (b *Bucket) name() string {
	if b.root != "" {
		return "blob store " + b.root
	}
	return "the blob store"
}

// mismatch returns the error of opening a store recorded as rec the way
// want, nil when they agree.
func (b *Bucket) mismatch(rec, want AtRest, keyHint string) error {
	switch {
	case rec == want:
		return nil
	case rec.Encrypted() && b.root == "":
		return core.Errorf(core.ErrInvalid, "%s is recorded as encrypted (key id %s), but Trove encrypts only file:// blob stores: open the store with the file:// blob store it was recorded for, and its key file in %s",
			b.name(), rec.KeyID, keyHint)
	case rec.Encrypted() && !want.Encrypted():
		return core.Errorf(core.ErrInvalid, "%s is encrypted (key id %s) and no key was given: give its key file with %s", b.name(), rec.KeyID, keyHint)
	case rec.Encrypted():
		return core.Errorf(core.ErrInvalid, "%s is encrypted under another key (key id %s; the key given has id %s): give its key file with %s",
			b.name(), rec.KeyID, want.KeyID, keyHint)
	}
	return core.Errorf(core.ErrInvalid, "%s is not encrypted (it was first opened without a key and keeps its blobs in plain), but a key was given (key id %s): open it without %s; to encrypt blobs at rest, start a new store with the key",
		b.name(), want.KeyID, keyHint)
}

// A survey is what the blobs of a store without a record say about how it
// keeps them.
type survey struct {
	plain          int         // blobs that are no encrypted blob, or hash to their name
	example        core.Digest // one of them
	damaged        int         // blobs that start like an encrypted one but are none, nor hash to their name
	damagedExample core.Digest
	// enc are the blobs shaped like encrypted ones (a valid header, a size
	// encryption yields), by the key id of their header.
	enc map[[encKeyIDSize]byte]*encBlobs
}

// encBlobs are the blobs that look encrypted under one key id.
type encBlobs struct {
	id    [encKeyIDSize]byte
	n     int
	first core.Digest // the first one found
	// smallest are the smallest few, the cheapest to prove encrypted.
	smallest []sizedBlob
	// proven is set once one of them was proven encrypted.
	proven bool
	// unsure counts those neither proven encrypted nor found to be
	// something else: those not examined, unless one was proven.
	unsure int
}

type sizedBlob struct {
	d    core.Digest
	size int64
}

// proofCandidates is how many blobs per key id surveyAtRest keeps to prove
// that blobs under that id are encrypted. Only a blob stored in plain that
// happens to start like an encrypted one fails to prove it.
const proofCandidates = 4

// surveyAtRest reads the start of every blob of a file:// store and tells
// which are encrypted under which key id and which are in plain. A file that
// is not shaped like an encrypted blob is in plain (or damaged where it
// starts like one). One that is shaped like one is encrypted, unless its
// bytes hash to its name: plain content may start with any bytes, a header
// included, but an encrypted blob cannot hash to the digest of its own
// plaintext. So for each key id the smallest such blobs are proven — by
// authenticating their first chunk when b has that key, else by hashing
// them — until one is. It costs a walk of the store and a read of 48 bytes a
// blob, once in the store's life: the record makes it unnecessary after.
func (b *Bucket) surveyAtRest(ctx context.Context) (*survey, error) {
	sv := &survey{enc: map[[encKeyIDSize]byte]*encBlobs{}}
	hdr := make([]byte, encHeaderSize)
	err := b.walk(ctx, blobPrefix, func(key string, info fs.FileInfo) error {
		d, ok := parseKey(key)
		if !ok {
			return nil
		}
		n, err := readStart(b.path(key), hdr)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // deleted meanwhile
		case err != nil:
			return err
		case !bytes.HasPrefix(hdr[:n], []byte(encMagic)):
			sv.addPlain(d)
			return nil
		}
		h, err := parseEncHeader(hdr[:n])
		if _, shaped := plainSize(info.Size()); err == nil && shaped {
			eb := sv.enc[h.keyID]
			if eb == nil {
				eb = &encBlobs{id: h.keyID, first: d}
				sv.enc[h.keyID] = eb
			}
			eb.n++
			eb.smallest = append(eb.smallest, sizedBlob{d, info.Size()})
			slices.SortFunc(eb.smallest, func(x, y sizedBlob) int { return cmp.Compare(x.size, y.size) })
			eb.smallest = eb.smallest[:min(len(eb.smallest), proofCandidates)]
			return nil
		}
		// The magic, then no valid header or shape: in plain if its bytes
		// hash to its name, else a damaged encrypted blob.
		plain, err := b.hashesTo(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case plain:
			sv.addPlain(d)
		default:
			sv.addDamaged(d)
		}
		return nil
	})
	if err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "%s: reading its blobs to learn whether they are encrypted: %w", b.name(), err)
	}
	for _, eb := range sv.enc {
		if err := b.prove(sv, eb); err != nil {
			return nil, core.Errorf(core.ErrUnavailable, "%s: reading its blobs to learn whether they are encrypted: %w", b.name(), err)
		}
	}
	return sv, nil
}

func (sv *survey) addPlain(d core.Digest) {
	if sv.plain == 0 {
		sv.example = d
	}
	sv.plain++
}

func (sv *survey) addDamaged(d core.Digest) {
	if sv.damaged == 0 {
		sv.damagedExample = d
	}
	sv.damaged++
}

// prove examines eb's smallest blobs until one proves to be encrypted.
func (b *Bucket) prove(sv *survey, eb *encBlobs) error {
	own := b.key != nil && eb.id == b.key.id
	eb.unsure = eb.n
	for _, c := range eb.smallest {
		if own {
			ok, err := b.authenticates(c.d)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				eb.unsure--
				continue
			case err != nil:
				return err
			case ok:
				eb.proven, eb.unsure = true, 0
				return nil
			}
		}
		plain, err := b.hashesTo(c.d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			eb.unsure--
		case err != nil:
			return err
		case plain:
			sv.addPlain(c.d)
			eb.unsure--
		case own:
			// Under our key id, yet its first chunk does not
			// authenticate: damaged.
			sv.addDamaged(c.d)
			eb.unsure--
		default:
			eb.proven, eb.unsure = true, 0
			return nil
		}
	}
	return nil
}

// judge decides, from a survey, whether the store may be recorded the way
// want, and returns how many blobs it holds in plain when want is
// encrypted.
func (b *Bucket) judge(sv *survey, want AtRest, keyHint string) (int, error) {
	var proven, others []string // key ids: all proven, those not want's
	unsure, unsureOf, unsureID, unsureExample := 0, 0, "", core.Digest{}
	for id, eb := range sv.enc {
		if eb.proven {
			proven = append(proven, hex.EncodeToString(id[:]))
			if proven[len(proven)-1] != want.KeyID {
				others = append(others, proven[len(proven)-1])
			}
		}
		if eb.unsure > 0 {
			unsure, unsureOf, unsureID, unsureExample = unsure+eb.unsure, eb.n, hex.EncodeToString(id[:]), eb.first
		}
	}
	slices.Sort(proven)
	slices.Sort(others)
	cannotTell := func(why string, example core.Digest) error {
		return core.Errorf(core.ErrInvalid, "%s records no key and its blobs do not tell whether it is encrypted: %s, such as %s; move those files aside and open it again",
			b.name(), why, b.path(keyOf(example)))
	}
	switch {
	case !want.Encrypted() && len(proven) > 0:
		return 0, core.Errorf(core.ErrInvalid, "%s is encrypted (key id %s) and no key was given: give its key file with %s", b.name(), proven[0], keyHint)
	case len(others) > 0:
		return 0, core.Errorf(core.ErrInvalid, "%s is encrypted under another key (key id %s; the key given has id %s): give its key file with %s",
			b.name(), strings.Join(others, ", "), want.KeyID, keyHint)
	case unsure > 0:
		return 0, cannotTell(fmt.Sprintf("%d blobs look encrypted under key id %s, yet the smallest of them do not prove it (they hash to their content, which encrypted blobs never do, or are damaged)",
			unsureOf, unsureID), unsureExample)
	case len(proven) > 0: // want's key
		return sv.plain, nil
	case sv.plain == 0 && sv.damaged > 0:
		return 0, cannotTell(fmt.Sprintf("all its blobs (%d) start like encrypted ones but are damaged", sv.damaged), sv.damagedExample)
	case want.Encrypted() && sv.plain > 0:
		return 0, core.Errorf(core.ErrInvalid, "%s is not encrypted (it holds %s in plain, such as %s), but a key was given (key id %s): open it without %s; to encrypt blobs at rest, start a new store with the key",
			b.name(), count(sv.plain, "blob"), sv.example, want.KeyID, keyHint)
	}
	return 0, nil
}

// count returns "1 blob", "2 blobs"…
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// readStart reads up to len(buf) bytes from the start of the file at path.
func readStart(path string, buf []byte) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return n, err
}

// hashesTo reports whether the bytes of blob d's file, as they are on disk,
// hash to d: then they are d's content in plain.
func (b *Bucket) hashesTo(d core.Digest) (bool, error) {
	f, err := os.Open(b.path(keyOf(d)))
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := core.NewHash()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return core.DigestFromHash(h) == d, nil
}

// authenticates reports whether the first chunk of blob d's file decrypts
// and authenticates under b's key: proof that it is encrypted under it.
func (b *Bucket) authenticates(d core.Digest) (bool, error) {
	f, err := os.Open(b.path(keyOf(d)))
	if err != nil {
		return false, err
	}
	dr := newDecReader(f, b.key)
	defer dr.Close()
	var one [1]byte
	_, err = dr.Read(one[:])
	switch {
	case err == nil, err == io.EOF:
		return true, nil
	case errors.Is(err, core.ErrCorrupt):
		return false, nil
	}
	return false, err
}
