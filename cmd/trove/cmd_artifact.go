package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

// scope is the entity and project a command works in.
type scope struct {
	entity, project string
}

func (s *scope) flags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVarP(&s.project, "project", "p", "", "project (default $TROVE_PROJECT, else uncategorized)")
	cmd.PersistentFlags().StringVarP(&s.entity, "entity", "e", "", "entity (default $TROVE_ENTITY, else your user name)")
	nonEmpty(cmd.PersistentFlags(), "project", "entity")
}

func newArtifactCmd(g *globals) *cobra.Command {
	var sc scope
	cmd := &cobra.Command{
		Use:   "artifact",
		Short: "Log, inspect, download and manage artifact versions",
	}
	sc.flags(cmd)
	cmd.AddCommand(
		newPutCmd(g, &sc), newGetCmd(g, &sc), newInfoCmd(g, &sc), newFilesCmd(g, &sc),
		newLsCmd(g, &sc), newVersionsCmd(g, &sc), newAliasCmd(g, &sc), newUpdateCmd(g, &sc),
		newDeleteCmd(g, &sc), newDiffCmd(g, &sc), newCacheCmd(g),
		newLinkCmd(g, &sc), newUnlinkCmd(g, &sc),
		newUpsertCmd(g, &sc), newFinishCmd(g, &sc), newPendingCmd(g, &sc),
	)
	return cmd
}

// withClient opens a client for the scope, runs f and closes the client.
func withClient(ctx context.Context, g *globals, sc *scope, f func(*trove.Client) error) error {
	c, err := g.open(ctx, sc.entity, sc.project)
	if err != nil {
		return err
	}
	err = f(c)
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// parseMetadata reads a -m JSON object.
func parseMetadata(s string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, core.Errorf(core.ErrInvalid, "metadata must be a JSON object, got %.60q", s)
	}
	return m, nil
}

type putOptions struct {
	paths                     []string // PATH[=NAME] arguments
	name, typ, desc, metadata string
	aliases                   []string
	json                      bool

	references []string // --reference URIs
	refName    string   // --reference-name, for a single --reference
	noChecksum bool
	maxObjects int
	maxSet     bool // --max-objects was given
	allowHTML  bool
	ttl        string
	allowEmpty bool
}

func newPutCmd(g *globals, sc *scope) *cobra.Command {
	var o putOptions
	cmd := &cobra.Command{
		Use:   "put [PATH[=NAME]]... [--reference URI]... -n NAME -t TYPE",
		Short: "Log files, directories or references as a new artifact version",
		Long: `Log a file or a directory (recursively) as a version of artifact NAME, through a
run of job type "upload". Identical content is not stored twice: it resolves to
the existing version. The last line of stdout is the version, entity/project/name:vN.

One version may hold several files and directories: give several PATHs, each
optionally as PATH=NAME. For a file, NAME is its entry name (default: its base
name); for a directory, NAME is the folder its files go in (default: its files
at the root of the version). So "put data" stores data's files at the root,
"put data=data" stores them under data/, and "put model.h5=models/best.h5"
stores one entry models/best.h5. Entry names are relative slash paths with no
".", ".." or empty segments. Two arguments giving the same entry are an error,
and nothing is logged. With more than one PATH, -n NAME is required.

A PATH may itself contain '=': an argument that names an existing file or
directory as a whole is that PATH; otherwise the longest part before an '='
that exists is the PATH and the rest is NAME. So with a directory date=2024-01-01,
"date=2024-01-01" logs it and "date=2024-01-01=part" logs it under part/.

An artifact with no entries (an empty directory) is refused unless --allow-empty.

With --reference URI (repeatable) the version also holds, or holds only, references
to data that stays where it is: http(s)://, s3://, gs:// and file:// URIs. Nothing
is copied to Trove; each entry keeps the URI and the object's checksum information
(ETag, version id, size; the SHA-256 of a local file), so an unchanged reference
resolves to the existing version and a changed object makes a new one. A URI
naming one object gives one entry, named by its base name or --reference-name; a
prefix or directory gives one entry per object under it, relative to it, inside
the folder --reference-name when given. A prefix of more than --max-objects
objects is an error. An http(s) URL that answers with an HTML page but names no
.html file (a directory listing, a login page) is refused unless --allow-html; a
server that sends neither ETag nor Last-Modified cannot be pinned, which is said
on stderr (downloads then check only the size). Credentials come from the environment (AWS_*, Google
application credentials); -n NAME is required when there is no PATH.`,
		Example: `  trove artifact put ./data -n bike-dataset -t dataset -a best
  trove artifact put model.h5 -n bike-model -t model -m '{"ap50": 0.71}'
  trove artifact put data/train=train data/test=test labels.csv -n bikes -t dataset
  trove artifact put checkpoints/model.h5=models/mymodel.h5 config.yaml -n bike-model -t model
  trove artifact put --reference s3://my-bucket/images -n images -t dataset
  trove artifact put --reference s3://my-bucket/model.h5 --reference-name models/mymodel.h5 -n bike-model -t model
  trove artifact put ./labels --reference file:///mnt/shared/images -n labelled -t dataset`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			o.maxSet = cmd.Flags().Changed("max-objects")
			return runPut(cmd.Context(), g, sc, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.name, "name", "n", "", "artifact name (default: the base name of PATH, when there is one PATH)")
	f.StringVarP(&o.typ, "type", "t", "dataset", "artifact type: dataset, model, result, …")
	f.StringArrayVarP(&o.aliases, "alias", "a", nil, "alias to put on the version (repeatable)")
	f.StringVarP(&o.desc, "description", "d", "", "description of the version")
	f.StringVarP(&o.metadata, "metadata", "m", "", "metadata as a JSON object")
	f.BoolVar(&o.json, "json", false, "print the version as JSON")
	f.StringArrayVar(&o.references, "reference", nil, "add a reference to an http(s)://, s3://, gs:// or file:// URI (repeatable)")
	f.StringVar(&o.refName, "reference-name", "", "name of the entry (one object) or folder (a prefix) of a single --reference")
	f.BoolVar(&o.noChecksum, "no-checksum", false, "references: collect no checksums (the digest is the URI; nothing is verified on download)")
	f.IntVar(&o.maxObjects, "max-objects", 10000, "references: most objects a prefix or directory may expand to")
	f.BoolVar(&o.allowHTML, "allow-html", false, "references: take an http(s) URL that answers with an HTML page (e.g. a directory listing), refused otherwise")
	f.StringVar(&o.ttl, "ttl", "", "time-to-live, e.g. 30d, 2w or 720h: the version is deleted at its creation + TTL (identical content: resets that version's TTL)")
	f.BoolVar(&o.allowEmpty, "allow-empty", false, "log a version even when it has no files (an empty directory), which is otherwise refused")
	nonEmpty(f, "name", "type", "reference-name", "ttl")
	return cmd
}

// addReferences adds the --reference URIs of o to a.
func addReferences(a *trove.Artifact, o putOptions) error {
	if len(o.references) == 0 {
		switch {
		case o.refName != "":
			return core.Errorf(core.ErrInvalid, "--reference-name names a --reference; there is none")
		case o.noChecksum:
			return core.Errorf(core.ErrInvalid, "--no-checksum applies to --reference; there is none")
		case o.maxSet:
			return core.Errorf(core.ErrInvalid, "--max-objects applies to --reference; there is none")
		case o.allowHTML:
			return core.Errorf(core.ErrInvalid, "--allow-html applies to --reference; there is none")
		}
		return nil
	}
	if o.refName != "" && len(o.references) > 1 {
		return core.Errorf(core.ErrInvalid, "--reference-name applies to a single --reference, got %d", len(o.references))
	}
	var opts []trove.RefOption
	if o.refName != "" {
		opts = append(opts, trove.RefName(o.refName))
	}
	if o.noChecksum {
		opts = append(opts, trove.NoChecksum())
	}
	if o.maxSet {
		opts = append(opts, trove.MaxObjects(o.maxObjects))
	}
	if o.allowHTML {
		opts = append(opts, trove.AllowHTML())
	}
	for _, uri := range o.references {
		if err := a.AddReference(uri, opts...); err != nil {
			return err
		}
	}
	return nil
}

func runPut(ctx context.Context, g *globals, sc *scope, o putOptions) error {
	if len(o.paths) == 0 && len(o.references) == 0 {
		return core.Errorf(core.ErrInvalid, "nothing to log: give a PATH, one or more --reference URI, or both")
	}
	args := make([]putArg, len(o.paths))
	for i, s := range o.paths {
		var err error
		if args[i], err = parsePutArg(s, statKind); err != nil {
			return err
		}
	}
	if o.name == "" {
		switch len(args) {
		case 0:
			return core.Errorf(core.ErrInvalid, "-n NAME is required when only references are logged")
		case 1:
			abs, _ := filepath.Abs(args[0].path)
			o.name = filepath.Base(abs)
		default:
			return core.Errorf(core.ErrInvalid, "-n NAME is required with several PATHs (%d given)", len(args))
		}
	}
	var md map[string]any
	if o.metadata != "" {
		var err error
		if md, err = parseMetadata(o.metadata); err != nil {
			return err
		}
	}
	// Check what needs no I/O before a run is created.
	if err := core.ValidateName(o.name); err != nil {
		return err
	}
	if err := core.ValidateType(o.typ); err != nil {
		return err
	}
	for _, al := range o.aliases {
		if al != core.LatestAlias {
			if err := core.ValidateAlias(al); err != nil {
				return err
			}
		}
	}
	a := trove.NewArtifact(o.name, o.typ)
	for _, arg := range args {
		if err := arg.add(a); err != nil {
			return err
		}
	}
	if err := addReferences(a, o); err != nil {
		return err
	}
	a.Description, a.Metadata, a.AllowEmpty = o.desc, md, o.allowEmpty
	if a.Empty() && !o.allowEmpty {
		// Before the upload run exists, in the store's words.
		return core.Errorf(core.ErrInvalid, "artifact %s has no files or references: add some, or allow an empty version with --allow-empty", o.name)
	}
	if o.ttl != "" {
		var err error
		if a.TTL, err = parseTTLFlag(o.ttl, false); err != nil {
			return err
		}
	}
	return withClient(ctx, g, sc, func(c *trove.Client) error {
		// Refuse a type conflict before the upload run exists, so that the
		// refusal leaves no failed run behind.
		if v, err := c.Artifact(ctx, o.name); err == nil && v.Type != o.typ {
			return core.Errorf(core.ErrConflict, "artifact %s is of type %s, not %s", o.name, v.Type, o.typ)
		}
		r, err := c.StartRun(ctx, trove.RunOptions{JobType: "upload", Entity: c.Entity(), Project: c.Project()})
		if err != nil {
			return err
		}
		v, err := r.LogArtifact(ctx, a, o.aliases...)
		if err != nil {
			r.Fail(context.WithoutCancel(ctx))
			return err
		}
		if err := r.Finish(ctx); err != nil {
			return err
		}
		if v.Deduplicated() {
			fmt.Fprintln(g.stderr, dedupNotice(v, o.desc, md))
		}
		if o.json {
			return writeJSON(g.stdout, toVersionJSON(v))
		}
		_, err = fmt.Fprintln(g.stdout, v.FullName())
		return err
	})
}

// dedupNotice tells that a put landed on v, an existing version with the
// same content, and — the put's description or metadata differing from
// v's — that they were not applied, since a logged version is not changed
// by logging it again.
func dedupNotice(v *trove.Version, desc string, md map[string]any) string {
	var dropped []string
	if desc != "" && desc != v.Description {
		dropped = append(dropped, "description")
	}
	if md != nil {
		a, _ := json.Marshal(md)
		b, _ := json.Marshal(v.Metadata)
		if string(a) != string(b) {
			dropped = append(dropped, "metadata")
		}
	}
	msg := fmt.Sprintf("trove: content unchanged: %s:%s kept", v.Name, v.Label())
	if len(dropped) == 0 {
		return msg
	}
	verb := "was"
	if len(dropped) > 1 {
		verb = "were"
	}
	return fmt.Sprintf("%s; its %s %s not changed (use trove artifact update)", msg, strings.Join(dropped, " and "), verb)
}

// putArg is one PATH[=NAME] argument of artifact put.
type putArg struct {
	path string // local file or directory
	name string // entry name (file) or prefix (directory); "" for the default
	dir  bool   // path is a directory
}

// statKind reports whether p exists and whether it is a directory.
func statKind(p string) (isDir, ok bool) {
	fi, err := os.Stat(p)
	if err != nil {
		return false, false
	}
	return fi.IsDir(), true
}

// parsePutArg reads PATH[=NAME]. Local paths may contain '=' (partitioned
// data such as date=2024-01-01 is common), so the split is decided by what
// exists: the whole argument when it exists, else the longest part before
// an '=' that exists, the rest being NAME. stat says whether a path exists
// and is a directory. NAME must be a valid entry path (a directory's may
// end with '/'); a PATH that does not exist is ErrNotFound.
func parsePutArg(s string, stat func(string) (isDir, ok bool)) (putArg, error) {
	if s == "" {
		return putArg{}, core.Errorf(core.ErrInvalid, "PATH is empty")
	}
	if dir, ok := stat(s); ok {
		return putArg{path: s, dir: dir}, nil
	}
	for i := strings.LastIndexByte(s, '='); i >= 0; i = strings.LastIndexByte(s[:i], '=') {
		path, name := s[:i], s[i+1:]
		if path == "" {
			break
		}
		dir, ok := stat(path)
		if !ok {
			continue
		}
		entry := name
		if dir {
			entry = strings.TrimSuffix(name, "/")
		}
		if name == "" {
			return putArg{}, core.Errorf(core.ErrInvalid, "%s: empty NAME after '=' (drop the '=' for the default name)", s)
		}
		if err := core.ValidatePath(entry); err != nil {
			return putArg{}, core.Errorf(core.ErrInvalid, "%s: NAME: %v", s, err)
		}
		return putArg{path: path, name: entry, dir: dir}, nil
	}
	if strings.Contains(s, "=") {
		return putArg{}, core.Errorf(core.ErrNotFound, "%s: no such file or directory (nor any part of it before an '=', read as PATH=NAME)", s)
	}
	return putArg{}, core.Errorf(core.ErrNotFound, "%s: no such file or directory", s)
}

// add adds the argument's file or directory to a, as AddFile and AddDir do.
func (p putArg) add(a *trove.Artifact) error {
	var names []string
	if p.name != "" {
		names = []string{p.name}
	}
	if p.dir {
		return a.AddDir(p.path, names...)
	}
	return a.AddFile(p.path, names...)
}

// artifactFromPath starts an artifact holding a file (stored under its base
// name) or a directory's tree (paths relative to it).
func artifactFromPath(name, typ, path string) (*trove.Artifact, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, core.Errorf(core.ErrNotFound, "%v", err)
	}
	a := trove.NewArtifact(name, typ)
	if fi.IsDir() {
		err = a.AddDir(path)
	} else {
		err = a.AddFile(path)
	}
	return a, err
}

func newGetCmd(g *globals, sc *scope) *cobra.Command {
	var root, file string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get REF [--root DIR] [--path FILE]",
		Short: "Download an artifact version, or one file of it",
		Long: `Download the files of a version into --root (default ./artifacts/NAME:vN). Files
already present with the right content are kept; every downloaded byte is
verified. References are fetched from where they are, with the credentials of
the environment, as they were logged (S3 and GCS objects at their recorded
version); one that changed and cannot be pinned is an error naming the entry.
The last line of stdout is the directory.

With --path FILE only that entry of the version is downloaded, to its path
under the root, and the last line of stdout is the local file. A FILE that the
version does not hold is a not-found error, and nothing is written.`,
		Example: `  trove artifact get bike-dataset:v0
  trove artifact get bike-model:best --root ./model
  trove artifact get bike-model:latest --path models/mymodel.h5`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if file != "" {
				if err := core.ValidatePath(file); err != nil {
					return core.Errorf(core.ErrInvalid, "--path: %v", err)
				}
			}
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				v, err := c.Artifact(ctx, args[0])
				if err != nil {
					return err
				}
				if file != "" {
					return getEntry(ctx, g, v, file, root, asJSON)
				}
				dir, err := v.Download(ctx, root)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, struct {
						Ref string `json:"ref"`
						Dir string `json:"dir"`
					}{v.FullName(), dir})
				}
				_, err = fmt.Fprintln(g.stdout, dir)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&root, "root", "", "directory to download into (default ./artifacts/NAME:vN)")
	cmd.Flags().StringVar(&file, "path", "", "download only this entry of the version (a path as artifact files lists it)")
	nonEmpty(cmd.Flags(), "root", "path")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"ref": …, "dir": …} as JSON (with --path, also "path": the local file)`)
	return cmd
}

// getEntry downloads the entry file of v under root and prints where it is.
func getEntry(ctx context.Context, g *globals, v *trove.Version, file, root string, asJSON bool) error {
	e, err := v.Entry(ctx, file)
	if err != nil {
		if errors.Is(err, trove.ErrNotFound) {
			return core.Errorf(core.ErrNotFound, "file %q not found in %s (trove artifact files %s lists its files)", file, v.FullName(), v.FullName())
		}
		return err
	}
	local, err := e.Download(ctx, root)
	if err != nil {
		return err
	}
	if asJSON {
		if root == "" {
			root = v.DefaultRoot()
		}
		dir, _ := filepath.Abs(root) // as Download did
		return writeJSON(g.stdout, struct {
			Ref  string `json:"ref"`
			Dir  string `json:"dir"`
			Path string `json:"path"`
		}{v.FullName(), dir, local})
	}
	_, err = fmt.Fprintln(g.stdout, local)
	return err
}

func newInfoCmd(g *globals, sc *scope) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info REF",
		Short: "Show a version: digest, aliases, size, logging and using runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				v, err := c.Artifact(ctx, args[0])
				if err != nil {
					return err
				}
				info, err := versionInfo(ctx, v)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, info)
				}
				return printInfo(g, info)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func printInfo(g *globals, info infoJSON) error {
	tw := table(g.stdout)
	md, _ := json.Marshal(info.Metadata)
	logged := "-"
	if info.LoggedBy != nil {
		logged = fmt.Sprintf("%s (%s)", info.LoggedBy.Name, info.LoggedBy.ID)
	}
	var used []string
	for _, r := range info.UsedBy {
		used = append(used, fmt.Sprintf("%s (%s)", r.Name, r.ID))
	}
	fmt.Fprintf(tw, "version:\t%s\n", info.Ref)
	fmt.Fprintf(tw, "type:\t%s\n", info.Type)
	fmt.Fprintf(tw, "digest:\t%s\n", info.Digest)
	fmt.Fprintf(tw, "aliases:\t%s\n", strings.Join(info.Aliases, ", "))
	fmt.Fprintf(tw, "size:\t%s in %s\n", humanSize(info.Size), count(int64(info.FileCount), "file"))
	fmt.Fprintf(tw, "created:\t%s\n", info.CreatedAt.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(tw, "description:\t%s\n", info.Description)
	fmt.Fprintf(tw, "metadata:\t%s\n", md)
	fmt.Fprintf(tw, "logged by:\t%s\n", logged)
	fmt.Fprintf(tw, "used by:\t%s\n", strings.Join(used, ", "))
	return tw.Flush()
}

// fileJSON is one entry in artifact files --json.
type fileJSON struct {
	Path   string  `json:"path"`
	Digest string  `json:"digest"`
	Size   int64   `json:"size"`
	Ref    *string `json:"ref"`
}

func newFilesCmd(g *globals, sc *scope) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "files REF",
		Short: "List the files of a version",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				v, err := c.Artifact(ctx, args[0])
				if err != nil {
					return err
				}
				files, err := v.Files(ctx)
				if err != nil {
					return err
				}
				out := make([]fileJSON, len(files))
				for i, e := range files {
					out[i] = fileJSON{Path: e.Path, Digest: e.Digest.String(), Size: e.Size}
					if e.Ref != "" {
						out[i].Ref = &files[i].Ref
					}
				}
				if asJSON {
					return writeJSON(g.stdout, out)
				}
				tw := table(g.stdout)
				for _, f := range out {
					fmt.Fprintf(tw, "%s\t%d\t%s\n", f.Path, f.Size, f.Digest)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newLsCmd(g *globals, sc *scope) *cobra.Command {
	var typ string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the artifacts of a project",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				cols, err := c.Collections(ctx, "", typ)
				if err != nil {
					return err
				}
				if cols == nil {
					cols = []trove.Collection{}
				}
				if asJSON {
					return writeJSON(g.stdout, cols)
				}
				tw := table(g.stdout)
				fmt.Fprintln(tw, "NAME\tTYPE\tVERSIONS\tLATEST")
				for _, col := range cols {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", col.Name, col.Type, col.VersionCount, col.Latest)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVarP(&typ, "type", "t", "", "only artifacts of this type")
	nonEmpty(cmd.Flags(), "type")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newVersionsCmd(g *globals, sc *scope) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "versions NAME",
		Short: "List the versions of an artifact, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				vs, err := c.ArtifactVersions(ctx, args[0])
				if err != nil {
					return err
				}
				out := make([]versionJSON, len(vs))
				for i, v := range vs {
					out[i] = toVersionJSON(v)
				}
				if asJSON {
					return writeJSON(g.stdout, out)
				}
				tw := table(g.stdout)
				fmt.Fprintln(tw, "VERSION\tALIASES\tSIZE\tFILES\tCREATED")
				for _, v := range out {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", v.Version, strings.Join(v.Aliases, ","), humanSize(v.Size), v.FileCount, v.CreatedAt.Local().Format("2006-01-02 15:04:05"))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newAliasCmd(g *globals, sc *scope) *cobra.Command {
	var add, remove []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "alias REF [--add ALIAS]... [--remove ALIAS]...",
		Short: "Add or remove aliases of a version",
		Long: `Add aliases to a version (an alias held by another version of the artifact
moves here) or remove them. "latest" is managed by Trove. Prints the version's
aliases afterwards.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(add) == 0 && len(remove) == 0 {
				return core.Errorf(core.ErrInvalid, "nothing to do: give --add or --remove")
			}
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				v, err := c.Artifact(ctx, args[0])
				if err != nil {
					return err
				}
				for _, a := range remove {
					if !slices.Contains(v.Aliases, a) {
						return core.Errorf(core.ErrNotFound, "%s has no alias %q", v.FullName(), a)
					}
				}
				v.Aliases = applyAliases(v.Aliases, add, remove)
				if err := v.Save(ctx); err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, toVersionJSON(v))
				}
				_, err = fmt.Fprintf(g.stdout, "%s %s\n", v.FullName(), strings.Join(v.Aliases, ","))
				return err
			})
		},
	}
	cmd.Flags().StringArrayVar(&add, "add", nil, "alias to add (repeatable)")
	cmd.Flags().StringArrayVar(&remove, "remove", nil, "alias to remove (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return cmd
}

// applyAliases returns aliases with add appended and remove dropped.
func applyAliases(aliases, add, remove []string) []string {
	var out []string
	for _, a := range aliases {
		if !slices.Contains(remove, a) {
			out = append(out, a)
		}
	}
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func newUpdateCmd(g *globals, sc *scope) *cobra.Command {
	var desc, metadata, ttl string
	var set, unset []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update REF [-d DESC] [-m JSON | --set KEY=VALUE... --unset KEY...] [--ttl DURATION|none]",
		Short: "Change the description, metadata or time-to-live of a version",
		Long: `Change the description, metadata or time-to-live of a version.

-m JSON replaces the whole metadata object. --set KEY=VALUE and --unset KEY
(repeatable) change one top-level key each and keep the others: VALUE is read
as JSON when it parses as JSON (--set epochs=10 is the number 10, --set
tags='["a","b"]' a list, --set ok=true a boolean), else as a string (--set
note=hello). To store a string that looks like JSON, quote it as JSON:
--set 'epochs="10"'. KEY is everything before the first '='. Unsetting a key
the version does not have is an error, as is changing one key twice or
combining --set or --unset with -m.

With --ttl 24h the version expires 24 hours after its creation (at once if that
is past) and is deleted with its aliases, unless a registry links it; --ttl none
keeps it for good.`,
		Example: `  trove artifact update bike-model:v3 -d "trained on the March data"
  trove artifact update bike-model:v3 --set ap50=0.71 --set note="best so far" --unset draft
  trove artifact update bike-model:v3 -m '{"ap50": 0.71}'
  trove artifact update scratch:v0 --ttl 24h`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			setDesc, setMD, setTTL := cmd.Flags().Changed("description"), cmd.Flags().Changed("metadata"), cmd.Flags().Changed("ttl")
			if !setDesc && !setMD && !setTTL && len(set) == 0 && len(unset) == 0 {
				return core.Errorf(core.ErrInvalid, "nothing to do: give -d, -m, --set, --unset or --ttl")
			}
			if setMD && (len(set) > 0 || len(unset) > 0) {
				return core.Errorf(core.ErrInvalid, "-m replaces all the metadata; --set and --unset change single keys: give one or the other")
			}
			edits, err := parseMetadataEdits(set, unset)
			if err != nil {
				return err
			}
			var d time.Duration
			if setTTL {
				if d, err = parseTTLFlag(ttl, true); err != nil {
					return err
				}
			}
			var md map[string]any
			if setMD {
				if md, err = parseMetadata(metadata); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				v, err := c.Artifact(ctx, args[0])
				if err != nil {
					return err
				}
				if setDesc {
					v.Description = desc
				}
				if setMD {
					v.Metadata = md
				}
				if len(edits) > 0 {
					if v.Metadata, err = applyMetadataEdits(v.Metadata, edits); err != nil {
						return core.Errorf(core.KindOf(err), "%s: %w", v.FullName(), err)
					}
				}
				if setTTL {
					v.SetTTL(d)
				}
				if err := v.Save(ctx); err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, toVersionJSON(v))
				}
				_, err = fmt.Fprintln(g.stdout, v.FullName())
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&desc, "description", "d", "", "new description")
	cmd.Flags().StringVarP(&metadata, "metadata", "m", "", "new metadata, a JSON object (replaces the old)")
	cmd.Flags().StringArrayVar(&set, "set", nil, "set one metadata key: KEY=VALUE, VALUE as JSON if it parses, else a string (repeatable)")
	cmd.Flags().StringArrayVar(&unset, "unset", nil, "remove one metadata key, which must exist (repeatable)")
	cmd.Flags().StringVar(&ttl, "ttl", "", `time-to-live from the version's creation, e.g. 24h, 30d or 2w; "none" clears it`)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return cmd
}

// metadataEdit is one --set KEY=VALUE (unset false) or --unset KEY.
type metadataEdit struct {
	key   string
	value any
	unset bool
}

// parseSet reads --set KEY=VALUE: KEY is everything before the first '='
// and is not empty; VALUE is JSON when it parses as JSON, else a string.
func parseSet(s string) (metadataEdit, error) {
	key, raw, ok := strings.Cut(s, "=")
	if !ok {
		return metadataEdit{}, core.Errorf(core.ErrInvalid, "--set %q: want KEY=VALUE", s)
	}
	if key == "" {
		return metadataEdit{}, core.Errorf(core.ErrInvalid, "--set %q: empty KEY", s)
	}
	if !utf8.ValidString(key) {
		return metadataEdit{}, core.Errorf(core.ErrInvalid, "--set %q: KEY is not valid UTF-8", s)
	}
	var v any
	if !json.Valid([]byte(raw)) {
		if !utf8.ValidString(raw) {
			return metadataEdit{}, core.Errorf(core.ErrInvalid, "--set %q: VALUE is neither JSON nor valid UTF-8 text", s)
		}
		return metadataEdit{key: key, value: raw}, nil
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil { // valid JSON, such as 1e999, that Go cannot hold
		return metadataEdit{}, core.Errorf(core.ErrInvalid, "--set %q: %v", s, err)
	}
	return metadataEdit{key: key, value: v}, nil
}

// parseMetadataEdits reads the --set and --unset flags of update, refusing
// a key changed twice.
func parseMetadataEdits(set, unset []string) ([]metadataEdit, error) {
	var edits []metadataEdit
	seen := make(map[string]bool)
	for _, s := range set {
		e, err := parseSet(s)
		if err != nil {
			return nil, err
		}
		if seen[e.key] {
			return nil, core.Errorf(core.ErrInvalid, "--set %q: key %q is changed twice", s, e.key)
		}
		seen[e.key] = true
		edits = append(edits, e)
	}
	for _, k := range unset {
		if k == "" {
			return nil, core.Errorf(core.ErrInvalid, "--unset: empty KEY")
		}
		if seen[k] {
			return nil, core.Errorf(core.ErrInvalid, "--unset %q: key %q is changed twice", k, k)
		}
		seen[k] = true
		edits = append(edits, metadataEdit{key: k, unset: true})
	}
	return edits, nil
}

// applyMetadataEdits returns md with the edits applied, leaving md itself
// unchanged. Unsetting a key md does not have is ErrNotFound: most often
// a misspelt key, which a silent no-op would hide.
func applyMetadataEdits(md map[string]any, edits []metadataEdit) (map[string]any, error) {
	out := make(map[string]any, len(md)+len(edits))
	maps.Copy(out, md)
	for _, e := range edits {
		if !e.unset {
			out[e.key] = e.value
			continue
		}
		if _, ok := out[e.key]; !ok {
			return nil, core.Errorf(core.ErrNotFound, "no metadata key %q to unset", e.key)
		}
		delete(out, e.key)
	}
	return out, nil
}

func newDeleteCmd(g *globals, sc *scope) *cobra.Command {
	var deleteAliases bool
	cmd := &cobra.Command{
		Use:   "delete REF [--delete-aliases]",
		Short: "Delete a version",
		Long: `Delete a version. A version with aliases (including latest) is kept unless
--delete-aliases is given, which removes them with it; latest then moves to
the highest remaining version (or goes, if none remains).
Its files are freed once no live version uses them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				v, err := c.Artifact(ctx, args[0])
				if err != nil {
					return err
				}
				name := v.FullName()
				if err := v.Delete(ctx, deleteAliases); err != nil {
					// The store says what deleting with the aliases does;
					// here is how to ask for it.
					if errors.Is(err, trove.ErrConflict) && !deleteAliases && len(v.Aliases) > 0 {
						return fmt.Errorf("%w (trove artifact delete --delete-aliases)", err)
					}
					return err
				}
				_, err = fmt.Fprintf(g.stdout, "deleted %s\n", name)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&deleteAliases, "delete-aliases", false, "also delete the version's aliases")
	return cmd
}

func newDiffCmd(g *globals, sc *scope) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff REF REF",
		Short: "Show the files added, removed and changed between two versions",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				d, err := c.Diff(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, d)
				}
				for _, e := range d.Added {
					fmt.Fprintf(g.stdout, "+ %s\n", e.Path)
				}
				for _, e := range d.Removed {
					fmt.Fprintf(g.stdout, "- %s\n", e.Path)
				}
				for _, e := range d.Changed {
					fmt.Fprintf(g.stdout, "~ %s\n", e.Path)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// parseTTLFlag reads a --ttl: a duration (30d, 2w, 720h, 1w2d12h; see
// parseTTL) of more than 0 and at most 100 years, or, when allowNone,
// "none" for no time-to-live (0).
func parseTTLFlag(s string, allowNone bool) (time.Duration, error) {
	if allowNone && s == "none" {
		return 0, nil
	}
	d, err := parseTTL(s)
	if err != nil {
		return 0, core.Errorf(core.ErrInvalid, "--ttl %v: want a duration such as 30d, 2w, 720h or 90m", err)
	}
	if d <= 0 {
		return 0, core.Errorf(core.ErrInvalid, "--ttl %q: want more than 0 and at most 100 years", s)
	}
	return d, nil
}
