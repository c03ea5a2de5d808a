package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

// helperProtocol is the version of the protocol trove helper speaks,
// documented in python/PROTOCOL.md. Change it only with that file and the
// Python package.
const helperProtocol = 1

func newHelperCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "helper",
		Hidden: true,
		Short:  "Serve the Python package's requests on stdin/stdout (started by `import trove`)",
		Long: `Run as the private helper process of Trove's Python package: read one JSON
request per line on standard input, answer each with one JSON line on standard
output, and exit at end of input. The protocol is documented in
python/PROTOCOL.md. The helper uses the Go SDK, so the store, caches, retries,
progress bars (on stderr, when it is a terminal) and errors are those of the
other commands. People do not run it by hand.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A Ctrl-C at the Python prompt is Python's to handle: the
			// helper finishes or cancels what it was asked to, on request.
			signal.Ignore(os.Interrupt)
			h := newHelper(g)
			return h.serve(cmd.Context(), g.stdin, g.stdout)
		},
	}
}

// helper serves the requests of one Python process: it keeps one open
// client per distinct store description and the runs that process started.
type helper struct {
	g *globals

	mu      sync.Mutex // guards out
	out     *json.Encoder
	clients map[clientSpec]*trove.Client
	runs    map[string]*trove.Run // active runs by id
	done    map[string]*trove.Run // finished runs by id, for a second finish
}

func newHelper(g *globals) *helper {
	return &helper{g: g, clients: map[clientSpec]*trove.Client{}, runs: map[string]*trove.Run{}, done: map[string]*trove.Run{}}
}

// helperRequest is one line of input.
type helperRequest struct {
	ID   int64           `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args"`
}

// helperError is the error member of an answer.
type helperError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// helperResponse is one line of output.
type helperResponse struct {
	ID     int64        `json:"id"`
	Result any          `json:"result,omitempty"`
	Error  *helperError `json:"error,omitempty"`
}

// serve writes the hello line, then answers requests in order until in
// ends. A request {"op":"cancel","args":{"id":N}} cancels request N while
// it runs and is not answered itself.
func (h *helper) serve(ctx context.Context, in io.Reader, out io.Writer) error {
	h.out = json.NewEncoder(out)
	h.out.SetEscapeHTML(false)
	if err := h.write(map[string]any{"hello": map[string]any{"protocol": helperProtocol, "version": version, "pid": os.Getpid()}}); err != nil {
		return err
	}
	defer h.close()

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	type job struct {
		req    helperRequest
		args   helperArgs
		err    error // the request could not be read: answer this
		ctx    context.Context
		cancel context.CancelFunc
	}
	var (
		jobsMu  sync.Mutex
		pending = map[int64]context.CancelFunc{}
	)
	jobs := make(chan job, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := range jobs {
			res, err := any(nil), j.err
			if err == nil {
				res, err = h.do(j.ctx, j.req, j.args)
			}
			j.cancel()
			jobsMu.Lock()
			delete(pending, j.req.ID)
			jobsMu.Unlock()
			h.answer(j.req.ID, res, err)
		}
	}()

	r := bufio.NewReaderSize(in, 1<<20)
	var readErr error
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			req, args, bad := parseRequest(line)
			if bad == nil && req.Op == "cancel" {
				var a struct {
					ID int64 `json:"id"`
				}
				if json.Unmarshal(req.Args, &a) == nil {
					jobsMu.Lock()
					if cancel := pending[a.ID]; cancel != nil {
						cancel()
					}
					jobsMu.Unlock()
				}
			} else {
				jctx, cancel := context.WithCancel(ctx)
				jobsMu.Lock()
				pending[req.ID] = cancel
				jobsMu.Unlock()
				select {
				case jobs <- job{req, args, bad, jctx, cancel}:
				case <-ctx.Done():
					cancel()
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
	}
	// The Python process is gone or done: what it still waits for has no
	// one to answer to.
	stop()
	close(jobs)
	wg.Wait()
	return readErr
}

// write sends one line of output.
func (h *helper) write(v any) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.out.Encode(v)
}

// answer sends the answer to request id.
func (h *helper) answer(id int64, res any, err error) {
	resp := helperResponse{ID: id}
	switch {
	case err == nil:
		if res == nil {
			res = struct{}{}
		}
		resp.Result = res
	case errors.Is(err, context.Canceled):
		resp.Error = &helperError{Code: "canceled", Message: "canceled"}
	default:
		resp.Error = &helperError{Code: core.Code(err), Message: oneLine(err.Error())}
	}
	if werr := h.write(resp); werr != nil {
		fmt.Fprintf(h.g.stderr, "trove helper: %v\n", werr)
	}
}

// close ends what the helper holds. Runs still active are left to be
// reported crashed, as for a killed process.
func (h *helper) close() {
	for _, c := range h.clients {
		c.Close()
	}
}

// clientSpec names a store and its defaults; empty fields fall back to the
// environment, as for every command.
type clientSpec struct {
	URL      string `json:"url"`
	APIKey   string `json:"api_key"`
	Entity   string `json:"entity"`
	Project  string `json:"project"`
	CacheDir string `json:"cache_dir"`
}

// client returns the open client for s, opening it on first use.
func (h *helper) client(ctx context.Context, s clientSpec) (*trove.Client, error) {
	if c := h.clients[s]; c != nil {
		return c, nil
	}
	c, err := trove.Open(ctx, trove.Options{
		URL: s.URL, APIKey: s.APIKey, Entity: s.Entity, Project: s.Project, CacheDir: s.CacheDir,
		Progress: newProgress(h.g.stderr), Notify: h.g.notify,
	})
	if err != nil {
		return nil, err
	}
	h.clients[s] = c
	return c, nil
}

// run returns the active run with id.
func (h *helper) run(id string) (*trove.Run, error) {
	if r := h.runs[id]; r != nil {
		return r, nil
	}
	if h.done[id] != nil {
		return nil, core.Errorf(core.ErrConflict, "run %s has finished", id)
	}
	return nil, core.Errorf(core.ErrNotFound, "no active run %q in this process", id)
}

// helperArgs is the union of the arguments of every op; each op reads
// the fields it documents.
type helperArgs struct {
	Client   clientSpec   `json:"client"`
	Cwd      string       `json:"cwd"`
	Run      string       `json:"run"`
	Ref      string       `json:"ref"`
	Type     *string      `json:"type"`
	Aliases  []string     `json:"aliases"`
	Artifact *artifactArg `json:"artifact"`

	// init
	Entity  string         `json:"entity"`
	Project string         `json:"project"`
	Name    *string        `json:"name"`
	JobType string         `json:"job_type"`
	Group   string         `json:"group"`
	Config  map[string]any `json:"config"`
	Tags    []string       `json:"tags"`
	Notes   string         `json:"notes"`
	// NoAttach starts a run even under TROVE_RUN_ID.
	NoAttach bool `json:"no_attach"`

	// finish
	ExitCode *int `json:"exit_code"`

	// link_artifact, link_model
	Target              string `json:"target"`
	Path                string `json:"path"`
	RegisteredModelName string `json:"registered_model_name"`

	// run_artifacts, run_info
	ID        string `json:"id"`
	Direction string `json:"direction"`
	Depth     int    `json:"depth"`

	// download
	Root       *string `json:"root"`
	PathPrefix *string `json:"path_prefix"`

	// save
	Description *string         `json:"description"`
	Metadata    map[string]any  `json:"metadata"`
	TTL         json.RawMessage `json:"ttl"`

	// delete
	DeleteAliases bool `json:"delete_aliases"`

	// login
	Key  *string `json:"key"`
	Host *string `json:"host"`
}

// artifactArg is an artifact built in Python (PROTOCOL.md, "artifact spec").
type artifactArg struct {
	Name          string         `json:"name"`
	Type          string         `json:"type"`
	Description   string         `json:"description"`
	Metadata      map[string]any `json:"metadata"`
	TTL           *float64       `json:"ttl"`
	DistributedID string         `json:"distributed_id"`
	AllowEmpty    bool           `json:"allow_empty"`
	Base          *string        `json:"base"`
	Ops           []artifactOp   `json:"ops"`
}

type artifactOp struct {
	Op         string `json:"op"`
	Path       string `json:"path"`
	Name       string `json:"name"`
	URI        string `json:"uri"`
	Checksum   *bool  `json:"checksum"`
	MaxObjects *int   `json:"max_objects"`
	AllowHTML  bool   `json:"allow_html"`
}

// parseRequest reads one line of input: a request and its arguments.
// Unknown fields are refused, so a misspelt argument is an error rather
// than a default.
func parseRequest(line []byte) (helperRequest, helperArgs, error) {
	var req helperRequest
	var a helperArgs
	if err := json.Unmarshal(line, &req); err != nil {
		return req, a, core.Errorf(core.ErrInvalid, "helper: malformed request: %v", err)
	}
	if req.Op == "cancel" {
		return req, a, nil // its own arguments: {"id": N}
	}
	if len(req.Args) > 0 && string(req.Args) != "null" {
		dec := json.NewDecoder(bytes.NewReader(req.Args))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return req, a, core.Errorf(core.ErrInvalid, "%s: bad arguments: %v", req.Op, err)
		}
	}
	if a.Cwd != "" && !filepath.IsAbs(a.Cwd) {
		return req, a, core.Errorf(core.ErrInvalid, "%s: cwd %q is not absolute", req.Op, a.Cwd)
	}
	return req, a, nil
}

// do runs one request.
func (h *helper) do(ctx context.Context, req helperRequest, a helperArgs) (any, error) {
	switch req.Op {
	case "ping":
		return map[string]any{"version": version, "protocol": helperProtocol}, nil
	case "open":
		c, err := h.client(ctx, a.Client)
		if err != nil {
			return nil, err
		}
		return map[string]any{"entity": c.Entity(), "project": c.Project(), "url": c.Server(), "server": c.Server() != ""}, nil
	case "init":
		return h.init(ctx, a)
	case "finish":
		return h.finish(ctx, a)
	case "log_artifact", "use_artifact", "upsert_artifact", "finish_artifact", "link_model":
		return h.runOp(ctx, req.Op, a)
	case "link_artifact":
		c, err := h.client(ctx, a.Client)
		if err != nil {
			return nil, err
		}
		v, err := c.Artifact(ctx, a.Ref)
		if err != nil {
			return nil, err
		}
		var l *trove.Version
		if a.Run != "" {
			r, err := h.run(a.Run)
			if err != nil {
				return nil, err
			}
			l, err = r.LinkArtifact(ctx, v, a.Target, a.Aliases...)
			if err != nil {
				return nil, err
			}
		} else if l, err = c.LinkArtifact(ctx, v.FullName(), a.Target, a.Aliases...); err != nil {
			return nil, err
		}
		return helperVersion(l), nil
	case "run_artifacts":
		c, err := h.client(ctx, a.Client)
		if err != nil {
			return nil, err
		}
		r, err := c.Run(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		var vs []*trove.Version
		switch a.Direction {
		case "logged":
			vs, err = r.LoggedArtifacts(ctx)
		case "used":
			vs, err = r.UsedArtifacts(ctx)
		default:
			return nil, core.Errorf(core.ErrInvalid, "run_artifacts: direction %q: want logged or used", a.Direction)
		}
		return helperVersions(vs), err
	case "artifact":
		_, v, err := h.version(ctx, a)
		if err != nil {
			return nil, err
		}
		return helperVersion(v), nil
	case "artifact_versions":
		c, err := h.client(ctx, a.Client)
		if err != nil {
			return nil, err
		}
		vs, err := c.ArtifactVersions(ctx, a.Name0())
		if err != nil {
			return nil, err
		}
		if a.Type != nil && *a.Type != "" && len(vs) > 0 && vs[0].Type != *a.Type {
			return nil, core.Errorf(core.ErrNotFound, "artifact %s of type %q not found (it is of type %q)", a.Name0(), *a.Type, vs[0].Type)
		}
		return helperVersions(vs), nil
	case "collections":
		c, err := h.client(ctx, a.Client)
		if err != nil {
			return nil, err
		}
		typ := ""
		if a.Type != nil {
			typ = *a.Type
		}
		cs, err := c.Collections(ctx, a.Project, typ)
		if cs == nil {
			cs = []trove.Collection{}
		}
		return cs, err
	case "files":
		_, v, err := h.version(ctx, a)
		if err != nil {
			return nil, err
		}
		es, err := v.Files(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]helperEntry, 0, len(es))
		for _, e := range es {
			out = append(out, helperEntry{Path: e.Path, Digest: e.Digest.String(), Size: e.Size, Ref: e.Ref})
		}
		return out, nil
	case "entry":
		_, v, err := h.version(ctx, a)
		if err != nil {
			return nil, err
		}
		e, err := v.Entry(ctx, a.Path)
		if err != nil {
			return nil, err
		}
		return helperEntry{Path: e.Path, Digest: e.Digest.String(), Size: e.Size, Ref: e.Ref()}, nil
	case "download", "download_entry":
		return h.download(ctx, req.Op, a)
	case "save":
		return h.save(ctx, a)
	case "delete":
		_, v, err := h.version(ctx, a)
		if err != nil {
			return nil, err
		}
		return nil, v.Delete(ctx, a.DeleteAliases)
	case "logged_by":
		_, v, err := h.version(ctx, a)
		if err != nil {
			return nil, err
		}
		r, err := v.LoggedBy(ctx)
		if err != nil || r == nil {
			return json.RawMessage("null"), err
		}
		return helperRun(r), nil
	case "used_by":
		_, v, err := h.version(ctx, a)
		if err != nil {
			return nil, err
		}
		rs, err := v.UsedBy(ctx)
		if err != nil {
			return nil, err
		}
		return helperRuns(rs), nil
	case "run_info":
		c, err := h.client(ctx, a.Client)
		if err != nil {
			return nil, err
		}
		r, err := c.Run(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return helperRun(r), nil
	case "runs":
		c, err := h.client(ctx, a.Client)
		if err != nil {
			return nil, err
		}
		rs, err := c.Runs(ctx, a.Project)
		if err != nil {
			return nil, err
		}
		return helperRuns(rs), nil
	case "lineage":
		return h.lineage(ctx, a)
	case "login":
		return h.login(ctx, a)
	}
	return nil, core.Errorf(core.ErrInvalid, "helper: unknown op %q", req.Op)
}

// Name0 is the name argument of ops that take one (artifact_versions).
func (a helperArgs) Name0() string {
	if a.Name == nil {
		return ""
	}
	return *a.Name
}

// version resolves a.Ref, checking its type when a.Type is given.
func (h *helper) version(ctx context.Context, a helperArgs) (*trove.Client, *trove.Version, error) {
	c, err := h.client(ctx, a.Client)
	if err != nil {
		return nil, nil, err
	}
	v, err := c.Artifact(ctx, a.Ref)
	if err != nil {
		return nil, nil, err
	}
	if a.Type != nil && *a.Type != "" && v.Type != *a.Type {
		return nil, nil, core.Errorf(core.ErrInvalid, "artifact %s is of type %q, not %q", v.FullName(), v.Type, *a.Type)
	}
	return c, v, nil
}

// init starts a run.
func (h *helper) init(ctx context.Context, a helperArgs) (any, error) {
	c, err := h.client(ctx, a.Client)
	if err != nil {
		return nil, err
	}
	name := ""
	if a.Name != nil {
		name = *a.Name
	}
	r, err := trove.Init(ctx, trove.RunOptions{
		Client: c, Entity: a.Entity, Project: a.Project, Name: name, JobType: a.JobType,
		Group: a.Group, Config: a.Config, Tags: a.Tags, NoAttach: a.NoAttach,
	})
	if err != nil {
		return nil, err
	}
	h.runs[r.ID] = r
	return helperRun(r), nil
}

// finish ends an active run: finished for exit code 0 (or none), failed
// otherwise. Finishing a finished run again returns it as it is.
func (h *helper) finish(ctx context.Context, a helperArgs) (any, error) {
	r := h.runs[a.Run]
	if r == nil {
		if d := h.done[a.Run]; d != nil {
			return helperRun(d), nil
		}
		return nil, core.Errorf(core.ErrNotFound, "no active run %q in this process", a.Run)
	}
	var err error
	if a.ExitCode == nil || *a.ExitCode == 0 {
		err = r.Finish(ctx)
	} else {
		err = r.Fail(ctx)
	}
	if err != nil {
		return nil, err
	}
	delete(h.runs, r.ID)
	h.done[r.ID] = r
	// The run's state is that of when it was obtained: ask the store.
	if fr, err := r.Client().Run(ctx, r.ID); err == nil {
		h.done[r.ID] = fr
		return helperRun(fr), nil
	}
	return helperRun(r), nil
}

// runOp runs the ops that act through an active run.
func (h *helper) runOp(ctx context.Context, op string, a helperArgs) (any, error) {
	r, err := h.run(a.Run)
	if err != nil {
		return nil, err
	}
	switch op {
	case "link_model":
		if a.Path == "" || !filepath.IsAbs(a.Path) {
			return nil, core.Errorf(core.ErrInvalid, "link_model: path %q is not absolute", a.Path)
		}
		name := ""
		if a.Name != nil {
			name = *a.Name
		}
		l, err := r.LinkModel(ctx, a.Path, a.RegisteredModelName, name, a.Aliases...)
		if err != nil {
			return nil, err
		}
		return helperVersion(l), nil
	case "use_artifact":
		if a.Artifact == nil {
			ref := a.Ref
			if len(a.Aliases) > 0 {
				if q, err := core.ParseRef(ref); err == nil && q.Selector == "" {
					ref += ":" + a.Aliases[0]
				}
			}
			if a.Type != nil && *a.Type != "" {
				// Check the type before the input edge is recorded.
				v, err := r.Client().Artifact(ctx, qualify(ref, r))
				if err != nil {
					return nil, err
				}
				if v.Type != *a.Type {
					return nil, core.Errorf(core.ErrInvalid, "artifact %s is of type %q, not %q", v.FullName(), v.Type, *a.Type)
				}
			}
			v, err := r.UseArtifact(ctx, ref)
			if err != nil {
				return nil, err
			}
			return helperVersion(v), nil
		}
	}
	if a.Artifact == nil {
		return nil, core.Errorf(core.ErrInvalid, "%s: no artifact", op)
	}
	art, err := h.artifact(ctx, r.Client(), *a.Artifact)
	if err != nil {
		return nil, err
	}
	var v *trove.Version
	switch op {
	case "log_artifact":
		v, err = r.LogArtifact(ctx, art, a.Aliases...)
	case "use_artifact":
		v, err = r.UseArtifact(ctx, art, a.Aliases...)
	case "upsert_artifact":
		return nil, r.UpsertArtifact(ctx, art)
	case "finish_artifact":
		v, err = r.FinishArtifact(ctx, art, a.Aliases...)
	}
	if err != nil {
		return nil, err
	}
	return helperVersion(v), nil
}

// qualify completes a reference with the run's entity and project, as
// UseArtifact does.
func qualify(ref string, r *trove.Run) string {
	q, err := core.ParseRef(ref)
	if err != nil {
		return ref // the lookup reports it
	}
	return q.WithDefaults(r.Entity, r.Project).String()
}

// artifact builds the Go artifact an artifact spec describes.
func (h *helper) artifact(ctx context.Context, c *trove.Client, s artifactArg) (*trove.Artifact, error) {
	var art *trove.Artifact
	if s.Base != nil && *s.Base != "" {
		v, err := c.Artifact(ctx, *s.Base)
		if err != nil {
			return nil, err
		}
		if art, err = v.NewDraft(ctx); err != nil {
			return nil, err
		}
		if s.Name != "" && s.Name != art.Name {
			return nil, core.Errorf(core.ErrInvalid, "a draft of %s is logged as %s, not %s", v.FullName(), art.Name, s.Name)
		}
		if s.Type != "" && s.Type != art.Type {
			return nil, core.Errorf(core.ErrInvalid, "a draft of %s is of type %q, not %q", v.FullName(), art.Type, s.Type)
		}
	} else {
		art = trove.NewArtifact(s.Name, s.Type)
	}
	art.Description = s.Description
	art.Metadata = s.Metadata
	art.DistributedID = s.DistributedID
	art.AllowEmpty = s.AllowEmpty
	if s.TTL != nil {
		d, err := seconds(*s.TTL)
		if err != nil {
			return nil, err
		}
		art.TTL = d
	}
	for _, o := range s.Ops {
		var err error
		switch o.Op {
		case "file", "dir":
			if !filepath.IsAbs(o.Path) {
				return nil, core.Errorf(core.ErrInvalid, "add_%s: path %q is not absolute", o.Op, o.Path)
			}
			var name []string
			if o.Name != "" {
				name = []string{o.Name}
			}
			if o.Op == "file" {
				err = art.AddFile(o.Path, name...)
			} else {
				err = art.AddDir(o.Path, name...)
			}
		case "reference":
			var opts []trove.RefOption
			if o.Name != "" {
				opts = append(opts, trove.RefName(o.Name))
			}
			if o.Checksum != nil && !*o.Checksum {
				opts = append(opts, trove.NoChecksum())
			}
			if o.MaxObjects != nil {
				opts = append(opts, trove.MaxObjects(*o.MaxObjects))
			}
			if o.AllowHTML {
				opts = append(opts, trove.AllowHTML())
			}
			err = art.AddReference(o.URI, opts...)
		case "remove":
			err = art.Remove(o.Path)
		default:
			err = core.Errorf(core.ErrInvalid, "artifact: unknown op %q", o.Op)
		}
		if err != nil {
			return nil, err
		}
	}
	return art, nil
}

// seconds turns a TTL in seconds into a duration.
func seconds(s float64) (time.Duration, error) {
	if s < 0 || s > float64(100*365*24*3600+25*24*3600) {
		return 0, core.Errorf(core.ErrInvalid, "ttl %v s: want between 0 and 100 years", s)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// download fetches a version (or the files under a prefix, or one entry).
func (h *helper) download(ctx context.Context, op string, a helperArgs) (any, error) {
	_, v, err := h.version(ctx, a)
	if err != nil {
		return nil, err
	}
	root := ""
	if a.Root != nil {
		root = *a.Root
	}
	if root == "" {
		if a.Cwd == "" {
			return nil, core.Errorf(core.ErrInvalid, "%s: no root and no cwd", op)
		}
		root = filepath.Join(a.Cwd, v.DefaultRoot())
	} else if !filepath.IsAbs(root) {
		return nil, core.Errorf(core.ErrInvalid, "%s: root %q is not absolute", op, root)
	}
	if op == "download_entry" {
		e, err := v.Entry(ctx, a.Path)
		if err != nil {
			return nil, err
		}
		p, err := e.Download(ctx, root)
		if err != nil {
			return nil, err
		}
		return map[string]string{"path": p}, nil
	}
	if a.PathPrefix == nil || *a.PathPrefix == "" {
		dir, err := v.Download(ctx, root)
		if err != nil {
			return nil, err
		}
		return map[string]string{"dir": dir}, nil
	}
	es, err := v.Files(ctx)
	if err != nil {
		return nil, err
	}
	for _, me := range es {
		if !strings.HasPrefix(me.Path, *a.PathPrefix) {
			continue
		}
		e, err := v.Entry(ctx, me.Path)
		if err != nil {
			return nil, err
		}
		if _, err := e.Download(ctx, root); err != nil {
			return nil, err
		}
	}
	dir, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	return map[string]string{"dir": dir}, nil
}

// save applies description, metadata, aliases and TTL to a version.
func (h *helper) save(ctx context.Context, a helperArgs) (any, error) {
	_, v, err := h.version(ctx, a)
	if err != nil {
		return nil, err
	}
	if a.Description != nil {
		v.Description = *a.Description
	}
	if a.Metadata != nil {
		v.Metadata = a.Metadata
	}
	if a.Aliases != nil {
		// "latest" is Trove's: it stays where it is, whatever the list says.
		keep := make([]string, 0, len(a.Aliases)+1)
		for _, al := range a.Aliases {
			if al != core.LatestAlias {
				keep = append(keep, al)
			}
		}
		for _, al := range v.Aliases {
			if al == core.LatestAlias {
				keep = append(keep, al)
			}
		}
		v.Aliases = keep
	}
	if len(a.TTL) > 0 {
		if string(a.TTL) == "null" {
			v.SetTTL(0)
		} else {
			var s float64
			if err := json.Unmarshal(a.TTL, &s); err != nil {
				return nil, core.Errorf(core.ErrInvalid, "save: ttl: want seconds or null: %v", err)
			}
			d, err := seconds(s)
			if err != nil {
				return nil, err
			}
			if d == 0 {
				return nil, core.Errorf(core.ErrInvalid, "save: ttl 0: use null (None) for no expiry")
			}
			v.SetTTL(d)
		}
	}
	if err := v.Save(ctx); err != nil {
		return nil, err
	}
	return helperVersion(v), nil
}

// lineage answers the lineage graph of a version or run:ID, as trove
// lineage --format json prints it.
func (h *helper) lineage(ctx context.Context, a helperArgs) (any, error) {
	c, err := h.client(ctx, a.Client)
	if err != nil {
		return nil, err
	}
	var dir trove.Direction
	switch a.Direction {
	case "", "both":
		dir = trove.Both
	case "upstream":
		dir = trove.Upstream
	case "downstream":
		dir = trove.Downstream
	default:
		return nil, core.Errorf(core.ErrInvalid, "lineage: direction %q: want upstream, downstream or both", a.Direction)
	}
	if a.Depth < 0 {
		return nil, core.Errorf(core.ErrInvalid, "lineage: depth %d: want 0 (unlimited) or more", a.Depth)
	}
	start := a.Ref
	if id, ok := strings.CutPrefix(start, "run:"); ok {
		r, err := c.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		start = "run:" + r.ID
	} else {
		v, err := c.Artifact(ctx, start)
		if err != nil {
			return nil, err
		}
		start = v.FullName()
	}
	gr, err := c.Lineage(ctx, start, trove.LineageOptions{Direction: dir, Depth: a.Depth})
	if err != nil {
		return nil, err
	}
	if gr.Nodes == nil {
		gr.Nodes = []trove.Node{}
	}
	if gr.Edges == nil {
		gr.Edges = []trove.Edge{}
	}
	return gr, nil
}

// login checks a key against a server and saves both, as trove login does.
func (h *helper) login(ctx context.Context, a helperArgs) (any, error) {
	u := os.Getenv(trove.EnvURL)
	if a.Host != nil && *a.Host != "" {
		u = *a.Host
	}
	k := os.Getenv(trove.EnvAPIKey)
	if a.Key != nil && *a.Key != "" {
		k = *a.Key
	}
	if k == "" {
		return nil, core.Errorf(core.ErrUnauthenticated, "login: no API key: pass key= or set %s", trove.EnvAPIKey)
	}
	saved, user, path, err := saveLogin(ctx, h.g, u, k)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(h.g.stderr, "trove: logged in to %s as %s (saved in %s)\n", saved, user, path)
	return map[string]string{"url": saved, "user": user}, nil
}

// helperVersionJSON is a version as the helper answers it: the CLI's JSON
// plus the index and the TTL in seconds.
type helperVersionJSON struct {
	versionJSON
	Index int      `json:"index"`
	TTL   *float64 `json:"ttl"`
}

func helperVersion(v *trove.Version) helperVersionJSON {
	out := helperVersionJSON{versionJSON: toVersionJSON(v), Index: v.Index}
	if out.Aliases == nil {
		out.Aliases = []string{}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	if d := v.TTL(); d != 0 {
		s := d.Seconds()
		out.TTL = &s
	}
	return out
}

func helperVersions(vs []*trove.Version) []helperVersionJSON { return mapAll(vs, helperVersion) }

// mapAll returns f of each element of xs, as a non-nil slice (JSON []).
func mapAll[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// helperRunJSON is a run as the helper answers it.
type helperRunJSON struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Entity     string          `json:"entity"`
	Project    string          `json:"project"`
	JobType    string          `json:"job_type"`
	Group      string          `json:"group"`
	Config     json.RawMessage `json:"config"`
	Tags       []string        `json:"tags"`
	State      string          `json:"state"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
}

func helperRun(r *trove.Run) helperRunJSON {
	out := helperRunJSON{
		ID: r.ID, Name: r.Name, Entity: r.Entity, Project: r.Project, JobType: r.JobType, Group: r.Group,
		Config: r.Config, Tags: r.Tags, State: string(r.State), StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt,
	}
	if len(out.Config) == 0 || string(out.Config) == "null" {
		out.Config = json.RawMessage("{}")
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.FinishedAt != nil {
		t := out.FinishedAt.UTC()
		out.FinishedAt = &t
	}
	return out
}

func helperRuns(rs []*trove.Run) []helperRunJSON { return mapAll(rs, helperRun) }

// helperEntry is a manifest entry as the helper answers it.
type helperEntry struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	Ref    string `json:"ref"`
}
