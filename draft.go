package trove

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// NewDraft starts the next version of v's collection from v's content: an
// Artifact named and typed like v, with v's description and metadata, that
// holds v's manifest entries as they are — stored files by digest and size,
// references with their URIs and checksum details — without any local file.
//
// On the draft, AddFile, AddDir, NewFile and AddReference add entries; one
// of the same path as an inherited entry replaces it (two additions of one
// path are still a conflict). Remove drops entries. Logging the draft with a
// run of v's project makes the next version of the collection, or dedups to
// an existing version when the content is the same; only blobs of files
// added to the draft are read and uploaded, never inherited ones.
//
// v must be a committed version from the store; a deleted one is refused.
func (v *Version) NewDraft(ctx context.Context) (*Artifact, error) {
	if v == nil || v.c == nil {
		return nil, core.Errorf(core.ErrInvalid, "new draft: not a version from the store; get one with LogArtifact, UseArtifact or Client.Artifact")
	}
	if v.State != string(core.VersionCommitted) {
		return nil, core.Errorf(core.ErrInvalid, "new draft of %s: the version is %s; only a committed version can start a draft", v.FullName(), v.State)
	}
	// Read the version again: it may have been deleted since v was loaded,
	// and the draft takes the stored description and metadata, not unsaved
	// edits of v.
	cur, err := v.c.api.Artifact(ctx, v.ref())
	if err != nil {
		return nil, err
	}
	if cur.State != core.VersionCommitted {
		return nil, core.Errorf(core.ErrInvalid, "new draft of %s: the version is %s; only a committed version can start a draft", v.FullName(), cur.State)
	}
	m, err := v.c.api.Manifest(ctx, v.ref())
	if err != nil {
		return nil, err
	}
	if m.Digest() != cur.Digest {
		return nil, core.Errorf(core.ErrCorrupt, "new draft of %s: its manifest hashes to %s, not to the version's digest %s", v.FullName(), m.Digest(), cur.Digest)
	}
	a := NewArtifact(cur.Name, cur.Type)
	a.Description = cur.Description
	a.Metadata = decodeObject(cur.Metadata)
	a.base = v.FullName()
	a.inherited = make([]core.Entry, 0, m.Len())
	for _, e := range m.Entries() {
		e.Extra = maps.Clone(e.Extra)
		a.inherited = append(a.inherited, e)
	}
	return a, nil
}

// Remove removes the entry at path, or every entry under path when it names
// a folder: entries inherited by a draft (NewDraft), files added, and
// references added with a RefName at or under path. (A reference added
// without RefName has no known paths until the artifact is logged, so it
// cannot be removed by path.) A temporary file of NewFile that is removed is
// deleted. A path that matches nothing is a not-found error and changes
// nothing.
func (a *Artifact) Remove(path string) error {
	if a.manifest != nil {
		return core.Errorf(core.ErrConflict, "artifact %s was already logged: it is final; start a new one", a.Name)
	}
	p := strings.TrimSuffix(path, "/")
	if err := core.ValidatePath(p); err != nil {
		return err
	}
	under := func(entry string) bool {
		return entry == p || strings.HasPrefix(entry, p+"/")
	}
	inherited := slices.DeleteFunc(slices.Clone(a.inherited), func(e core.Entry) bool { return under(e.Path) })
	files := slices.DeleteFunc(slices.Clone(a.files), func(f localFile) bool { return under(f.entry) })
	refs := slices.DeleteFunc(slices.Clone(a.refs), func(r reference) bool {
		name := strings.Trim(r.opts.Name, "/")
		return name != "" && under(name)
	})
	if len(inherited) == len(a.inherited) && len(files) == len(a.files) && len(refs) == len(a.refs) {
		return core.Errorf(core.ErrNotFound, "remove %q: artifact %s has no entry or folder of that path", path, a.Name)
	}
	for _, f := range a.files {
		if under(f.entry) {
			delete(a.paths, f.entry)
			if f.temp {
				os.Remove(f.src)
			}
		}
	}
	a.inherited, a.files, a.refs = inherited, files, refs
	return nil
}

// withInherited adds to the entries of a's files and references the
// inherited entries they do not replace: an addition of a path replaces the
// inherited entry of that path.
func (a *Artifact) withInherited(added []core.Entry) []core.Entry {
	if len(a.inherited) == 0 {
		return added
	}
	replaced := make(map[string]bool, len(added))
	for _, e := range added {
		replaced[e.Path] = true
	}
	out := slices.Clip(added)
	for _, e := range a.inherited {
		if !replaced[e.Path] {
			out = append(out, e)
		}
	}
	return out
}

// unknownBlob is the error for a blob the store asks for that no local file
// of a provides. When an inherited entry names it, the blob was in the store
// when the draft began; it can only have gone with its version (deleted and
// collected), and a draft holds no local copy to send again.
func (a *Artifact) unknownBlob(d core.Digest) error {
	for _, e := range a.inherited {
		if e.Digest == d && e.Ref == "" {
			return core.Errorf(core.ErrNotFound, "blob %s of %q, inherited from %s, is no longer in the store (was the version deleted?); add the file to the draft again", d, e.Path, a.base)
		}
	}
	return core.Errorf(core.ErrInvalid, "the store asks for blob %s, which is not in the artifact", d)
}
