package trove

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// EnvRunID names the run a program is started in: trove exec sets it for
// its command, and Init and StartRun attach to that run instead of
// starting one of their own (see RunOptions.NoAttach).
const EnvRunID = "TROVE_RUN_ID"

// RunOptions describe a run to start with Init.
//
// When TROVE_RUN_ID is set (trove exec sets it for its command), Init and
// StartRun attach to that run instead of starting a new one, so that the
// lineage shows one run: the run must exist and be running. The attached
// run keeps its own entity, project, name, job type, group, config and
// tags: Name, JobType, Group, Config and Tags are ignored, and an Entity
// or Project that is not the run's is an error. Set NoAttach to start a
// run of your own anyway.
type RunOptions struct {
	// Client is the store to use; nil opens one from the environment (and
	// the run closes it when it finishes).
	Client *Client
	// Entity and Project default to the client's defaults.
	Entity  string
	Project string
	// Name is the display name; "" gives an adjective-noun-N name.
	Name    string
	JobType string         // the pipeline step: "preprocess", "train", "evaluate"…
	Group   string         // groups runs of one distributed job
	Config  map[string]any // hyper-parameters and settings (a JSON object)
	Tags    []string
	// NoAttach starts a new run even when TROVE_RUN_ID is set.
	NoAttach bool
}

// HeartbeatInterval is how often an active run tells the store it is alive.
// A run silent for much longer is reported as crashed.
const HeartbeatInterval = 30 * time.Second

// Run is a run: one execution of a pipeline step. A run started by Init is
// active: it logs and uses artifacts until Finish. Runs obtained from
// queries (LoggedBy, UsedBy, Client.Run) describe past or other runs. Safe
// for concurrent use.
type Run struct {
	ID         string          // short random id
	Name       string          // display name, e.g. "jumping-monkey-1"
	Entity     string          //
	Project    string          //
	JobType    string          //
	Group      string          //
	Config     json.RawMessage // JSON object
	Tags       []string        //
	State      RunState        // at the time the Run was obtained
	StartedAt  time.Time       //
	FinishedAt *time.Time      // nil while running

	c         *Client
	ownClient bool // Init opened c and Finish closes it
	attached  bool // the run is TROVE_RUN_ID's: its owner ends it

	mu       sync.Mutex
	finished bool
	stopBeat context.CancelFunc
	beatDone chan struct{}
}

func (c *Client) newRun(r core.Run) *Run {
	return &Run{
		ID: r.ID, Name: r.Name, Entity: r.Entity, Project: r.Project, JobType: r.JobType,
		Group: r.Group, Config: r.Config, Tags: r.Tags, State: r.State, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, c: c,
	}
}

// Init starts a run. Without opts.Client it opens the store the environment
// names (TROVE_URL, …) and closes it at Finish.
//
// Under TROVE_RUN_ID (a program started by trove exec) Init attaches to
// that run instead of starting one (see RunOptions): what the program logs
// and uses is recorded on that run, and Finish or Fail leaves it running
// for its owner to end.
func Init(ctx context.Context, opts RunOptions) (*Run, error) {
	c, own := opts.Client, false
	if c == nil {
		var err error
		if c, err = Open(ctx, Options{Entity: opts.Entity, Project: opts.Project}); err != nil {
			return nil, err
		}
		own = true
	}
	r, err := c.StartRun(ctx, opts)
	if err != nil {
		if own {
			c.Close()
		}
		return nil, err
	}
	r.ownClient = own
	return r, nil
}

// StartRun starts a run on this client, or attaches to TROVE_RUN_ID's;
// see Init and RunOptions.
func (c *Client) StartRun(ctx context.Context, opts RunOptions) (*Run, error) {
	if id := os.Getenv(EnvRunID); id != "" && !opts.NoAttach {
		return c.attach(ctx, id, opts)
	}
	var cfg json.RawMessage
	if opts.Config != nil {
		b, err := json.Marshal(opts.Config)
		if err != nil {
			return nil, core.Errorf(core.ErrInvalid, "run config: %w", err)
		}
		cfg = b
	}
	cr, err := c.api.CreateRun(ctx, service.NewRun{
		Entity: firstNonEmpty(opts.Entity, c.entity), Project: firstNonEmpty(opts.Project, c.project),
		Name: opts.Name, JobType: opts.JobType, Group: opts.Group, Config: cfg, Tags: opts.Tags,
	})
	if err != nil {
		return nil, err
	}
	r := c.newRun(cr)
	r.startHeartbeat()
	return r, nil
}

// attach returns the run id names, to log and use through it: the run must
// be running, in the entity and project opts ask for if they do.
func (c *Client) attach(ctx context.Context, id string, opts RunOptions) (*Run, error) {
	// The store finds a run id in any project (a display name, only in the
	// client's: not an id, so not found here).
	cr, err := c.api.GetRun(ctx, c.entity, c.project, id)
	if err == nil && cr.ID != id {
		err = core.ErrNotFound
	}
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrNotFound, "%s=%s: no such run (unset %s to start a run of its own)", EnvRunID, id, EnvRunID)
	}
	if err != nil {
		return nil, core.Errorf(core.KindOf(err), "%s=%s: %v", EnvRunID, id, err)
	}
	if cr.State != core.RunRunning {
		return nil, core.Errorf(core.ErrConflict, "%s=%s: run %s is %s, not running", EnvRunID, id, cr.Name, cr.State)
	}
	if opts.Entity != "" && opts.Entity != cr.Entity || opts.Project != "" && opts.Project != cr.Project {
		return nil, core.Errorf(core.ErrConflict, "%s=%s: run %s is in %s/%s, not %s/%s (a program started in a run logs to the run's project; set NoAttach to start a run of its own)",
			EnvRunID, id, cr.Name, cr.Entity, cr.Project, firstNonEmpty(opts.Entity, cr.Entity), firstNonEmpty(opts.Project, cr.Project))
	}
	r := c.newRun(cr)
	r.attached = true // its owner beats and ends it
	return r, nil
}

// Attached reports whether the run is TROVE_RUN_ID's, attached to by Init
// or StartRun rather than started by them: Finish and Fail leave it to its
// owner.
func (r *Run) Attached() bool { return r.attached }

// startHeartbeat beats until Finish, so that a run whose process dies is
// reported as crashed.
func (r *Run) startHeartbeat() {
	ctx, cancel := context.WithCancel(context.Background())
	r.stopBeat = cancel
	r.beatDone = make(chan struct{})
	go func() {
		defer close(r.beatDone)
		t := time.NewTicker(HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.c.api.Heartbeat(ctx, r.ID); err != nil && ctx.Err() == nil {
					r.c.log.Warn("heartbeat failed", "run", r.ID, "err", err)
				}
			}
		}
	}()
}

// LogArtifact logs a as an output of the run and returns the version it
// landed on: a new version when the content is new, else the existing
// version with that content (content is deduplicated per artifact). The
// run's project holds the artifact.
// "latest" moves to a new version; aliases move to the returned version.
// When the content was already there, the returned version's Deduplicated
// is true and a's description and metadata were not applied to it.
func (r *Run) LogArtifact(ctx context.Context, a *Artifact, aliases ...string) (*Version, error) {
	v, created, err := r.c.logArtifact(ctx, a, r.Entity, r.Project, r.ID, aliases)
	if err != nil {
		return nil, err
	}
	out := r.c.newVersion(v)
	out.deduplicated = !created
	return out, nil
}

// UseArtifact records an artifact as an input of the run and returns its
// version. artifact is either a reference string —
// "name", "name:v3", "name:alias", "project/name:alias" or
// "entity/project/name:alias" (no version means latest) — or a *Artifact
// built locally, which is logged first when its content is new (without an
// output edge: the run uses it, it did not produce it) so that using it
// again is idempotent; aliases apply only to that case.
func (r *Run) UseArtifact(ctx context.Context, artifact any, aliases ...string) (*Version, error) {
	var ref core.Ref
	switch a := artifact.(type) {
	case string:
		q, err := core.ParseRef(a)
		if err != nil {
			return nil, err
		}
		ref = q.WithDefaults(r.Entity, r.Project)
	case *Artifact:
		v, _, err := r.c.logArtifact(ctx, a, r.Entity, r.Project, "", aliases)
		if err != nil {
			return nil, err
		}
		ref = v.Ref()
	case *Version:
		ref = a.ref()
	default:
		return nil, core.Errorf(core.ErrInvalid, "UseArtifact takes a reference string, a *Artifact or a *Version, not %T", artifact)
	}
	v, err := r.c.api.UseArtifact(ctx, r.ID, ref)
	if err != nil {
		return nil, err
	}
	return r.c.newVersion(v), nil
}

// LoggedArtifacts returns the versions the run logged, earliest first.
func (r *Run) LoggedArtifacts(ctx context.Context) ([]*Version, error) {
	vs, err := r.c.api.RunOutputs(ctx, r.ID)
	return r.c.versions(vs, err)
}

// UsedArtifacts returns the versions the run used, earliest first.
func (r *Run) UsedArtifacts(ctx context.Context) ([]*Version, error) {
	vs, err := r.c.api.RunInputs(ctx, r.ID)
	return r.c.versions(vs, err)
}

// versions wraps the versions a query returned.
func (c *Client) versions(vs []core.Version, err error) ([]*Version, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*Version, len(vs))
	for i, v := range vs {
		out[i] = c.newVersion(v)
	}
	return out, nil
}

// runs wraps the runs a query returned.
func (c *Client) runs(rs []core.Run, err error) ([]*Run, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*Run, len(rs))
	for i, r := range rs {
		out[i] = c.newRun(r)
	}
	return out, nil
}

// Lineage returns the lineage graph around the run.
func (r *Run) Lineage(ctx context.Context, opts LineageOptions) (Graph, error) {
	return r.c.api.Lineage(ctx, service.LineageRequest{RunID: r.ID, Direction: opts.Direction, Depth: opts.Depth})
}

// Finish marks the run finished. Calling it again does nothing. A run
// attached to under TROVE_RUN_ID stays running (its owner, such as trove
// exec, ends it): Finish only ends this program's use of it.
func (r *Run) Finish(ctx context.Context) error { return r.end(ctx, core.RunFinished) }

// Fail marks the run failed. Calling it after Finish or Fail does nothing.
// A run attached to under TROVE_RUN_ID stays running, as with Finish: the
// owner learns of the failure from the program's exit status.
func (r *Run) Fail(ctx context.Context) error { return r.end(ctx, core.RunFailed) }

func (r *Run) end(ctx context.Context, state core.RunState) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return nil
	}
	if r.stopBeat != nil {
		r.stopBeat()
		<-r.beatDone
	}
	if r.attached {
		r.finished = true
		if r.ownClient {
			return r.c.Close()
		}
		return nil
	}
	cr, err := r.c.api.FinishRun(ctx, r.ID, state)
	if err != nil {
		return err
	}
	r.finished = true
	r.State, r.FinishedAt = cr.State, cr.FinishedAt
	if r.ownClient {
		return r.c.Close()
	}
	return nil
}

// Client returns the client the run works through.
func (r *Run) Client() *Client { return r.c }
