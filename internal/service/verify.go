package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// Verification and repair.
//
// Verify re-reads every blob a version needs and checks the metadata
// database (meta.CheckIntegrity). With Repair it also makes every damaged
// blob count as missing, so that the next upload of its content heals every
// version that uses it:
//
//   - a corrupt blob is moved aside (the blob store's Quarantine, which
//     keeps the bytes for forensics and never serves them): from then on
//     the blob store lacks it, so MissingBlobs, and the blob check of a
//     new version, ask for it;
//   - every corrupt or missing blob is recorded in the metadata database
//     (meta.RecordDamaged), because content logged again that dedups to a
//     committed version is not checked against the blob store: LogArtifact
//     asks, in one indexed query, whether that version holds a recorded
//     blob (damagedOf) and answers the ones still absent as missing.
//
// A verified Put or Ingest of the blob clears its record (repaired); so
// does finding it stored again where a record says it was absent (a
// presigned upload, which S3 verifies, bypasses the service). The move comes
// before the record, so that a record never outlives a good copy the move
// did not see: at worst a good copy that landed during the repair is moved
// aside too, and is asked for once more. Garbage collection drops the
// records of blobs no version needs (meta.PruneDamaged).

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Workers is how many blobs are read at once; 0 means GOMAXPROCS.
	Workers int `json:"workers,omitempty"`
	// Repair moves corrupt blobs aside and records every corrupt or
	// missing blob, so that they count as missing until their content is
	// uploaded again (see above).
	Repair bool `json:"repair,omitempty"`
	// Progress, when set, is called after each blob with the blobs and
	// bytes checked so far and the number of blobs to check. It is called
	// from several goroutines, one call at a time. In-process only.
	Progress func(checked, total int, bytes int64) `json:"-"`
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Checked int       `json:"checked"` // blobs read in full or found missing
	Bytes   int64     `json:"bytes"`   // bytes read
	Corrupt []Problem `json:"corrupt"` // blobs whose content does not hash to their digest, by digest
	Missing []Problem `json:"missing"` // blobs not in the blob store, by digest
	// Repair says whether the problems were repaired as far as Verify
	// can: corrupt blobs moved aside, all of them recorded as missing.
	Repair bool `json:"repair"`
	// Database is the integrity check of the metadata database; nil when
	// the metadata store cannot check itself.
	Database *DatabaseReport `json:"database,omitempty"`
	// BlobError, when set, says why the blobs could not be checked: a
	// damaged database may fail to list them.
	BlobError string `json:"blob_error,omitempty"`
}

// Damaged reports whether the report found any problem.
func (r VerifyReport) Damaged() bool {
	return len(r.Corrupt)+len(r.Missing) > 0 || r.BlobError != "" || (r.Database != nil && !r.Database.OK)
}

// DatabaseReport is the integrity check of the metadata database (see
// meta.CheckIntegrity).
type DatabaseReport struct {
	Database string   `json:"database"` // "sqlite" or "postgres"
	Checks   string   `json:"checks"`   // what was checked
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"` // one line each; empty when OK
	// DurationSeconds is how long the check took, in seconds.
	DurationSeconds float64 `json:"duration_seconds"`
}

// Problem is a blob that is corrupt or missing.
type Problem struct {
	Digest core.Digest `json:"digest"`
	Error  string      `json:"error"`
	// Versions are the full names of the committed versions whose manifests
	// reference the blob, registry links to them included, sorted.
	Versions []string `json:"versions"`
	// Recorded says that the metadata records the blob as damaged (by this
	// repair or an earlier one): it counts as missing until its content is
	// uploaded again.
	Recorded bool `json:"recorded"`
	// Quarantine is the blob store key under which the corrupt bytes were
	// kept, "" when none were.
	Quarantine string `json:"quarantine,omitempty"`
}

// Verifier is the optional ability of an API to verify the blob store (the
// service in-process; a server for its administrators).
type Verifier interface {
	Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error)
}

var _ Verifier = (*Service)(nil)

// damageRecorder is what repair needs of the metadata store; *meta.Store
// has it (internal/meta/damaged.go).
type damageRecorder interface {
	RecordDamaged(ctx context.Context, bs []meta.DamagedBlob) error
	DamagedBlobs(ctx context.Context) ([]meta.DamagedBlob, error)
	DamagedIn(ctx context.Context, versionID int64) ([]core.Digest, error)
	ClearDamaged(ctx context.Context, ds []core.Digest) (int64, error)
	PruneDamaged(ctx context.Context) (int64, error)
}

// integrityChecker is the metadata store's ability to check itself;
// *meta.Store has it (internal/meta/integrity.go).
type integrityChecker interface {
	CheckIntegrity(ctx context.Context) (meta.IntegrityReport, error)
}

// quarantiner is the blob store's ability to move a damaged blob aside;
// *blob.Bucket has it.
type quarantiner interface {
	Quarantine(ctx context.Context, d core.Digest) (string, error)
}

// Verify checks the metadata database, then reads every blob that a
// committed version or an open pending artifact references, through the
// blob store's verifying reader, and reports the ones whose content does
// not match their digest (or cannot be read: the error says why) and the
// ones that are gone. It streams each blob, opts.Workers at a time. Without
// opts.Repair it changes nothing; with it, it repairs as described above.
// When the database is damaged and cannot list the blobs, the report says
// so (BlobError) rather than failing. An unreachable store or a cancelled
// ctx stops it with an error.
func (s *Service) Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rep := VerifyReport{Corrupt: []Problem{}, Missing: []Problem{}, Repair: opts.Repair}
	if ic, ok := s.meta.(integrityChecker); ok {
		ir, err := ic.CheckIntegrity(ctx)
		if err != nil {
			return VerifyReport{}, err
		}
		rep.Database = &DatabaseReport{Database: ir.Database, Checks: ir.Checks, OK: ir.OK(), Problems: ir.Problems, DurationSeconds: ir.Duration.Seconds()}
		if !ir.OK() {
			s.log.ErrorContext(ctx, "metadata database is damaged", "problems", ir.Problems)
		}
	}
	uses, err := s.meta.BlobUses(ctx)
	if err != nil {
		if rep.Database != nil && !rep.Database.OK && errors.Is(err, core.ErrCorrupt) {
			rep.BlobError = err.Error()
			return rep, nil
		}
		return VerifyReport{}, err
	}
	corrupt := make([]error, len(uses))
	missing := make([]bool, len(uses))
	var (
		bytes   atomic.Int64
		checked atomic.Int64
		mu      sync.Mutex // serializes Progress calls
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, u := range uses {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			n, err := s.readBlob(gctx, u.Digest)
			bytes.Add(n)
			switch {
			case err == nil:
			case errors.Is(err, core.ErrNotFound):
				missing[i] = true
			case gctx.Err() != nil, errors.Is(err, core.ErrUnavailable):
				return err
			default:
				corrupt[i] = err
			}
			c := checked.Add(1)
			if opts.Progress != nil {
				mu.Lock()
				opts.Progress(int(c), len(uses), bytes.Load())
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return VerifyReport{}, err
	}
	if err := ctx.Err(); err != nil {
		return VerifyReport{}, err
	}
	rep.Checked, rep.Bytes = int(checked.Load()), bytes.Load()
	dm, _ := s.meta.(damageRecorder)
	records := map[core.Digest]meta.DamagedBlob{}
	if dm != nil {
		recs, err := dm.DamagedBlobs(ctx)
		if err != nil {
			return VerifyReport{}, err
		}
		for _, r := range recs {
			records[r.Digest] = r
		}
	}
	var sound []core.Digest // recorded, but stored again meanwhile
	for i, u := range uses {
		p := Problem{Digest: u.Digest, Versions: u.Versions}
		if r, ok := records[u.Digest]; ok {
			if !missing[i] && corrupt[i] == nil {
				sound = append(sound, u.Digest)
			}
			p.Recorded, p.Quarantine = true, r.Quarantine
		}
		switch {
		case missing[i] && p.Quarantine != "":
			p.Error = fmt.Sprintf("missing from the blob store: found corrupt on %s and moved to %s", records[u.Digest].FoundAt.Format(time.DateOnly), p.Quarantine)
			rep.Missing = append(rep.Missing, p)
		case missing[i]:
			p.Error = "missing from the blob store"
			rep.Missing = append(rep.Missing, p)
		case corrupt[i] != nil:
			p.Error = corrupt[i].Error()
			p.Quarantine = "" // an earlier copy's; this one is another
			rep.Corrupt = append(rep.Corrupt, p)
		}
	}
	if opts.Repair {
		if err := s.repair(ctx, dm, &rep, sound); err != nil {
			return VerifyReport{}, err
		}
	}
	if len(rep.Corrupt)+len(rep.Missing) > 0 {
		s.log.WarnContext(ctx, "blob store verification found problems", "corrupt", len(rep.Corrupt), "missing", len(rep.Missing), "repair", opts.Repair)
	}
	return rep, nil
}

// repair moves the corrupt blobs of rep aside and records them and the
// missing ones (see above), marking the problems it recorded, and clears
// the records of the sound blobs, which were stored again since.
func (s *Service) repair(ctx context.Context, dm damageRecorder, rep *VerifyReport, sound []core.Digest) error {
	if dm != nil {
		if _, err := dm.ClearDamaged(ctx, sound); err != nil {
			return err
		}
	}
	if len(rep.Corrupt)+len(rep.Missing) == 0 {
		return nil
	}
	q, ok := s.blobs.(quarantiner)
	if dm == nil || !ok {
		return core.Errorf(core.ErrConflict, "this store cannot repair blobs: it keeps no record of damage or cannot move blobs aside")
	}
	now := s.now()
	var recs []meta.DamagedBlob
	for i := range rep.Corrupt {
		p := &rep.Corrupt[i]
		key, err := q.Quarantine(ctx, p.Digest)
		switch {
		case errors.Is(err, core.ErrNotFound):
			// Gone meanwhile (deleted, or moved by a concurrent repair):
			// missing is what the record says.
			recs = append(recs, meta.DamagedBlob{Digest: p.Digest, Problem: meta.DamageMissing, Detail: p.Error + "; gone before it could be moved aside", FoundAt: now})
		case err != nil:
			// Not recorded: a record must not stand for a copy still in
			// place (a later look that finds it stored would clear it).
			p.Error += "; could not be moved aside: " + err.Error()
			continue
		default:
			p.Quarantine = key
			recs = append(recs, meta.DamagedBlob{Digest: p.Digest, Problem: meta.DamageCorrupt, Detail: p.Error, Quarantine: key, FoundAt: now})
		}
		p.Recorded = true
	}
	for i := range rep.Missing {
		p := &rep.Missing[i]
		if !p.Recorded {
			recs = append(recs, meta.DamagedBlob{Digest: p.Digest, Problem: meta.DamageMissing, Detail: p.Error, FoundAt: now})
			p.Recorded = true
		}
	}
	if err := dm.RecordDamaged(ctx, recs); err != nil {
		return err
	}
	s.log.WarnContext(ctx, "damaged blobs recorded as missing: the next upload of their content repairs them", "count", len(recs))
	return nil
}

// damagedOf returns the blobs of committed version id that a repair
// recorded as damaged and that the blob store still lacks, so that content
// which dedups to that version has them uploaded again. One indexed query
// when nothing is recorded, which is the rule; the few recorded blobs are
// looked up in the store, and the records of those stored again meanwhile
// (through a verifying path that bypasses the service, such as a
// presigned upload) are cleared.
func (s *Service) damagedOf(ctx context.Context, id int64) ([]core.Digest, error) {
	dm, ok := s.meta.(damageRecorder)
	if !ok {
		return nil, nil
	}
	ds, err := dm.DamagedIn(ctx, id)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	var missing, back []core.Digest
	for _, d := range ds {
		_, err := s.blobs.Stat(ctx, d)
		switch {
		case errors.Is(err, core.ErrNotFound):
			missing = append(missing, d)
		case err != nil:
			return nil, err
		default:
			back = append(back, d)
		}
	}
	if _, err := dm.ClearDamaged(ctx, back); err != nil {
		return nil, err
	}
	return missing, nil
}

// repaired clears the record of blob d, which was just stored and verified.
func (s *Service) repaired(ctx context.Context, d core.Digest) error {
	dm, ok := s.meta.(damageRecorder)
	if !ok {
		return nil
	}
	n, err := dm.ClearDamaged(ctx, []core.Digest{d})
	if n > 0 {
		s.log.InfoContext(ctx, "damaged blob repaired", "digest", d)
	}
	return err
}

// readBlob reads blob d to the end through the verifying reader and returns
// the bytes read and the reader's verdict.
func (s *Service) readBlob(ctx context.Context, d core.Digest) (int64, error) {
	rc, err := s.blobs.Get(ctx, d)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
