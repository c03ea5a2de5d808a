package core

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"bike-dataset", Ref{Name: "bike-dataset"}},
		{"bike-dataset:v0", Ref{Name: "bike-dataset", Selector: "v0"}},
		{"bike-dataset:v12", Ref{Name: "bike-dataset", Selector: "v12"}},
		{"bike-dataset:latest", Ref{Name: "bike-dataset", Selector: "latest"}},
		{"my-project/bike-model:v0", Ref{Project: "my-project", Name: "bike-model", Selector: "v0"}},
		{"my-entity/my-project/bike-model:best-ap50", Ref{Entity: "my-entity", Project: "my-project", Name: "bike-model", Selector: "best-ap50"}},
		{"a.b_c/d/e.f", Ref{Entity: "a.b_c", Project: "d", Name: "e.f"}},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("ParseRef(%q).String() = %q", tt.in, s)
		}
	}
}

func TestParseRefInvalid(t *testing.T) {
	for _, in := range []string{
		"", ":", "name:", ":v0", "a/b/c/d", "/name", "proj/", "e//n", "../x", "..", "a/../b",
		"name:v01", "name:v0:v1", "na me", "name:al ias", "name\x00", "é", strings.Repeat("a", 129),
		"name:" + strings.Repeat("a", 129), "name:a/b",
	} {
		if r, err := ParseRef(in); err == nil {
			t.Errorf("ParseRef(%q) = %+v, want error", in, r)
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRef(%q): error %v is not ErrInvalid", in, err)
		}
	}
}

func TestValidateAliasAndType(t *testing.T) {
	for _, a := range []string{"latest", "best-ap50", "prod", "v", "v1a", "x.y"} {
		if err := ValidateAlias(a); err != nil {
			t.Errorf("ValidateAlias(%q): %v", a, err)
		}
	}
	for _, a := range []string{"", "v0", "v12", "v01", "a b", "a/b", "a:b", ".."} {
		if err := ValidateAlias(a); err == nil {
			t.Errorf("ValidateAlias(%q) = nil, want error", a)
		}
	}
	for _, typ := range []string{"dataset", "model", "my type", "résultat"} {
		if err := ValidateType(typ); err != nil {
			t.Errorf("ValidateType(%q): %v", typ, err)
		}
	}
	for _, typ := range []string{"", "a/b", "a:b", "trove-internal", "tab\there", strings.Repeat("x", 129), " lead"} {
		if err := ValidateType(typ); err == nil {
			t.Errorf("ValidateType(%q) = nil, want error", typ)
		}
	}
}

func TestValidatePath(t *testing.T) {
	long := strings.Repeat("x", MaxSegmentLen)
	deep := strings.Repeat(strings.Repeat("d", 99)+"/", 40) + "f" // 4001 bytes, segments of 99
	for _, p := range []string{"a", "a/b.txt", "images/cat.png", "..a", "a..", "a/.b", "ünï/cödé", long, "a/" + long + "/b", deep} {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q): %v", p, err)
		}
	}
	for _, p := range []string{"", "/etc/passwd", "../x", "a/../b", "a/..", "./a", "a/./b", "a//b", "a/", "a\\b", "a\x00b", "a\nb", "\xff",
		long + "x", "a/" + long + "x/b", strings.Repeat("é", 128), // a 256-byte name, in 128 characters
		strings.Repeat("a/", MaxPathLen/2) + "b"} {
		if err := ValidatePath(p); err == nil {
			t.Errorf("ValidatePath(%q) = nil, want error", p)
		}
	}
}

func TestJoinPath(t *testing.T) {
	for _, tt := range []struct {
		segs []string
		want string
		ok   bool
	}{
		{[]string{"", "a.txt"}, "a.txt", true},
		{[]string{"images/", "cat.png"}, "images/cat.png", true},
		{[]string{"models", "mymodel.h5"}, "models/mymodel.h5", true},
		{[]string{"/abs", "x"}, "", false},
		{[]string{"..", "x"}, "", false},
		{[]string{"a", "b/"}, "", false},
	} {
		got, err := JoinPath(tt.segs...)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("JoinPath(%q) = %q, %v; want %q ok=%v", tt.segs, got, err, tt.want, tt.ok)
		}
	}
}

func TestDigest(t *testing.T) {
	d := DigestOf([]byte("hello"))
	const want = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if d.String() != want {
		t.Fatalf("DigestOf(hello) = %s", d)
	}
	p, err := ParseDigest(want)
	if err != nil || p != d {
		t.Fatalf("ParseDigest: %v %v", p, err)
	}
	b, _ := json.Marshal(d)
	var back Digest
	if err := json.Unmarshal(b, &back); err != nil || back != d {
		t.Fatalf("JSON round trip: %s %v", b, err)
	}
	for _, bad := range []string{"", "sha256:", "md5:00", "sha256:" + strings.Repeat("A", 64), "sha256:" + strings.Repeat("0", 63), strings.Repeat("0", 64)} {
		if _, err := ParseDigest(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDigest(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func entry(path, content string) Entry {
	return Entry{Path: path, Digest: DigestOf([]byte(content)), Size: int64(len(content))}
}

func TestManifestDigestOrderIndependent(t *testing.T) {
	a, err := NewManifest([]Entry{entry("b", "2"), entry("a", "1"), entry("c/d", "3")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewManifest([]Entry{entry("c/d", "3"), entry("a", "1"), entry("b", "2")})
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest() != b.Digest() {
		t.Fatal("same entries in another order gave another digest")
	}
	c, _ := NewManifest([]Entry{entry("a", "1"), entry("b", "2"), entry("c/d", "4")})
	if a.Digest() == c.Digest() {
		t.Fatal("changed content kept the digest")
	}
	// Moving bytes between path and digest must change the digest (length prefixes).
	d1, _ := NewManifest([]Entry{entry("ab", "x")})
	d2, _ := NewManifest([]Entry{entry("a", "x")})
	if d1.Digest() == d2.Digest() {
		t.Fatal("renamed entry kept the digest")
	}
	if a.Len() != 3 || a.Size() != 3 || a.Entries()[0].Path != "a" {
		t.Fatalf("manifest accessors wrong: %+v", a.Entries())
	}
	if e, ok := a.Lookup("c/d"); !ok || e.Size != 1 {
		t.Fatalf("Lookup(c/d) = %+v %v", e, ok)
	}
	if _, ok := a.Lookup("c"); ok {
		t.Fatal("Lookup(c) found a directory")
	}
}

// TestManifestDigestV2 pins the encoding of ManifestDigest: a change to it
// changes every version's digest, which needs a migration of stored
// digests (internal/meta: migrateDigests) and a new domain string.
func TestManifestDigestV2(t *testing.T) {
	m, err := NewManifest([]Entry{
		entry("data/train.csv", "a,b\n1,2\n"),
		{Path: "weights", Digest: DigestOf([]byte("remote")), Size: 6, Ref: "s3://bucket/w"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Computed from the documented encoding here; the pinned value below
	// was checked against an independent implementation (Python hashlib).
	h := NewHash()
	h.Write([]byte("trove-manifest-v2\n"))
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	num := func(v uint64) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	for _, e := range m.Entries() {
		field([]byte(e.Path))
		field([]byte(e.Digest.String()))
		num(uint64(e.Size))
		if e.Ref != "" {
			num(0)
			field([]byte(e.Ref))
		}
	}
	if want := DigestFromHash(h); m.Digest() != want {
		t.Fatalf("Digest = %s; the documented encoding gives %s", m.Digest(), want)
	}
	const pinned = "sha256:dba773f80c3492b0f117fdc99a64096990618b5411ccf6a5d9d8dd9b0cd580b9"
	if got := m.Digest().String(); got != pinned {
		t.Errorf("Digest = %s; pinned %s", got, pinned)
	}
	if ManifestDigest(m.Entries()) != m.Digest() {
		t.Error("ManifestDigest of the entries differs from Manifest.Digest")
	}
}

// An entry's size is part of the version digest: the same blob under a
// wrong size is other content, never a duplicate of the right one.
func TestManifestDigestCoversSize(t *testing.T) {
	right := entry("a", "eight by")
	wrong := right
	wrong.Size = 999
	mr, _ := NewManifest([]Entry{right})
	mw, _ := NewManifest([]Entry{wrong})
	if mr.Digest() == mw.Digest() {
		t.Fatal("entries differing only in size share a version digest")
	}
	d := DiffManifests(mr, mw)
	if len(d.Changed) != 1 {
		t.Errorf("diff of a size change = %+v; want one changed entry", d)
	}
}

// Sizes add up without overflow: a manifest whose total does not fit an
// int64 is refused, one that just fits is not.
func TestManifestSizeOverflow(t *testing.T) {
	d := DigestOf([]byte("x"))
	big := func(p string, n int64) Entry { return Entry{Path: p, Digest: d, Size: n} }
	for _, es := range [][]Entry{
		{big("a", math.MaxInt64), big("b", math.MaxInt64)},
		{big("a", math.MaxInt64), big("b", 1)},
		{big("a", math.MaxInt64/2+1), big("b", math.MaxInt64/2+1)},
	} {
		m, err := NewManifest(es)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("NewManifest(%v) = size %d, %v; want ErrInvalid", es, m.Size(), err)
		}
		var back Manifest
		b, _ := json.Marshal(es)
		if err := json.Unmarshal(b, &back); !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalJSON(%s) = %v; want ErrInvalid", b, err)
		}
	}
	m, err := NewManifest([]Entry{big("a", math.MaxInt64-1), big("b", 1), big("c", 0)})
	if err != nil || m.Size() != math.MaxInt64 {
		t.Errorf("NewManifest of a total of exactly MaxInt64 = %d, %v", m.Size(), err)
	}
}

func TestManifestRejects(t *testing.T) {
	cases := map[string][]Entry{
		"duplicate":      {entry("a", "1"), entry("a", "2")},
		"file and dir":   {entry("a", "1"), entry("a-x", "1"), entry("a/b", "2")},
		"traversal":      {entry("../a", "1")},
		"absolute":       {entry("/a", "1")},
		"no digest":      {{Path: "a"}},
		"negative size":  {{Path: "a", Digest: DigestOf(nil), Size: -1}},
		"empty segment":  {entry("a//b", "1")},
		"dot segment":    {entry("a/./b", "1")},
		"trailing slash": {entry("a/", "1")},
	}
	for name, es := range cases {
		if _, err := NewManifest(es); err == nil {
			t.Errorf("%s: NewManifest accepted %+v", name, es)
		}
	}
}

func TestDiffManifests(t *testing.T) {
	a, _ := NewManifest([]Entry{entry("keep", "k"), entry("gone", "g"), entry("edit", "1")})
	b, _ := NewManifest([]Entry{entry("keep", "k"), entry("new", "n"), entry("edit", "2")})
	d := DiffManifests(a, b)
	if len(d.Added) != 1 || d.Added[0].Path != "new" {
		t.Errorf("added = %+v", d.Added)
	}
	if len(d.Removed) != 1 || d.Removed[0].Path != "gone" {
		t.Errorf("removed = %+v", d.Removed)
	}
	if len(d.Changed) != 1 || d.Changed[0].Path != "edit" || d.Changed[0].From.Digest == d.Changed[0].To.Digest {
		t.Errorf("changed = %+v", d.Changed)
	}
	same := DiffManifests(a, a)
	if len(same.Added)+len(same.Removed)+len(same.Changed) != 0 {
		t.Errorf("diff of a manifest with itself = %+v", same)
	}
}

func TestErrorKinds(t *testing.T) {
	cause := errors.New("disk on fire")
	err := Errorf(ErrNotFound, "artifact %q: %w", "x", cause)
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, cause) || errors.Is(err, ErrInvalid) {
		t.Fatalf("kinds of %v wrong", err)
	}
	if err.Error() != `artifact "x": disk on fire` {
		t.Fatalf("message %q", err.Error())
	}
	if Code(err) != "not_found" || KindFromCode("not_found") != ErrNotFound || Code(cause) != "internal" || KindFromCode("bogus") != nil {
		t.Fatal("codes wrong")
	}
	wrapped := Errorf(ErrInvalid, "outer: %w", err)
	if Code(wrapped) != "invalid" {
		t.Fatalf("outer kind should win, got %s", Code(wrapped))
	}
	conflict := Errorf(ErrConflict, "outer: %w", Errorf(ErrCorrupt, "inner"))
	if Code(conflict) != "conflict" || !errors.Is(conflict, ErrConflict) {
		t.Fatalf("outer kind should win, got %s", Code(conflict))
	}
	if Code(fmt.Errorf("plain: %w", ErrNotFound)) != "not_found" {
		t.Fatal("a wrapped sentinel keeps its kind")
	}
}

func TestNodeJSON(t *testing.T) {
	run := Node{ID: "run:abc", Kind: KindRun, RunID: "abc", Name: "jumping-monkey-1", Entity: "e", Project: "p"}
	b, _ := json.Marshal(run)
	want := `{"id":"run:abc","kind":"run","run_id":"abc","name":"jumping-monkey-1","job_type":"","state":"","project":"p","entity":"e"}`
	if string(b) != want {
		t.Errorf("run node JSON\n got %s\nwant %s", b, want)
	}
	art := Node{ID: "artifact:e/p/d:v0", Kind: KindArtifact, Name: "d:v0", Type: "dataset", Entity: "e", Project: "p"}
	b, _ = json.Marshal(art)
	want = `{"id":"artifact:e/p/d:v0","kind":"artifact","name":"d:v0","type":"dataset","aliases":[],"project":"p","entity":"e"}`
	if string(b) != want {
		t.Errorf("artifact node JSON\n got %s\nwant %s", b, want)
	}
	var back Node
	if err := json.Unmarshal(b, &back); err != nil || back.Type != "dataset" || back.Name != "d:v0" {
		t.Errorf("unmarshal: %+v %v", back, err)
	}
}

func TestGraphSort(t *testing.T) {
	run := func(id, name string) Node { return Node{ID: "run:" + id, Kind: KindRun, Name: name} }
	art := func(name string) Node { return Node{ID: "artifact:e/p/" + name, Kind: KindArtifact, Name: name} }
	edge := func(a, b Node) Edge { return Edge{From: a.ID, To: b.ID} }
	prep, train, eval := run("zz", "prep"), run("aa", "train"), run("mm", "eval")
	ds, model := art("ds:v0"), art("model:v0")
	loop := run("bb", "loop") // uses and re-logs ds: a cycle
	for _, perm := range [][]Node{{prep, train, eval, ds, model, loop}, {loop, model, ds, eval, train, prep}} {
		g := Graph{Nodes: slices.Clone(perm), Edges: []Edge{edge(model, eval), edge(train, model), edge(ds, train), edge(prep, ds), edge(ds, loop), edge(loop, ds)}}
		g.Sort()
		var names []string
		for _, n := range g.Nodes {
			names = append(names, n.Name)
		}
		// prep has no inputs; ds:v0 waits for loop, which waits for ds:v0:
		// the cycle is broken at ds:v0, then the flow goes on.
		want := []string{"prep", "ds:v0", "loop", "train", "model:v0", "eval"}
		if !slices.Equal(names, want) {
			t.Fatalf("Sort order = %v, want %v", names, want)
		}
		if g.Edges[0] != edge(prep, ds) {
			t.Fatalf("first edge = %+v", g.Edges[0])
		}
	}
	chain := Graph{Nodes: []Node{eval, model, train, ds, prep}, Edges: []Edge{edge(model, eval), edge(train, model), edge(ds, train), edge(prep, ds)}}
	chain.Sort()
	var names []string
	for _, n := range chain.Nodes {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"prep", "ds:v0", "train", "model:v0", "eval"}) {
		t.Fatalf("chain order = %v", names)
	}
}
