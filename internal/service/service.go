// Package service implements Trove's behaviour (DESIGN §2) on a metadata
// store and a blob store: logging with dedup, using, aliasing, deleting, and
// lineage queries. It is the one implementation behind the embedded SDK and
// the HTTP server.
package service

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// Metadata is the metadata store the service needs. *meta.Store implements
// it; see package meta for each method's contract.
type Metadata interface {
	CreateRun(ctx context.Context, r meta.NewRun) (core.Run, error)
	GetRun(ctx context.Context, id string) (core.Run, error)
	FindRun(ctx context.Context, entity, project, name string) (core.Run, error)
	ListRuns(ctx context.Context, entity, project string) ([]core.Run, error)
	UpdateRun(ctx context.Context, id string, u meta.RunUpdate) (core.Run, error)

	ListProjects(ctx context.Context, entity string) ([]string, error)
	ListCollections(ctx context.Context, entity, project, typ string) ([]core.Collection, error)

	CommitVersion(ctx context.Context, c meta.Commit) (core.Version, bool, error)
	FindVersionByDigest(ctx context.Context, entity, project, name string, d core.Digest) (core.Version, error)
	ResolveVersion(ctx context.Context, r core.Ref) (core.Version, error)
	ListVersions(ctx context.Context, entity, project, name string) ([]core.Version, error)
	Manifest(ctx context.Context, versionID int64) (core.Manifest, error)
	Entry(ctx context.Context, versionID int64, path string) (core.Entry, error)
	UpdateVersion(ctx context.Context, id int64, u meta.VersionUpdate) (core.Version, error)
	DeleteVersion(ctx context.Context, id int64, deleteAliases bool) error

	AddInput(ctx context.Context, runID string, versionID int64, now time.Time) error
	Producers(ctx context.Context, versionID int64) ([]core.Run, error)
	Consumers(ctx context.Context, versionID int64) ([]core.Run, error)
	RunOutputs(ctx context.Context, runID string) ([]core.Version, error)
	RunInputs(ctx context.Context, runID string) ([]core.Version, error)
	Lineage(ctx context.Context, q meta.LineageQuery) (core.Graph, error)
	TypeGraph(ctx context.Context, entity, project string) (core.TypeGraph, error)

	SizeKnown(ctx context.Context, size int64) (bool, error)

	RegistryStore
	DeleteVersionAt(ctx context.Context, id int64, deleteAliases bool, now time.Time) error
	ExpireDue(ctx context.Context, now time.Time) ([]core.Version, error)
	BlobUses(ctx context.Context) ([]meta.BlobUse, error)
	UpsertPending(ctx context.Context, u meta.Upsert) error
	FinishPending(ctx context.Context, f meta.Finish) (core.Version, bool, error)
}

// Blobs is the blob store the service needs. *blob.Bucket implements it.
type Blobs interface {
	Put(ctx context.Context, d core.Digest, size int64, r io.Reader) error
	Get(ctx context.Context, d core.Digest) (io.ReadCloser, error)
	Stat(ctx context.Context, d core.Digest) (int64, error)
}

// Options tune a Service. The zero value is usable.
type Options struct {
	// Logger receives debug and warning messages; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// HeartbeatTimeout is how long a running run may go without a heartbeat
	// before it is reported as crashed; 0 means DefaultHeartbeatTimeout.
	HeartbeatTimeout time.Duration
	// LeaseTTL is how long garbage collection keeps a blob the service
	// told a client is stored, or stored for it, while the client commits
	// it (see gc.go); 0 means DefaultLeaseTTL.
	LeaseTTL time.Duration
	// PendingTTL is how long a pending (distributed) artifact may go
	// without an upsert before the periodic sweeps abandon it (see
	// AbandonStale); 0 means DefaultPendingTTL, a negative value never.
	PendingTTL time.Duration
}

// DefaultHeartbeatTimeout is the default of Options.HeartbeatTimeout. The SDK
// beats every 30 s, so five minutes survives a few missed beats.
const DefaultHeartbeatTimeout = 5 * time.Minute

// Service implements API on a metadata store and a blob store.
type Service struct {
	meta             Metadata
	blobs            Blobs
	log              *slog.Logger
	now              func() time.Time
	heartbeatTimeout time.Duration
	leaseTTL         time.Duration
	pendingTTL       time.Duration // < 0: never
}

var _ API = (*Service)(nil)

// New returns a Service on the given stores.
func New(m Metadata, b Blobs, opts Options) *Service {
	s := &Service{meta: m, blobs: b, log: opts.Logger, now: opts.Now, heartbeatTimeout: opts.HeartbeatTimeout}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.heartbeatTimeout == 0 {
		s.heartbeatTimeout = DefaultHeartbeatTimeout
	}
	if s.leaseTTL = opts.LeaseTTL; s.leaseTTL <= 0 {
		s.leaseTTL = DefaultLeaseTTL
	}
	if s.pendingTTL = opts.PendingTTL; s.pendingTTL == 0 {
		s.pendingTTL = DefaultPendingTTL
	}
	return s
}

// Blobs returns the blob store, for callers that can use its optional
// abilities (such as ingesting a local file in one pass).
func (s *Service) Blobs() Blobs { return s.blobs }

// checkObject validates optional JSON that must be an object, returning
// "{}" for none.
func checkObject(what string, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, core.Errorf(core.ErrInvalid, "%s must be a JSON object: %.60s", what, raw)
	}
	return raw, nil
}

// checkRef validates a fully qualified reference.
func checkRef(r core.Ref) error {
	if err := core.ValidateEntity(r.Entity); err != nil {
		return err
	}
	if err := core.ValidateProject(r.Project); err != nil {
		return err
	}
	if err := core.ValidateName(r.Name); err != nil {
		return err
	}
	if r.Selector != "" {
		if _, ok := core.ParseVersionIndex(r.Selector); !ok {
			if err := core.ValidateAlias(r.Selector); err != nil {
				return core.Errorf(core.ErrInvalid, "artifact reference %s: %v", r, err)
			}
		}
	}
	return nil
}

// resolve validates ref and finds its committed version, expiring what is
// due first.
func (s *Service) resolve(ctx context.Context, ref core.Ref) (core.Version, error) {
	if err := checkRef(ref); err != nil {
		return core.Version{}, err
	}
	if err := s.expire(ctx); err != nil {
		return core.Version{}, err
	}
	return s.meta.ResolveVersion(ctx, ref)
}
