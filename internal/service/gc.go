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
// A client told "stored" holds a lease for LeaseTTL: if it commits later
// than that and GC collected the blob meanwhile, the commit reports it
// missing and the client uploads it again (the SDK does, a few rounds).
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

// GCReport is what one garbage collection did.
type GCReport struct {
	DryRun     bool          `json:"dry_run"`
	Scanned    int           `json:"scanned"`     // blobs listed in the store
	Live       int           `json:"live"`        // held by a live or pending version
	Freed      int           `json:"freed"`       // deleted (dry run: would be)
	FreedBytes int64         `json:"freed_bytes"` // their size
	Kept       int           `json:"kept"`        // not live, but leased, younger than the grace period, or being collected by another GC
	Finished   int           `json:"finished"`    // stale tombstones of earlier, interrupted collections finished
	Duration   time.Duration `json:"duration"`    // nanoseconds
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
	gm, ok := s.meta.(gcMetadata)
	if !ok || len(ds) == 0 {
		return nil, nil
	}
	return gm.LeaseBlobs(ctx, ds, s.now().Add(s.leaseTTL))
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
		"freed", rep.Freed, "freed_bytes", rep.FreedBytes, "kept", rep.Kept, "finished", rep.Finished, "duration", rep.Duration)
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
