package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
	"github.com/troveml/trove/internal/service"
)

// gcStores are the two deployments GC must be safe on: the embedded default
// and the scale-out one.
var gcStores = []struct {
	name string
	// open returns the URLs of a fresh metadata and blob store; every
	// open of them (openGC) is another "process" on the same data.
	open func(t *testing.T) (db, blobs string)
}{
	{"SQLite+file", func(t *testing.T) (string, string) {
		dir := t.TempDir()
		return "sqlite://" + filepath.Join(dir, "trove.db"), "file://" + filepath.Join(dir, "blobs")
	}},
	{"Postgres+S3", func(t *testing.T) (string, string) {
		return pgschema.URL(t), s3test.Start(t)
	}},
}

// clock is a settable clock for leases.
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// gcEnv is one service on the stores of a test.
type gcEnv struct {
	svc   *service.Service
	meta  *meta.Store
	blobs *blob.Bucket
	clock *clock
}

func openGC(t *testing.T, db, blobs string, o service.Options) *gcEnv {
	t.Helper()
	ctx := context.Background()
	m, err := meta.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := blob.Open(ctx, blobs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	c := &clock{}
	if o.Now == nil {
		o.Now = c.Now
	}
	return &gcEnv{svc: service.New(m, b, o), meta: m, blobs: b, clock: c}
}

// logFiles logs files as a version of name the way a client does: commit,
// upload what is missing, commit again.
func logFiles(ctx context.Context, api service.API, name string, files map[string][]byte) (service.LogResult, error) {
	return logFilesTTL(ctx, api, name, files, "")
}

// logFilesTTL is logFiles for a version with a time-to-live ("" for none).
func logFilesTTL(ctx context.Context, api service.API, name string, files map[string][]byte, ttl string) (service.LogResult, error) {
	var es []core.Entry
	byDigest := map[core.Digest][]byte{}
	for p, c := range files {
		d := core.DigestOf(c)
		es = append(es, core.Entry{Path: p, Digest: d, Size: int64(len(c))})
		byDigest[d] = c
	}
	m, err := core.NewManifest(es)
	if err != nil {
		return service.LogResult{}, err
	}
	req := service.LogRequest{Entity: "gc", Project: "p", Name: name, Type: "dataset", Manifest: m, TTL: ttl}
	for range 10 {
		res, err := api.LogArtifact(ctx, req)
		if err != nil || len(res.Missing) == 0 {
			return res, err
		}
		for _, d := range res.Missing {
			c := byDigest[d]
			if err := api.PutBlob(ctx, d, int64(len(c)), bytes.NewReader(c)); err != nil {
				return res, err
			}
		}
	}
	return service.LogResult{}, fmt.Errorf("logging %s: blobs still missing after 10 rounds", name)
}

func stored(t *testing.T, b *blob.Bucket, d core.Digest) bool {
	t.Helper()
	_, err := b.Stat(t.Context(), d)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func mustGC(t *testing.T, e *gcEnv, o service.GCOptions) service.GCReport {
	t.Helper()
	rep, err := e.svc.GC(t.Context(), o)
	if err != nil {
		t.Fatalf("GC: %v", err)
	}
	return rep
}

// TestGC checks what one collection frees and keeps.
func TestGC(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			a, b, c := []byte("only in v0"), []byte("in v0 and v1"), []byte("only in v1")
			da, db_, dc := core.DigestOf(a), core.DigestOf(b), core.DigestOf(c)
			v0, err := logFiles(ctx, e.svc, "ds", map[string][]byte{"a": a, "b": b})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := logFiles(ctx, e.svc, "ds", map[string][]byte{"b": b, "c": c}); err != nil {
				t.Fatal(err)
			}
			ref := core.Ref{Entity: "gc", Project: "p", Name: "ds", Selector: core.VersionLabel(v0.Version.Index)}
			if err := e.svc.DeleteArtifact(ctx, ref, true); err != nil {
				t.Fatal(err)
			}

			// Within the lease and the grace period nothing goes.
			rep := mustGC(t, e, service.GCOptions{})
			if rep.Freed != 0 || rep.Scanned != 3 || rep.Live != 2 || rep.Kept != 1 {
				t.Errorf("GC within the lease = %+v; want 3 scanned, 2 live, 1 kept, 0 freed", rep)
			}
			// Dry run: counts, frees nothing.
			e.clock.Advance(2 * service.DefaultLeaseTTL)
			rep = mustGC(t, e, service.GCOptions{DryRun: true})
			if rep.Freed != 1 || rep.FreedBytes != int64(len(a)) || !rep.DryRun {
				t.Errorf("dry run = %+v; want 1 blob of %d bytes", rep, len(a))
			}
			if !stored(t, e.blobs, da) {
				t.Fatal("dry run deleted a blob")
			}
			rep = mustGC(t, e, service.GCOptions{})
			if rep.Freed != 1 || rep.FreedBytes != int64(len(a)) || rep.Live != 2 || rep.Scanned != 3 {
				t.Errorf("GC after the lease = %+v; want 1 freed (%d bytes), 2 live", rep, len(a))
			}
			if stored(t, e.blobs, da) || !stored(t, e.blobs, db_) || !stored(t, e.blobs, dc) {
				t.Errorf("after GC: a stored %v (want false), b %v, c %v (want true)",
					stored(t, e.blobs, da), stored(t, e.blobs, db_), stored(t, e.blobs, dc))
			}
			// The live version still reads in full.
			m, err := e.svc.Manifest(ctx, core.Ref{Entity: "gc", Project: "p", Name: "ds"})
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range m.Entries() {
				rc, err := e.svc.GetBlob(ctx, en.Digest)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					t.Fatalf("reading %s: %v", en.Path, err)
				}
				rc.Close()
			}
			// Logging the freed content again uploads it again.
			res, err := logFiles(ctx, e.svc, "ds", map[string][]byte{"a": a, "b": b})
			if err != nil || !res.Created {
				t.Fatalf("logging v0's content again = %+v, %v", res, err)
			}
			if !stored(t, e.blobs, da) {
				t.Error("re-logged blob not stored")
			}
		})
	}
}

// TestGCGraceAndLease checks that a young blob and a leased blob are kept.
func TestGCGraceAndLease(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			// Stored behind the service's back: no lease, only its age.
			young := []byte("young orphan")
			dy := core.DigestOf(young)
			if err := e.blobs.Put(ctx, dy, int64(len(young)), bytes.NewReader(young)); err != nil {
				t.Fatal(err)
			}
			rep := mustGC(t, e, service.GCOptions{})
			if rep.Kept != 1 || rep.Freed != 0 || !stored(t, e.blobs, dy) {
				t.Errorf("GC of a young orphan = %+v; want it kept", rep)
			}
			// Through the service: leased.
			leased := []byte("leased orphan")
			dl := core.DigestOf(leased)
			if err := e.svc.PutBlob(ctx, dl, int64(len(leased)), bytes.NewReader(leased)); err != nil {
				t.Fatal(err)
			}
			rep = mustGC(t, e, service.GCOptions{Grace: -1})
			if rep.Kept != 1 || rep.Freed != 1 || stored(t, e.blobs, dy) || !stored(t, e.blobs, dl) {
				t.Errorf("GC without grace = %+v; want the young orphan freed and the leased one kept", rep)
			}
			// MissingBlobs renews the lease of what it reports stored.
			e.clock.Advance(service.DefaultLeaseTTL / 2)
			if miss, err := e.svc.MissingBlobs(ctx, []core.Digest{dl}); err != nil || len(miss) != 0 {
				t.Fatalf("MissingBlobs = %v, %v", miss, err)
			}
			e.clock.Advance(service.DefaultLeaseTTL * 3 / 4)
			if rep := mustGC(t, e, service.GCOptions{Grace: -1}); rep.Freed != 0 {
				t.Errorf("GC within the renewed lease = %+v; want nothing freed", rep)
			}
			e.clock.Advance(service.DefaultLeaseTTL)
			if rep := mustGC(t, e, service.GCOptions{Grace: -1}); rep.Freed != 1 || stored(t, e.blobs, dl) {
				t.Errorf("GC after the lease = %+v; want the blob freed", rep)
			}
		})
	}
}

// TestGCTombstone checks that a blob being collected counts as absent,
// that writing it waits for the collection, and that a GC finishes the
// tombstones of an interrupted one.
func TestGCTombstone(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			content := []byte("doomed")
			d := core.DigestOf(content)
			if err := e.blobs.Put(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
				t.Fatal(err)
			}
			// A GC marks the blob and stops before deleting it.
			markAt := e.clock.Now()
			if ok, err := e.meta.MarkBlob(ctx, d, markAt); err != nil || !ok {
				t.Fatalf("MarkBlob = %v, %v; want true", ok, err)
			}
			if ok, err := e.meta.MarkBlob(ctx, d, markAt); err != nil || ok {
				t.Fatalf("second MarkBlob = %v, %v; want false", ok, err)
			}
			if miss, err := e.svc.MissingBlobs(ctx, []core.Digest{d}); err != nil || len(miss) != 1 {
				t.Errorf("MissingBlobs of a tombstoned blob = %v, %v; want it missing", miss, err)
			}
			es := []core.Entry{{Path: "f", Digest: d, Size: int64(len(content))}}
			m, _ := core.NewManifest(es)
			req := service.LogRequest{Entity: "gc", Project: "p", Name: "t", Type: "dataset", Manifest: m}
			res, err := e.svc.LogArtifact(ctx, req)
			if err != nil || len(res.Missing) != 1 || res.Missing[0] != d {
				t.Fatalf("LogArtifact of a tombstoned blob = %+v, %v; want it missing", res, err)
			}
			if _, err := e.svc.Collections(ctx, "gc", "p", ""); err == nil {
				if cs, _ := e.svc.Collections(ctx, "gc", "p", ""); len(cs) != 0 {
					t.Errorf("a refused log created collections %v", cs)
				}
			}
			// A write waits while the tombstone is there.
			done := make(chan error, 1)
			go func() { done <- e.svc.PutBlob(ctx, d, int64(len(content)), bytes.NewReader(content)) }()
			select {
			case err := <-done:
				t.Fatalf("PutBlob returned %v while the blob was being collected; want it to wait", err)
			case <-time.After(300 * time.Millisecond):
			}
			// The next GC finishes the stale tombstone; the write proceeds.
			e.clock.Advance(time.Hour)
			rep := mustGC(t, e, service.GCOptions{})
			if rep.Finished != 1 {
				t.Errorf("GC = %+v; want 1 stale tombstone finished", rep)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("PutBlob after the collection: %v", err)
				}
			case <-time.After(service.TombstoneWait):
				t.Fatal("PutBlob still waiting after the tombstone went")
			}
			if !stored(t, e.blobs, d) {
				t.Fatal("blob not stored after the waiting PutBlob")
			}
			if res, err := e.svc.LogArtifact(ctx, req); err != nil || len(res.Missing) != 0 || !res.Created {
				t.Fatalf("LogArtifact after re-upload = %+v, %v", res, err)
			}
		})
	}
}

// TestGCCommitCheck checks the commit's own blob check: a blob neither live
// nor leased is refused even when stored.
func TestGCCommitCheck(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			d := core.DigestOf([]byte("never leased"))
			m, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: d, Size: 12}})
			c := meta.Commit{Entity: "gc", Project: "p", Name: "c", Type: "dataset", Manifest: m, Now: e.clock.Now(), RequireBlobs: true}
			_, _, err := e.meta.CommitVersion(ctx, c)
			var mbe *meta.MissingBlobsError
			if !errors.As(err, &mbe) || len(mbe.Digests) != 1 || mbe.Digests[0] != d || !errors.Is(err, core.ErrConflict) {
				t.Fatalf("commit of an unleased blob = %v; want MissingBlobsError naming it", err)
			}
			if _, err := e.meta.ListVersions(ctx, "gc", "p", "c"); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("refused commit left a collection: %v", err)
			}
			if _, err := e.meta.LeaseBlobs(ctx, []core.Digest{d}, c.Now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, created, err := e.meta.CommitVersion(ctx, c); err != nil || !created {
				t.Fatalf("commit of a leased blob = %v, %v", created, err)
			}
		})
	}
}

// raceDuration is how long TestGCRace runs: TROVE_GC_RACE (e.g. 30s), or 3 s.
func raceDuration(t *testing.T) time.Duration {
	if v := os.Getenv("TROVE_GC_RACE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("TROVE_GC_RACE: %v", err)
		}
		return d
	}
	return 3 * time.Second
}

// TestGCRace logs versions — of new content and of content shared with
// deleted versions, whose blobs GC is collecting — and deletes some, from
// several writers (each its own store connection, like processes or
// replicas), while two GCs collect in a loop with no grace period and a
// short lease. Then every committed version must read back whole, and a
// final GC after the leases ended must free exactly the blobs no committed
// version holds.
func TestGCRace(t *testing.T) {
	const writers = 4
	dur := raceDuration(t)
	// Leases must end often during the run, so that GC collects while
	// versions are logged: 2 s, or less for a short run.
	leaseTTL := min(2*time.Second, dur/6)
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			opts := service.Options{LeaseTTL: leaseTTL, Now: time.Now}
			// Every writer and GC has its own connections, like separate
			// processes or server replicas; all open before the clock
			// starts.
			envs := make([]*gcEnv, writers+2)
			for i := range envs {
				envs[i] = openGC(t, db, bl, opts)
			}
			// The run lasts dur, and on a slow machine longer (up to
			// 10×dur), until GC has freed something while writers ran.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()

			// A pool of contents that versions share, so that new
			// versions keep deduplicating against blobs of deleted ones.
			shared := make([][]byte, 24)
			for i := range shared {
				shared[i] = []byte(fmt.Sprintf("shared content %d", i))
			}
			var (
				wg       sync.WaitGroup
				logged   atomic.Int64
				deleted  atomic.Int64
				expiring atomic.Int64
				gcRuns   atomic.Int64
				gcFreed  atomic.Int64
				failures = make(chan error, writers+2)
			)
			for w := range writers {
				e := envs[w]
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 42))
					name := fmt.Sprintf("w%d", w)
					for i := 0; ctx.Err() == nil; i++ {
						files := map[string][]byte{}
						for j := range 2 {
							files[fmt.Sprintf("shared%d", j)] = shared[rng.IntN(len(shared))]
						}
						for j := range 2 {
							files[fmt.Sprintf("new%d", j)] = []byte(fmt.Sprintf("w%d i%d j%d %d", w, i, j, rng.Uint64()))
						}
						// A quarter of the versions expire (after leaseTTL,
						// so during the run), a third of the others are
						// deleted: GC frees what those alone held.
						ttl := ""
						if rng.IntN(4) == 0 {
							ttl = leaseTTL.String()
						}
						res, err := logFilesTTL(ctx, e.svc, name, files, ttl)
						if ctx.Err() != nil {
							return
						}
						if err != nil {
							failures <- fmt.Errorf("writer %d: %w", w, err)
							return
						}
						logged.Add(1)
						if ttl != "" {
							expiring.Add(1)
						} else if rng.IntN(3) == 0 {
							ref := core.Ref{Entity: "gc", Project: "p", Name: name, Selector: core.VersionLabel(res.Version.Index)}
							if err := e.svc.DeleteArtifact(ctx, ref, true); err != nil && ctx.Err() == nil && !errors.Is(err, core.ErrNotFound) {
								failures <- fmt.Errorf("writer %d: delete: %w", w, err)
								return
							}
							deleted.Add(1)
						}
					}
				}()
			}
			go func() {
				start := time.Now()
				time.Sleep(dur)
				for gcFreed.Load() == 0 && time.Since(start) < 10*dur && ctx.Err() == nil {
					time.Sleep(50 * time.Millisecond)
				}
				cancel()
			}()
			for _, e := range envs[writers:] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						// A GC cancelled between mark and sweep would
						// leave tombstones (finished only 10 min later):
						// let each run finish.
						rep, err := e.svc.GC(context.WithoutCancel(ctx), service.GCOptions{Grace: -1})
						if err != nil {
							failures <- fmt.Errorf("GC: %w", err)
							return
						}
						gcRuns.Add(1)
						gcFreed.Add(int64(rep.Freed))
					}
				}()
			}
			wg.Wait()
			close(failures)
			for err := range failures {
				t.Error(err)
			}
			t.Logf("%v: %d versions logged, %d deleted, %d with a ttl of %v; %d GC runs freed %d blobs", dur, logged.Load(), deleted.Load(),
				expiring.Load(), leaseTTL, gcRuns.Load(), gcFreed.Load())
			if logged.Load() == 0 || gcRuns.Load() == 0 || gcFreed.Load() == 0 {
				t.Fatalf("the race did not happen: %d logged, %d GC runs, %d freed", logged.Load(), gcRuns.Load(), gcFreed.Load())
			}
			// Let every time-to-live end, so that the versions listed
			// below are exactly those that stay.
			time.Sleep(leaseTTL + 100*time.Millisecond)

			// Every committed version reads back whole and verified.
			e := openGC(t, db, bl, opts)
			bg := context.Background()
			live := map[core.Digest]bool{}
			versions := 0
			for w := range writers {
				vs, err := e.svc.ArtifactVersions(bg, core.Ref{Entity: "gc", Project: "p", Name: fmt.Sprintf("w%d", w)})
				if errors.Is(err, core.ErrNotFound) {
					continue // a writer too slow to log anything
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vs {
					if v.ExpiresAt != nil {
						t.Errorf("%s expired at %v and is still listed", v.FullName(), v.ExpiresAt)
					}
					versions++
					ref := core.Ref{Entity: "gc", Project: "p", Name: v.Name, Selector: core.VersionLabel(v.Index)}
					m, err := e.svc.Manifest(bg, ref)
					if err != nil {
						t.Fatal(err)
					}
					for _, en := range m.Entries() {
						live[en.Digest] = true
						rc, err := e.svc.GetBlob(bg, en.Digest)
						if err != nil {
							t.Errorf("%s %s: %v", ref, en.Path, err)
							continue
						}
						got, err := io.ReadAll(rc)
						rc.Close()
						if err != nil || core.DigestOf(got) != en.Digest {
							t.Errorf("%s %s: read %v", ref, en.Path, err)
						}
					}
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			// The final GC, once the leases ended, frees exactly the
			// stored blobs that no committed version holds.
			var want []core.Digest
			var wantBytes int64
			if err := e.blobs.List(bg, func(d core.Digest, size int64, _ time.Time) error {
				if !live[d] {
					want = append(want, d)
					wantBytes += size
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			rep, err := e.svc.GC(bg, service.GCOptions{Grace: -1, Now: func() time.Time { return time.Now().Add(2 * leaseTTL) }})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Freed != len(want) || rep.FreedBytes != wantBytes || rep.Live != len(live) {
				t.Errorf("final GC = %+v; want %d freed (%d bytes), %d live", rep, len(want), wantBytes, len(live))
			}
			left := 0
			if err := e.blobs.List(bg, func(d core.Digest, _ int64, _ time.Time) error {
				left++
				if !live[d] {
					t.Errorf("%s survived the final GC, held by no committed version", d)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if left != len(live) {
				t.Errorf("%d blobs stored after the final GC; want the %d live ones", left, len(live))
			}
			t.Logf("final: %d committed versions, %d live blobs, %d freed", versions, len(live), rep.Freed)
		})
	}
}

// manifestOf returns the manifest of files and their blobs by digest.
func manifestOf(t *testing.T, files map[string][]byte) (core.Manifest, map[core.Digest][]byte) {
	t.Helper()
	var es []core.Entry
	byDigest := map[core.Digest][]byte{}
	for p, c := range files {
		d := core.DigestOf(c)
		es = append(es, core.Entry{Path: p, Digest: d, Size: int64(len(c))})
		byDigest[d] = c
	}
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	return m, byDigest
}

// TestGCLeasesEndWithCommit checks that the leases a commit relies on end
// when it ends, successfully or not, so that a GC without grace frees the
// blobs of a version deleted at once; that a lease taken after the commit
// began (another client told "stored" meanwhile) stays; and that a commit
// answered Missing keeps its leases for the next round.
func TestGCLeasesEndWithCommit(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			a, b := []byte("logged then deleted a"), []byte("logged then deleted b")

			// Log, delete, collect: freed at once.
			v, err := logFiles(ctx, e.svc, "ds", map[string][]byte{"a": a, "b": b})
			if err != nil {
				t.Fatal(err)
			}
			ref := core.Ref{Entity: "gc", Project: "p", Name: "ds", Selector: core.VersionLabel(v.Version.Index)}
			if err := e.svc.DeleteArtifact(ctx, ref, true); err != nil {
				t.Fatal(err)
			}
			rep := mustGC(t, e, service.GCOptions{Grace: -1})
			if rep.Freed != 2 || rep.Kept != 0 || stored(t, e.blobs, core.DigestOf(a)) || stored(t, e.blobs, core.DigestOf(b)) {
				t.Errorf("GC without grace after log and delete = %+v; want both blobs freed", rep)
			}

			// A commit that fails (here: the collection is of another
			// type) ends its leases too, but not one answered Missing.
			c := []byte("uploaded for a failed commit")
			dc := core.DigestOf(c)
			m, _ := manifestOf(t, map[string][]byte{"c": c})
			bad := service.LogRequest{Entity: "gc", Project: "p", Name: "ds", Type: "model", Manifest: m}
			res, err := e.svc.LogArtifact(ctx, bad)
			if err != nil || len(res.Missing) != 1 {
				t.Fatalf("first round = %+v, %v; want c missing", res, err)
			}
			if err := e.svc.PutBlob(ctx, dc, int64(len(c)), bytes.NewReader(c)); err != nil {
				t.Fatal(err)
			}
			if rep := mustGC(t, e, service.GCOptions{Grace: -1, DryRun: true}); rep.Freed != 0 || rep.Kept != 1 {
				t.Errorf("GC between the rounds = %+v; want the uploaded blob kept by its lease", rep)
			}
			if _, err := e.svc.LogArtifact(ctx, bad); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("commit into a collection of another type = %v; want a conflict", err)
			}
			if rep := mustGC(t, e, service.GCOptions{Grace: -1}); rep.Freed != 1 || stored(t, e.blobs, dc) {
				t.Errorf("GC after the failed commit = %+v; want its blob freed", rep)
			}

			// Another client, told "stored" after this commit began,
			// keeps its lease; one told before loses it with the commit
			// (its own commit would then find the blob missing and
			// upload it again).
			later := openGC(t, db, bl, service.Options{})
			later.clock.Advance(time.Minute)
			earlier := openGC(t, db, bl, service.Options{})
			earlier.clock.Advance(-time.Minute)
			x, y := []byte("shared, told stored later"), []byte("shared, told stored earlier")
			dx, dy := core.DigestOf(x), core.DigestOf(y)
			for _, f := range []struct {
				d core.Digest
				c []byte
			}{{dx, x}, {dy, y}} {
				if err := e.blobs.Put(ctx, f.d, int64(len(f.c)), bytes.NewReader(f.c)); err != nil {
					t.Fatal(err)
				}
			}
			if miss, err := earlier.svc.MissingBlobs(ctx, []core.Digest{dy}); err != nil || len(miss) != 0 {
				t.Fatalf("MissingBlobs = %v, %v", miss, err)
			}
			v, err = logFiles(ctx, e.svc, "shared", map[string][]byte{"x": x, "y": y})
			if err != nil {
				t.Fatal(err)
			}
			if miss, err := later.svc.MissingBlobs(ctx, []core.Digest{dx}); err != nil || len(miss) != 0 {
				t.Fatalf("MissingBlobs = %v, %v", miss, err)
			}
			ref = core.Ref{Entity: "gc", Project: "p", Name: "shared", Selector: core.VersionLabel(v.Version.Index)}
			if err := e.svc.DeleteArtifact(ctx, ref, true); err != nil {
				t.Fatal(err)
			}
			rep = mustGC(t, e, service.GCOptions{Grace: -1})
			if rep.Freed != 1 || rep.Kept != 1 || !stored(t, e.blobs, dx) || stored(t, e.blobs, dy) {
				t.Errorf("GC = %+v; want x kept (leased after the commit began), y freed (x stored %v, y %v)",
					rep, stored(t, e.blobs, dx), stored(t, e.blobs, dy))
			}
		})
	}
}

// TestGCLeasesEndWithUpsert checks that the leases of a distributed
// artifact's upsert and finish end with them: the pending entries, then the
// version, hold the blobs, and once the version is deleted a GC without
// grace frees them at once.
func TestGCLeasesEndWithUpsert(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			run, err := e.svc.CreateRun(ctx, service.NewRun{Entity: "gc", Project: "p", JobType: "w"})
			if err != nil {
				t.Fatal(err)
			}
			send := func(finish bool, files map[string][]byte) service.LogResult {
				t.Helper()
				m, byDigest := manifestOf(t, files)
				req := service.UpsertRequest{DistributedID: "g", LogRequest: service.LogRequest{
					Entity: "gc", Project: "p", Name: "dist", Type: "dataset", Manifest: m, RunID: run.ID}}
				for range 3 {
					call := e.svc.UpsertArtifact
					if finish {
						call = e.svc.FinishArtifact
					}
					res, err := call(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					if len(res.Missing) == 0 {
						return res
					}
					for _, d := range res.Missing {
						if err := e.svc.PutBlob(ctx, d, int64(len(byDigest[d])), bytes.NewReader(byDigest[d])); err != nil {
							t.Fatal(err)
						}
					}
				}
				t.Fatal("blobs still missing")
				return service.LogResult{}
			}
			send(false, map[string][]byte{"part1": []byte("upserted part")})
			if rep := mustGC(t, e, service.GCOptions{Grace: -1}); rep.Live != 1 || rep.Kept != 0 || rep.Freed != 0 {
				t.Errorf("GC of an open distributed artifact = %+v; want its blob live, no lease left", rep)
			}
			res := send(true, map[string][]byte{"part2": []byte("finisher's part")})
			ref := core.Ref{Entity: "gc", Project: "p", Name: "dist", Selector: core.VersionLabel(res.Version.Index)}
			if err := e.svc.DeleteArtifact(ctx, ref, true); err != nil {
				t.Fatal(err)
			}
			if rep := mustGC(t, e, service.GCOptions{Grace: -1}); rep.Freed != 2 || rep.Kept != 0 {
				t.Errorf("GC after the finished version's deletion = %+v; want both blobs freed", rep)
			}
		})
	}
}

// TestGCLeasesKeptByBadInput: a log refused as bad input changes nothing,
// not even the leases of the blobs it names.
func TestGCLeasesKeptByBadInput(t *testing.T) {
	for _, st := range gcStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			db, bl := st.open(t)
			e := openGC(t, db, bl, service.Options{})
			ctx := t.Context()
			c := []byte("told stored, then named by a bad log")
			d := core.DigestOf(c)
			if err := e.svc.PutBlob(ctx, d, int64(len(c)), bytes.NewReader(c)); err != nil {
				t.Fatal(err)
			}
			m, _ := manifestOf(t, map[string][]byte{"c": c})
			bad := service.LogRequest{Entity: "gc", Project: "p", Name: "bad/name", Type: "dataset", Manifest: m}
			if _, err := e.svc.LogArtifact(ctx, bad); !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("log with a bad name = %v, want invalid", err)
			}
			if rep := mustGC(t, e, service.GCOptions{Grace: -1}); rep.Freed != 0 || rep.Kept != 1 || !stored(t, e.blobs, d) {
				t.Errorf("GC after a refused log = %+v; want the blob kept by its upload's lease", rep)
			}
		})
	}
}
