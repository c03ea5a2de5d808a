package authz_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
)

// world is a store with accounts: the site admin "admin" (from Bootstrap),
// the users owner, tadmin, tmember, tviewer and stranger, the team "team"
// (tadmin admin, tmember member, tviewer viewer), and seeded projects
// owner/priv, owner/pub (public) and team/priv.
type world struct {
	t     *testing.T
	dir   string
	st    *meta.Store
	inner service.API // the unguarded service
	acc   *authz.Accounts
	p     map[string]authz.Principal
	keys  map[string]string
	seeds map[string]seed // by "entity/project"
	blobs *proofBucket
}

// proofBucket is a file bucket that plays an object store taking
// presigned uploads: setProof stands for a presigned PUT that carried a
// proof, which UploadProof then reads.
type proofBucket struct {
	*blob.Bucket
	mu     sync.Mutex
	proofs map[core.Digest]string
}

func (b *proofBucket) CanPresign() bool { return true }

func (b *proofBucket) UploadProof(ctx context.Context, d core.Digest) (string, error) {
	if _, err := b.Stat(ctx, d); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.proofs[d], nil
}

// setProof records that the object of d was last PUT with proof.
func (b *proofBucket) setProof(d core.Digest, proof string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.proofs[d] = proof
}

// seed is what seedProject puts in a project: a run "producer" that logged
// data:v0 (alias "prod") and a run "consumer" that used it and logged
// model:v0. Both runs stay running.
type seed struct {
	entity, project    string
	producer, consumer core.Run
	data, model        core.Version
	blob               core.Digest // data's only file, unique to this project
}

var users = []string{"owner", "tadmin", "tmember", "tviewer", "stranger"}

func openStore(t *testing.T, path string) *meta.Store {
	t.Helper()
	st, err := meta.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "trove.db"))
	b, err := blob.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	pb := &proofBucket{Bucket: b, proofs: map[core.Digest]string{}}
	w := &world{t: t, dir: dir, st: st, inner: service.New(st, pb, service.Options{}), acc: authz.NewAccounts(st),
		p: map[string]authz.Principal{}, keys: map[string]string{}, seeds: map[string]seed{}, blobs: pb}

	created, keyFile, err := w.acc.Bootstrap(ctx, filepath.Join(dir, "data"))
	if err != nil || !created {
		t.Fatalf("Bootstrap: created=%v, %v", created, err)
	}
	w.login("admin", readKey(t, keyFile))
	for _, u := range users {
		_, key, err := w.acc.CreateUser(ctx, w.p["admin"], u, false)
		if err != nil {
			t.Fatalf("CreateUser(%s): %v", u, err)
		}
		w.login(u, key)
	}
	if _, err := w.acc.CreateTeam(ctx, w.p["tadmin"], "team"); err != nil {
		t.Fatal(err)
	}
	for u, role := range map[string]meta.Role{"tmember": meta.RoleMember, "tviewer": meta.RoleViewer} {
		if err := w.acc.SetMember(ctx, w.p["tadmin"], "team", u, role); err != nil {
			t.Fatalf("SetMember(%s): %v", u, err)
		}
	}
	w.seedProject("owner", "priv")
	w.seedProject("owner", "pub")
	w.seedProject("team", "priv")
	if err := w.acc.SetProjectPublic(ctx, w.p["owner"], "owner", "pub", true); err != nil {
		t.Fatal(err)
	}
	return w
}

func readKey(t *testing.T, keyFile string) string {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// login authenticates key and remembers the principal under name.
func (w *world) login(name, key string) {
	w.t.Helper()
	p, err := authz.Authenticate(context.Background(), w.st, key)
	if err != nil {
		w.t.Fatalf("Authenticate(%s): %v", name, err)
	}
	if p.User.Name != name {
		w.t.Fatalf("key of %s authenticates %s", name, p.User.Name)
	}
	w.p[name], w.keys[name] = p, key
}

// as returns the service as user sees it.
func (w *world) as(user string) service.API { return authz.Guard(w.inner, w.st, w.p[user]) }

// files stores contents through api and returns their manifest.
func files(t *testing.T, api service.API, contents map[string]string) core.Manifest {
	t.Helper()
	var es []core.Entry
	for p, c := range contents {
		d := core.DigestOf([]byte(c))
		if err := api.PutBlob(context.Background(), d, int64(len(c)), strings.NewReader(c)); err != nil {
			t.Fatalf("PutBlob: %v", err)
		}
		es = append(es, core.Entry{Path: p, Digest: d, Size: int64(len(c))})
	}
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// startRun starts a run through api.
func startRun(t *testing.T, api service.API, entity, project, name string) core.Run {
	t.Helper()
	r, err := api.CreateRun(context.Background(), service.NewRun{Entity: entity, Project: project, Name: name, JobType: "test"})
	if err != nil {
		t.Fatalf("CreateRun(%s/%s): %v", entity, project, err)
	}
	return r
}

// logFiles logs contents as entity/project/name through api.
func logFiles(t *testing.T, api service.API, runID, entity, project, name string, contents map[string]string, aliases ...string) core.Version {
	t.Helper()
	res, err := api.LogArtifact(context.Background(), service.LogRequest{
		Entity: entity, Project: project, Name: name, Type: "dataset", RunID: runID,
		Aliases: aliases, Manifest: files(t, api, contents),
	})
	if err != nil || len(res.Missing) > 0 {
		t.Fatalf("LogArtifact(%s/%s/%s): %v (missing %v)", entity, project, name, err, res.Missing)
	}
	return res.Version
}

func use(t *testing.T, api service.API, runID string, r core.Ref) {
	t.Helper()
	if _, err := api.UseArtifact(context.Background(), runID, r); err != nil {
		t.Fatalf("UseArtifact(%s): %v", r, err)
	}
}

// seedProject fills entity/project through the unguarded service.
func (w *world) seedProject(entity, project string) seed {
	t := w.t
	t.Helper()
	s := seed{entity: entity, project: project}
	content := "data of " + entity + "/" + project
	s.blob = core.DigestOf([]byte(content))
	s.producer = startRun(t, w.inner, entity, project, "producer")
	s.data = logFiles(t, w.inner, s.producer.ID, entity, project, "data", map[string]string{"file.txt": content}, "prod")
	s.consumer = startRun(t, w.inner, entity, project, "consumer")
	use(t, w.inner, s.consumer.ID, s.data.Ref())
	s.model = logFiles(t, w.inner, s.consumer.ID, entity, project, "model", map[string]string{"weights": "model of " + entity + "/" + project})
	w.seeds[entity+"/"+project] = s
	return s
}

// snapshot describes, through the unguarded service, everything in the
// given projects that an operation could change: runs with their state,
// inputs and outputs, collections, versions with their aliases and
// descriptions.
func (w *world) snapshot(projects ...string) string {
	t := w.t
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, ep := range projects {
		entity, project, _ := strings.Cut(ep, "/")
		runs, err := w.inner.ListRuns(ctx, entity, project)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			in, err := w.inner.RunInputs(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			out, err := w.inner.RunOutputs(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "run %s %s %s hb=%v in=%v out=%v\n", r.ID, r.Name, r.State, r.HeartbeatAt.UnixNano(), names(in), names(out))
		}
		cs, err := w.inner.Collections(ctx, entity, project, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			vs, err := w.inner.ArtifactVersions(ctx, core.Ref{Entity: entity, Project: project, Name: c.Name})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				fmt.Fprintf(&b, "version %s %v %q %s expires=%v\n", v.FullName(), v.Aliases, v.Description, v.Metadata, v.ExpiresAt)
			}
		}
	}
	return b.String()
}

func names(vs []core.Version) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.FullName())
	}
	return out
}

func runIDs(runs []core.Run) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

// kindOf reduces err to its kind (nil for success), the outcome the tests
// expect; an error without a kind stays itself, so it never matches one.
func kindOf(err error) error {
	if k := core.KindOf(err); k != nil {
		return k
	}
	return err
}

func wantKind(t *testing.T, what string, err, want error) {
	t.Helper()
	if got := kindOf(err); got != want {
		t.Errorf("%s: got %v, want %v", what, err, outcomeName(want))
	}
}

func outcomeName(err error) string {
	if err == nil {
		return "success"
	}
	return err.Error()
}

func readAll(api service.API, d core.Digest) error {
	r, err := api.GetBlob(context.Background(), d)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}

func nodeIDs(g core.Graph) []string {
	out := []string{}
	for _, n := range g.Nodes {
		out = append(out, n.ID)
	}
	slices.Sort(out)
	return out
}
