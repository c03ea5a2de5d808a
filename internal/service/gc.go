package service

// Garbage collection of blobs.
//
// GC frees the blobs no live or in-flight version needs. A digest is live
// when an entry of a committed version holds it as a stored file (reference
// entries hold no blob), or an entry of a version a committed version links
// (a registry link has no entries and keeps its source), or an entry of a
// distributed artifact still being built (pending_entries of an open
// pending artifact). Deleted versions' entries do not count: deleting a
// version, by hand or by expiry, is what frees its blobs; neither do those
// of an abandoned distributed artifact, whose rows are deleted (by hand, or
// by AbandonStale after Options.PendingTTL, which GC runs first).
//
// The protocol has three parts.
//
//  1. Lease. Before the service tells a client a blob is stored
//     (MissingBlobs leaves it out, so also LogArtifact's check of its
//     manifest) or stores one for it (PutBlob; PrepareUpload before a
//     presigned upload), it upserts blob_leases(digest, until = now +
//     LeaseTTL), one statement per 500 digests (meta.LeaseBlobs). The lease
//     must come before the existence check it vouches for: MissingBlobs
//     stats, leases what it found, and stats those again (a GC may have
//     marked, deleted and un-tombstoned a blob between the first Stat and
//     the lease; a mark after the lease sees it); PutBlob leases before
//     the store's own existence check. IngestBlob
//     learns the digest only after writing, so it leases right after; the
//     grace period covers the gap (a blob younger than Grace is never a
//     candidate).
//  2. Mark, one transaction per candidate (meta.MarkBlob). Candidates are
//     listed blobs older than Grace that are not live. The transaction
//     creates the digest's lease row if missing, locks it, checks again
//     that the blob is neither live nor leased, and inserts
//     blob_tombstones(digest). From then on the blob counts as absent:
//     MissingBlobs and LogArtifact list it as missing, and PutBlob waits
//     (up to TombstoneWait) for the tombstone to go before writing.
//  3. Sweep: delete the blob from the store, then the tombstone.
//
// The commit transaction (meta.CommitVersion with RequireBlobs) accepts a
// new version only if every blob digest of its manifest has no tombstone
// and is live or leased; else nothing commits and LogArtifact answers the
// digests as Missing, which the client uploads again. It is a set query,
// whatever the size of the manifest: one statement on SQLite, three on
// PostgreSQL (create the missing lease rows, lock them, check).
//
// Why a needed blob is never deleted. A blob is deleted only after its
// mark committed; the mark found it neither live nor leased, and no commit
// referencing it could have committed before the mark (that commit's
// entries would make it live) nor can one commit after (it would see the
// tombstone: a commit needs "no tombstone", and "live" can only become true
// through a commit). For that argument the mark and the commit must not
// interleave, and must each see the other's result:
//   - SQLite: every write transaction holds the database's write lock from
//     BEGIN (IMMEDIATE), so marks, commits and lease upserts are serial.
//   - PostgreSQL (READ COMMITTED): both transactions lock the same rows,
//     the blob's lease row, before reading anything they decide on. The
//     mark inserts the row if missing (ON CONFLICT DO NOTHING) and reads it
//     FOR UPDATE; the commit inserts its digests' missing rows the same way
//     and reads them all FOR SHARE; a lease upsert locks the row by its
//     ON CONFLICT DO UPDATE. Whichever locks second waits for the first to
//     commit, and its following statements see everything the first
//     committed: a commit that waited for a mark sees the tombstone (and any
//     concurrent version deletion the mark saw), a mark that waited for a
//     commit sees its entries, a mark that waited for a lease sees the
//     lease. Insert conflicts on a row another transaction is inserting
//     wait too, so a row created by either side is a lock both share.
//     Row locks were chosen over SERIALIZABLE because they block only the
//     transactions that touch the same blob: committers of unrelated
//     versions never abort each other, and the commit path keeps its retry
//     budget for real conflicts.
//
// A large manifest is committed in steps (internal/meta/staged.go): its
// entries are written in short transactions under an id no version has yet,
// and each of those transactions checks its blobs as the commit above does,
// under the same row locks, and extends their leases to now + LeaseTTL. So
// by the time the last, short transaction creates the version, every blob
// it names is leased (a mark needs an ended lease) and the version needs no
// blob check of its own; it gives up when the steps took more than half
// the lease time. Staged entries belong to no version: they keep no blob
// alive, and CleanStaged (also run by GC) removes those of crashed commits.
//
// A client told "stored" holds a lease for LeaseTTL at most: if it commits
// later than that and GC collected the blob meanwhile, the commit reports
// it missing and the client uploads it again (the SDK does, a few rounds).
//
// Ending a lease. A lease is only needed until the commit that needed it
// ends; kept for LeaseTTL, it would keep the blobs of a version logged and
// deleted at once for an hour, and `trove gc --grace 0` would free
// nothing. So LogArtifact, UpsertArtifact and FinishArtifact end, when
// they end — with a version, an upsert, or an error — the leases of their
// manifest's blobs (endLeases, meta.EndLeases). Not when they answer
// Missing: the client then uploads those and commits again, counting on the
// others staying. Bad input (checkLog) ends nothing: it changes nothing.
// A lease row has no owner, only an end, and the leases a request takes
// end at its start + LeaseTTL; meta.EndLeases removes those that end no
// later than that. So it ends this client's own leases (its earlier rounds,
// its uploads), and leases of other clients taken before this request
// began; a lease taken since, by a client told "stored" meanwhile, ends
// later and stays.
//
// Why ending someone else's lease is safe. A lease is never what makes a
// commit correct: the commit's own check (live or leased, no tombstone,
// in its transaction, under the row locks) is. A client whose lease ended
// early gets, at worst, its digest answered Missing by its commit and
// uploads it again; and only if the blob is not live by then (this commit
// failed, or its version was deleted) — after a successful commit the blob
// is live, and the lease was redundant. The one party that relies on a
// lease without checking again is a large commit written in steps: its
// last step makes the staged entries a version unchecked. meta.EndLeases
// therefore keeps the lease of any blob that an entry of a running staged
// commit names, and decides that after locking the lease rows, which a
// step holds until its entries are committed; a step that runs after the
// lease ended checks the blob itself (live, or leased) and leases it anew.
// Ending is best effort: if it fails, the lease lasts its time. For the
// same reason its transaction is not synced to disk (a power cut may undo
// it, and the lease then lasts its time): it costs a commit no extra fsync.
//
// Damaged blobs (verify.go): the bytes a repair moved aside are kept under
// the blob store's quarantine/ prefix, which List does not see, so GC never
// deletes them (an operator does, after a look); the records of damaged
// blobs that no live or pending version needs are dropped at the end of a
// run (meta.PruneDamaged).
//
// Concurrent GCs (several server replicas) are safe: the mark of a blob
// succeeds once (the tombstone's primary key), and only the GC that marked
// a blob sweeps it, right after marking, with a deadline (sweepTimeout).
//
// Crash safety: a GC killed between mark and sweep leaves a tombstone. The
// blob stays "absent" — never wrongly present — and writers of that digest
// wait, then fail with core.ErrUnavailable (retryable). Every GC run begins
// by finishing the tombstones older than staleTombstone: it deletes the
// blob (absent is fine) and then the tombstone. Only old tombstones are
// finished by others: were a young one finished, a writer could store the
// blob again and the marker's own, late deletion remove that new copy. The
// marker's deletion gives up after sweepTimeout, far below staleTombstone,
// so by the time anyone else finishes a tombstone its marker is done with
// it. For the same reason writers never remove tombstones
// themselves. A stale tombstone therefore blocks writers of its digest at
// most until the next GC run.

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// DefaultLeaseTTL is the default of Options.LeaseTTL.
const DefaultLeaseTTL = time.Hour

// TombstoneWait bounds how long a write of a blob being collected waits for
// the collection to finish before failing with core.ErrUnavailable.
const TombstoneWait = 30 * time.Second

const (
	// sweepTimeout bounds the deletion of one marked blob by its marker.
	sweepTimeout = 2 * time.Minute
	// staleTombstone is the age from which any GC finishes a tombstone: its
	// marker died or gave up (sweepTimeout) long before.
	staleTombstone = 10 * time.Minute
	// gcParallelism bounds concurrent marks and deletions.
	gcParallelism = 8
)

// Maintainer is the optional ability of an API to collect garbage. Check for
// it with a type assertion. *Service has it; so does the HTTP client, which
// asks a server's admin endpoint.
type Maintainer interface {
	// GC frees the blobs no live or in-flight version needs (see the
	// protocol above). Safe for concurrent use, also by several processes
	// or server replicas at once. Over HTTP only site admins may run it
	// (core.ErrPermission otherwise).
	GC(ctx context.Context, o GCOptions) (GCReport, error)
}

// GCOptions tune one garbage collection.
type GCOptions struct {
	// DryRun counts what would be freed and changes nothing.
	DryRun bool `json:"dry_run"`
	// Grace spares blobs written less than Grace ago. 0 means the
	// service's LeaseTTL; a negative value means none (every blob is a
	// candidate — for tests; leases still protect uploads in flight).
	Grace time.Duration `json:"-"`
	// Now returns the current time; nil means the service's clock.
	Now func() time.Time `json:"-"`
}

// GCReport is what one garbage collection did. In JSON its durations are
// numbers of seconds, named with a _seconds suffix (MarshalJSON).
type GCReport struct {
	DryRun     bool          `json:"dry_run"`
	Scanned    int           `json:"scanned"`     // blobs listed in the store
	Live       int           `json:"live"`        // held by a live or pending version
	Freed      int           `json:"freed"`       // deleted (dry run: would be)
	FreedBytes int64         `json:"freed_bytes"` // their size
	Kept       int           `json:"kept"`        // not live, but leased, younger than the grace period, or being collected by another GC
	Finished   int           `json:"finished"`    // stale tombstones of earlier, interrupted collections finished
	Grace      time.Duration `json:"-"`           // the grace period applied (JSON: grace_seconds)
	Duration   time.Duration `json:"-"`           // how long the collection took (JSON: duration_seconds)
}

// gcReportJSON is GCReport as JSON: durations in seconds, so that no
// reader has to guess their unit.
type gcReportJSON struct {
	gcReportFields
	GraceSeconds    float64 `json:"grace_seconds"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// gcReportFields is GCReport without its methods, for gcReportJSON.
type gcReportFields GCReport

// MarshalJSON writes the report with its durations in seconds
// (grace_seconds, duration_seconds).
func (r GCReport) MarshalJSON() ([]byte, error) {
	return json.Marshal(gcReportJSON{gcReportFields(r), r.Grace.Seconds(), r.Duration.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *GCReport) UnmarshalJSON(b []byte) error {
	var j gcReportJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = GCReport(j.gcReportFields)
	r.Grace = time.Duration(j.GraceSeconds * float64(time.Second))
	r.Duration = time.Duration(j.DurationSeconds * float64(time.Second))
	return nil
}

// gcMetadata is what GC and leases need of the metadata store; *meta.Store
// has it (see internal/meta/gc.go).
type gcMetadata interface {
	LeaseBlobs(ctx context.Context, ds []core.Digest, until time.Time) (map[core.Digest]bool, error)
	BlobStates(ctx context.Context, ds []core.Digest, now time.Time) (map[core.Digest]meta.BlobState, error)
	MarkBlob(ctx context.Context, d core.Digest, now time.Time) (bool, error)
	Tombstones(ctx context.Context, before time.Time) ([]meta.Tombstone, error)
	DropTombstone(ctx context.Context, t meta.Tombstone) error
	PruneLeases(ctx context.Context, now time.Time) (int64, error)
}

// gcBlobs is what GC needs of the blob store; *blob.Bucket has it.
type gcBlobs interface {
	Delete(ctx context.Context, d core.Digest) error
	List(ctx context.Context, fn func(d core.Digest, size int64, modTime time.Time) error) error
}

// dueExpirer is the ability, added by the expiry (TTL) feature, to delete
// the versions whose time to live has passed. GC calls it first, so that
// the blobs of versions that just expired are freed in the same run.
type dueExpirer interface {
	ExpireDue(ctx context.Context) (int, error)
}

var _ Maintainer = (*Service)(nil)

// leaseBlobs leases ds for LeaseTTL and returns those that have a
// tombstone. Without a store that keeps leases it does nothing.
func (s *Service) leaseBlobs(ctx context.Context, ds []core.Digest) (map[core.Digest]bool, error) {
	return s.leaseBlobsUntil(ctx, ds, s.now().Add(s.leaseTTL))
}

// leaseBlobsUntil is leaseBlobs with the lease's end given.
func (s *Service) leaseBlobsUntil(ctx context.Context, ds []core.Digest, until time.Time) (map[core.Digest]bool, error) {
	gm, ok := s.meta.(gcMetadata)
	if !ok || len(ds) == 0 {
		return nil, nil
	}
	return gm.LeaseBlobs(ctx, ds, until)
}

// leaseEnder is the ability of a metadata store to end leases early;
// *meta.Store has it (meta.Store.EndLeases).
type leaseEnder interface {
	EndLeases(ctx context.Context, ds []core.Digest, until time.Time) error
}

// endLeaseTimeout bounds endLeases, which runs after its request's context
// may have ended.
const endLeaseTimeout = 10 * time.Second

// endLeases ends the leases of m's stored blobs that end no later than
// until, the end of the leases the ending commit took (see "Ending a
// lease" above). It is best effort: a commit is not undone, nor its error
// replaced, because a lease could not be ended — that lease then lasts
// its time. It runs even when ctx has ended (a client that went away).
func (s *Service) endLeases(ctx context.Context, m core.Manifest, until time.Time) {
	le, ok := s.meta.(leaseEnder)
	if !ok {
		return
	}
	ds := m.Blobs()
	if len(ds) == 0 {
		return
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endLeaseTimeout)
	defer cancel()
	if err := le.EndLeases(ectx, ds, until); err != nil {
		s.log.WarnContext(ctx, "could not end blob leases; they end on their own", "blobs", len(ds), "err", err)
	}
}

// PrepareUpload leases blob d for an upload about to happen and waits (up
// to TombstoneWait, or until ctx ends) while GC is deleting a stored copy,
// so that the upload cannot be deleted by that GC. A server calls it before
// handing out a presigned upload URL; PutBlob calls it itself.
// core.ErrUnavailable when the wait times out.
func (s *Service) PrepareUpload(ctx context.Context, d core.Digest) error {
	deadline := time.Now().Add(TombstoneWait)
	pause := 20 * time.Millisecond
	for {
		dead, err := s.leaseBlobs(ctx, []core.Digest{d})
		if err != nil || !dead[d] {
			return err
		}
		if time.Now().Add(pause).After(deadline) {
			return core.Errorf(core.ErrUnavailable, "blob %s is being garbage collected; try again", d)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// GC implements Maintainer.
func (s *Service) GC(ctx context.Context, o GCOptions) (GCReport, error) {
	start := time.Now()
	rep := GCReport{DryRun: o.DryRun}
	gm, ok := s.meta.(gcMetadata)
	gb, ok2 := s.blobs.(gcBlobs)
	if !ok || !ok2 {
		return rep, core.Errorf(core.ErrConflict, "this store cannot collect garbage")
	}
	now := s.now
	if o.Now != nil {
		now = o.Now
	}
	grace := o.Grace
	switch {
	case grace == 0:
		grace = s.leaseTTL
	case grace < 0:
		grace = 0
	}
	rep.Grace = grace

	// Finish what interrupted collections left.
	if !o.DryRun {
		stale, err := gm.Tombstones(ctx, now().Add(-staleTombstone))
		if err != nil {
			return rep, err
		}
		for _, t := range stale {
			if err := s.sweep(ctx, gm, gb, t); err != nil {
				return rep, err
			}
			rep.Finished++
		}
	}
	if e, ok := any(s).(dueExpirer); ok && !o.DryRun {
		if _, err := e.ExpireDue(ctx); err != nil {
			return rep, err
		}
	}
	if !o.DryRun {
		// Distributed artifacts nobody finishes, and interrupted large
		// commits, hold blobs too: let them go first.
		if _, err := s.AbandonStale(ctx); err != nil {
			return rep, err
		}
		if _, err := s.CleanStaged(ctx); err != nil {
			return rep, err
		}
	}

	type listed struct {
		d    core.Digest
		size int64
		mod  time.Time
	}
	var all []listed
	if err := gb.List(ctx, func(d core.Digest, size int64, mod time.Time) error {
		all = append(all, listed{d, size, mod})
		return nil
	}); err != nil {
		return rep, err
	}
	rep.Scanned = len(all)
	ds := make([]core.Digest, len(all))
	for i, b := range all {
		ds[i] = b.d
	}
	markAt := now()
	states, err := gm.BlobStates(ctx, ds, markAt)
	if err != nil {
		return rep, err
	}
	cutoff := markAt.Add(-grace)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(gcParallelism)
	for _, b := range all {
		mu.Lock()
		st, todo := states[b.d], false
		switch {
		case st == meta.BlobLive:
			rep.Live++
		case st == meta.BlobLeased || !b.mod.Before(cutoff):
			rep.Kept++
		case o.DryRun:
			rep.Freed++
			rep.FreedBytes += b.size
		default:
			todo = true
		}
		mu.Unlock()
		if !todo {
			continue
		}
		g.Go(func() error {
			marked, err := gm.MarkBlob(gctx, b.d, markAt)
			if err != nil {
				return err
			}
			if marked {
				err = s.sweep(gctx, gm, gb, meta.Tombstone{Digest: b.d, CreatedAt: time.UnixMicro(markAt.UnixMicro()).UTC()})
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				return err
			case marked:
				rep.Freed++
				rep.FreedBytes += b.size
			default:
				// Leased or committed since BlobStates looked, or
				// marked by another GC.
				rep.Kept++
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return rep, err
	}
	if !o.DryRun {
		if _, err := gm.PruneLeases(ctx, markAt); err != nil {
			return rep, err
		}
		// Records of damaged blobs no version needs any more: nothing
		// will ask for those blobs again (verify.go).
		if dm, ok := s.meta.(damageRecorder); ok {
			if _, err := dm.PruneDamaged(ctx); err != nil {
				return rep, err
			}
		}
	}
	rep.Duration = time.Since(start)
	s.log.InfoContext(ctx, "garbage collection", "dry_run", rep.DryRun, "scanned", rep.Scanned, "live", rep.Live,
		"freed", rep.Freed, "freed_bytes", rep.FreedBytes, "kept", rep.Kept, "finished", rep.Finished, "grace", rep.Grace, "duration", rep.Duration)
	return rep, nil
}

// sweep deletes the blob of tombstone t, then t.
func (s *Service) sweep(ctx context.Context, gm gcMetadata, gb gcBlobs, t meta.Tombstone) error {
	dctx, cancel := context.WithTimeout(ctx, sweepTimeout)
	err := gb.Delete(dctx, t.Digest)
	cancel()
	if err != nil {
		// The tombstone stays: the blob counts as absent until a later
		// GC finishes it.
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return core.Errorf(core.ErrUnavailable, "deleting blob %s: %w", t.Digest, err)
		}
		return err
	}
	return gm.DropTombstone(ctx, t)
}
