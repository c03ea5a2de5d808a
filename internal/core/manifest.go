package core

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// Entry is one file of an artifact version.
type Entry struct {
	Path   string            `json:"path"`
	Digest Digest            `json:"digest"`
	Size   int64             `json:"size"`
	Ref    string            `json:"ref,omitempty"`   // URI of a reference entry; "" for a stored file
	Extra  map[string]string `json:"extra,omitempty"` // reference details: etag, version id…
}

// Validate checks the entry's path, digest and size.
func (e Entry) Validate() error {
	if err := ValidatePath(e.Path); err != nil {
		return err
	}
	if e.Digest.IsZero() {
		return Errorf(ErrInvalid, "entry %q has no digest", e.Path)
	}
	if e.Size < 0 {
		return Errorf(ErrInvalid, "entry %q has a negative size", e.Path)
	}
	return e.validateRef()
}

// Bounds of a reference entry's fields.
const (
	maxRefLen      = 4096
	maxExtraFields = 16
	maxExtraKey    = 64
	maxExtraValue  = 1024
)

// refSchemes are the URI schemes a reference entry may have.
var refSchemes = map[string]bool{"http": true, "https": true, "s3": true, "gs": true, "file": true}

func (e Entry) validateRef() error {
	if e.Ref == "" {
		if len(e.Extra) > 0 {
			return Errorf(ErrInvalid, "entry %q has reference details but no reference", e.Path)
		}
		return nil
	}
	if len(e.Ref) > maxRefLen {
		return Errorf(ErrInvalid, "entry %q: reference longer than %d bytes", e.Path, maxRefLen)
	}
	scheme, _, ok := strings.Cut(e.Ref, "://")
	if !ok || !refSchemes[strings.ToLower(scheme)] {
		return Errorf(ErrInvalid, "entry %q: reference %.100q is not an http, https, s3, gs or file URI", e.Path, e.Ref)
	}
	if len(e.Extra) > maxExtraFields {
		return Errorf(ErrInvalid, "entry %q: more than %d reference details", e.Path, maxExtraFields)
	}
	for k, v := range e.Extra {
		if k == "" || len(k) > maxExtraKey || len(v) > maxExtraValue {
			return Errorf(ErrInvalid, "entry %q: reference detail %.70q too long or empty", e.Path, k)
		}
	}
	return nil
}

// Manifest is the content of an artifact version: its entries, sorted by path,
// each path once. Build one with NewManifest; the zero Manifest is empty.
type Manifest struct {
	entries []Entry
}

// NewManifest validates the entries, sorts them by path and refuses
// duplicates, and entries whose sizes add up to more than an int64 holds
// (core.ErrInvalid), so that Size never overflows. It does not modify the
// given slice.
func NewManifest(entries []Entry) (Manifest, error) {
	es := slices.Clone(entries)
	var total int64
	for _, e := range es {
		if err := e.Validate(); err != nil {
			return Manifest{}, err
		}
		if e.Size > math.MaxInt64-total {
			return Manifest{}, Errorf(ErrInvalid, "the sizes of the entries add up to more than %d bytes (at %q, %d bytes)", int64(math.MaxInt64), e.Path, e.Size)
		}
		total += e.Size
	}
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	for i := 1; i < len(es); i++ {
		if es[i].Path == es[i-1].Path {
			return Manifest{}, Errorf(ErrConflict, "path %q is added twice", es[i].Path)
		}
	}
	// A file and a directory of the same name cannot both be downloaded.
	files := make(map[string]bool, len(es))
	for _, e := range es {
		files[e.Path] = true
	}
	for _, e := range es {
		for i := strings.LastIndexByte(e.Path, '/'); i > 0; i = strings.LastIndexByte(e.Path[:i], '/') {
			if files[e.Path[:i]] {
				return Manifest{}, Errorf(ErrConflict, "path %q is both a file and a directory (%q)", e.Path[:i], e.Path)
			}
		}
	}
	return Manifest{entries: es}, nil
}

// Entries returns the entries in path order. The caller must not modify them.
func (m Manifest) Entries() []Entry { return m.entries }

// Blobs returns, once each in path order of their first entry, the digests
// of the stored (non-reference) entries: the blobs the version needs.
func (m Manifest) Blobs() []Digest {
	var ds []Digest
	seen := make(map[Digest]bool)
	for _, e := range m.entries {
		if e.Ref == "" && !seen[e.Digest] {
			seen[e.Digest] = true
			ds = append(ds, e.Digest)
		}
	}
	return ds
}

// Len returns the number of entries.
func (m Manifest) Len() int { return len(m.entries) }

// Size returns the sum of the entries' sizes, which NewManifest made sure
// an int64 holds.
func (m Manifest) Size() int64 {
	var n int64
	for _, e := range m.entries {
		n += e.Size
	}
	return n
}

// Lookup returns the entry at path.
func (m Manifest) Lookup(path string) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(m.entries, path, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
	if !ok {
		return Entry{}, false
	}
	return m.entries[i], true
}

// manifestDomain separates manifest digests from file digests, and this
// encoding of a manifest from the earlier one ("trove-manifest-v1\n"), which
// left sizes out.
const manifestDomain = "trove-manifest-v2\n"

// Digest returns the artifact digest (see ManifestDigest).
func (m Manifest) Digest() Digest { return ManifestDigest(m.entries) }

// ManifestDigest returns the artifact digest of entries sorted by path:
// SHA-256 over "trove-manifest-v2\n" followed, for each entry in path order,
// by the path and the digest's text form, each preceded by its length as an
// 8-byte big-endian integer, then the size as an 8-byte big-endian integer,
// and for a reference entry a zero length and the length-prefixed reference
// URI. Length prefixes make the encoding unambiguous. Extras are covered
// through the entry digest, which is derived from them; sizes are covered
// directly, so that an entry that misstates its blob's size can never stand
// for the correct one (Trove checks stored entries' sizes against their
// blobs when it commits them). The same entries always give the same
// digest, in any order they were added.
//
// It does not validate the entries: Manifest.Digest calls it on entries
// NewManifest checked, and migrations call it to digest stored manifests
// as they are.
func ManifestDigest(entries []Entry) Digest {
	h := NewHash()
	h.Write([]byte(manifestDomain))
	var n [8]byte
	for _, e := range entries {
		binary.BigEndian.PutUint64(n[:], uint64(len(e.Path)))
		h.Write(n[:])
		h.Write([]byte(e.Path))
		d := e.Digest.String()
		binary.BigEndian.PutUint64(n[:], uint64(len(d)))
		h.Write(n[:])
		h.Write([]byte(d))
		binary.BigEndian.PutUint64(n[:], uint64(e.Size))
		h.Write(n[:])
		if e.Ref != "" {
			// A reference differs from a stored file of the same bytes
			// (file:// entries carry content digests) and from a reference
			// to the same bytes elsewhere. The field starts with an empty
			// "path", which no real entry has, so it cannot be mistaken
			// for the next entry.
			binary.BigEndian.PutUint64(n[:], 0)
			h.Write(n[:])
			binary.BigEndian.PutUint64(n[:], uint64(len(e.Ref)))
			h.Write(n[:])
			h.Write([]byte(e.Ref))
		}
	}
	return DigestFromHash(h)
}

// Diff lists what changed from one manifest to another.
type Diff struct {
	Added   []Entry      `json:"added"`
	Removed []Entry      `json:"removed"`
	Changed []EntryDelta `json:"changed"`
}

// EntryDelta is one path whose content differs between two manifests.
type EntryDelta struct {
	Path string `json:"path"`
	From Entry  `json:"from"`
	To   Entry  `json:"to"`
}

// DiffManifests returns the entries added, removed and changed from a to b,
// each in path order. Slices are empty, never nil.
func DiffManifests(a, b Manifest) Diff {
	d := Diff{Added: []Entry{}, Removed: []Entry{}, Changed: []EntryDelta{}}
	i, j := 0, 0
	for i < len(a.entries) || j < len(b.entries) {
		switch {
		case j == len(b.entries) || i < len(a.entries) && a.entries[i].Path < b.entries[j].Path:
			d.Removed = append(d.Removed, a.entries[i])
			i++
		case i == len(a.entries) || b.entries[j].Path < a.entries[i].Path:
			d.Added = append(d.Added, b.entries[j])
			j++
		default:
			if a.entries[i].Digest != b.entries[j].Digest || a.entries[i].Size != b.entries[j].Size || a.entries[i].Ref != b.entries[j].Ref {
				d.Changed = append(d.Changed, EntryDelta{Path: a.entries[i].Path, From: a.entries[i], To: b.entries[j]})
			}
			i++
			j++
		}
	}
	return d
}

// MarshalJSON writes the entries as a JSON array.
func (m Manifest) MarshalJSON() ([]byte, error) {
	if m.entries == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(m.entries)
}

// UnmarshalJSON reads a JSON array of entries and validates it as
// NewManifest does.
func (m *Manifest) UnmarshalJSON(b []byte) error {
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		return Errorf(ErrInvalid, "manifest: %v", err)
	}
	nm, err := NewManifest(es)
	if err != nil {
		return err
	}
	*m = nm
	return nil
}
