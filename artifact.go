package trove

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// Artifact is an artifact being built locally: a folder of files to log as
// a new version with (*Run).LogArtifact. Files are not copied when added:
// they are hashed in place when the artifact is logged, so they must not
// change in between. An Artifact is not safe for concurrent use.
type Artifact struct {
	Name        string         // the collection name, e.g. "bike-dataset"
	Type        string         // "dataset", "model", "result" or any type of yours
	Description string         // free text shown next to the version
	Metadata    map[string]any // structured data about the version (JSON object)

	files []localFile
	paths map[string]string // entry path → where it came from, to refuse duplicates
	dirs  []string          // directories added, whose stat cache entries to preload

	// manifest is set once the artifact has been logged: it is final from
	// then on, and logging or using it again reuses the manifest.
	manifest *core.Manifest
}

// localFile is one file to log: a local path and its path in the artifact.
type localFile struct {
	entry string // path inside the artifact
	src   string // absolute local path
	temp  bool   // made by NewFile: removed after logging
}

// NewArtifact starts an artifact. The name and type are checked when it is
// logged: names are 1–128 of [A-Za-z0-9._-]; types have no '/' or ':'.
func NewArtifact(name, typ string) *Artifact {
	return &Artifact{Name: name, Type: typ, paths: make(map[string]string)}
}

// AddFile adds a local file, stored as name when given, else as its base
// name: AddFile("checkpoints/model.h5") stores "model.h5",
// AddFile("model.h5", "models/mymodel.h5") stores "models/mymodel.h5".
func (a *Artifact) AddFile(path string, name ...string) error {
	if len(name) > 1 {
		return core.Errorf(core.ErrInvalid, "AddFile takes at most one name, got %d", len(name))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "add file %q: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return core.Errorf(core.ErrNotFound, "add file: %w", err)
	}
	if fi.IsDir() {
		return core.Errorf(core.ErrInvalid, "add file %q: is a directory; use AddDir", path)
	}
	if !fi.Mode().IsRegular() {
		return core.Errorf(core.ErrInvalid, "add file %q: not a regular file", path)
	}
	entry := filepath.Base(abs)
	if len(name) == 1 {
		entry = name[0]
	}
	return a.add(entry, abs, false)
}

// AddDir adds every file under a local directory, recursively, with paths
// relative to it and under prefix when given: AddDir("images") stores
// "cat.png", AddDir("images", "images") stores "images/cat.png". Symbolic
// links to files inside the directory are followed; links leading out of it,
// links to directories and special files are refused.
func (a *Artifact) AddDir(path string, prefix ...string) error {
	if len(prefix) > 1 {
		return core.Errorf(core.ErrInvalid, "AddDir takes at most one prefix, got %d", len(prefix))
	}
	root, err := filepath.Abs(path)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return core.Errorf(core.ErrNotFound, "add dir: %w", err)
	}
	if !fi.IsDir() {
		return core.Errorf(core.ErrInvalid, "add dir %q: not a directory; use AddFile", path)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
	}
	pre := ""
	if len(prefix) == 1 {
		pre = prefix[0]
	}
	// Collect first, add after: a bad file leaves the artifact unchanged.
	var found []localFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
		}
		switch typ := d.Type(); {
		case typ.IsRegular():
		case typ&fs.ModeSymlink != 0:
			if err := checkLinkInside(realRoot, p, rel); err != nil {
				return err
			}
		default:
			return core.Errorf(core.ErrInvalid, "add dir %q: %s is not a regular file (%v)", path, rel, typ)
		}
		entry, err := core.JoinPath(pre, filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		found = append(found, localFile{entry: entry, src: p})
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range found {
		if prev, dup := a.paths[f.entry]; dup {
			return core.Errorf(core.ErrConflict, "path %q is added twice (from %s and %s)", f.entry, prev, f.src)
		}
	}
	for _, f := range found {
		if err := a.add(f.entry, f.src, false); err != nil {
			return err
		}
	}
	a.dirs = append(a.dirs, root)
	return nil
}

// checkLinkInside accepts a symbolic link only when it resolves to a regular
// file inside the directory being added.
func checkLinkInside(realRoot, p, rel string) error {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "symbolic link %s: %w", rel, err)
	}
	in, err := filepath.Rel(realRoot, target)
	if err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) || filepath.IsAbs(in) {
		return core.Errorf(core.ErrInvalid, "symbolic link %s points out of the directory (to %s)", rel, target)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "symbolic link %s: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return core.Errorf(core.ErrInvalid, "symbolic link %s points to a directory or special file; only links to files are followed", rel)
	}
	return nil
}

// NewFile returns a new file, stored as name in the artifact, to write the
// content into. Close it before logging the artifact. The file lives in a
// temporary directory and is removed once the artifact is logged.
func (a *Artifact) NewFile(name string) (*os.File, error) {
	if a.manifest != nil {
		return nil, core.Errorf(core.ErrConflict, "artifact %s was already logged: it is final; start a new one", a.Name)
	}
	if err := core.ValidatePath(name); err != nil {
		return nil, err
	}
	if prev, dup := a.paths[name]; dup {
		return nil, core.Errorf(core.ErrConflict, "path %q is added twice (already from %s)", name, prev)
	}
	f, err := os.CreateTemp("", "trove-newfile-*")
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "new file %q: %w", name, err)
	}
	if err := a.add(name, f.Name(), true); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// add records one file after checking its entry path.
func (a *Artifact) add(entry, src string, temp bool) error {
	if a.manifest != nil {
		return core.Errorf(core.ErrConflict, "artifact %s was already logged: it is final; start a new one", a.Name)
	}
	if err := core.ValidatePath(entry); err != nil {
		return err
	}
	if a.paths == nil {
		a.paths = make(map[string]string)
	}
	if prev, dup := a.paths[entry]; dup {
		return core.Errorf(core.ErrConflict, "path %q is added twice (from %s and %s)", entry, prev, src)
	}
	a.paths[entry] = src
	a.files = append(a.files, localFile{entry: entry, src: src, temp: temp})
	return nil
}

// removeTemp deletes the files NewFile made.
func (a *Artifact) removeTemp() {
	for _, f := range a.files {
		if f.temp {
			os.Remove(f.src)
		}
	}
}

// validate checks what logging needs before any file is read.
func (a *Artifact) validate() error {
	if err := core.ValidateName(a.Name); err != nil {
		return err
	}
	return core.ValidateType(a.Type)
}
