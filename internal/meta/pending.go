package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Distributed artifacts. Several runs — processes, machines, server
// replicas — add entries to one pending artifact (UpsertPending), keyed by
// its collection and a distributed id; one run then finishes it
// (FinishPending), which commits the entries as a version through the same
// path as CommitVersion. Until then nothing about it is visible as a
// version: no index is taken and latest does not move.
//
// Concurrency: every write locks the pending artifact's row first (on
// SQLite the write lock of the database is held anyway), so upserts and a
// finish of one pending artifact are serialized. A finish then locks the
// collection, as a commit does; no transaction takes the two locks in the
// other order.

// Upsert is a batch of entries to add to a pending artifact: see
// (*Store).UpsertPending.
type Upsert struct {
	Entity, Project, Name, Type string
	DistributedID               string
	Manifest                    core.Manifest // the entries to add
	RunID                       string        // the adding run; required
	Now                         time.Time
	// RequireBlobs checks the entries' blobs as Commit.RequireBlobs does
	// (once recorded, pending entries keep their blobs alive): a
	// *MissingBlobsError when some are neither live nor leased, or are
	// being collected.
	RequireBlobs bool
}

// Finish finishes a pending artifact: see (*Store).FinishPending.
type Finish struct {
	Upsert                      // the pending artifact and the finishing run's own entries (maybe none)
	Description string          //
	Metadata    json.RawMessage // JSON object; nil means {}
	Aliases     []string        // custom aliases, as for Commit
}

// PendingState is the state of a pending artifact.
type PendingState string

// Pending artifact states.
const (
	PendingOpen     PendingState = "open"
	PendingFinished PendingState = "finished"
)

// Pending is a pending artifact as stored.
type Pending struct {
	Entity, Project, Name, Type string
	DistributedID               string
	State                       PendingState
	Manifest                    core.Manifest // the entries added so far
	Runs                        []string      // ids of the runs that added entries, sorted
	VersionID                   int64         // the version it was finished as; 0 while open
	CreatedAt                   time.Time
}

// pendingRow is a pending artifact row, locked for the transaction.
type pendingRow struct {
	id        int64
	typ       string
	state     PendingState
	versionID sql.NullInt64
}

// UpsertPending adds u.Manifest's entries to the pending artifact of
// u.Entity/u.Project/u.Name keyed by u.DistributedID, creating it (and the
// entity and project) if missing, in one transaction, and records u.RunID
// as one of its producers. A path already pending with the same digest is
// left as it is (a retried upsert changes nothing); with another digest the
// upsert fails with core.ErrConflict naming the path and nothing of it is
// recorded. core.ErrConflict too when the pending artifact was finished
// already; core.ErrInvalid when u.Type differs from the pending artifact's
// or the collection's type; core.ErrNotFound when u.RunID names no run.
// Safe for concurrent use by any number of writers to one pending artifact.
func (s *Store) UpsertPending(ctx context.Context, u Upsert) error {
	if err := checkUpsert(u); err != nil {
		return err
	}
	return s.write(ctx, func(q q) error {
		p, err := lockPending(ctx, q, u)
		if err != nil {
			return err
		}
		return addPending(ctx, q, p, u)
	})
}

// FinishPending commits the pending artifact f names as a version, after
// adding f's own entries to it by the rules of UpsertPending, in one
// transaction: the version is created (or, when a committed version of the
// collection has the same content, reused) exactly as CommitVersion does it
// for a run f.RunID, which becomes its creator; every run that upserted
// into the pending artifact gets an output edge to it; and the pending
// artifact is marked finished with that version. A pending artifact nobody
// upserted to is created on the way, so finishing one with entries of its
// own is an ordinary log. core.ErrConflict, naming the version, when the
// pending artifact was finished already; core.ErrInvalid when it would have
// no entry at all or for a type mismatch; core.ErrNotFound when f.RunID
// names no run. Nothing changes on error.
func (s *Store) FinishPending(ctx context.Context, f Finish) (v core.Version, created bool, err error) {
	if err := checkUpsert(f.Upsert); err != nil {
		return v, false, err
	}
	meta, err := jsonObject("metadata", f.Metadata)
	if err != nil {
		return v, false, err
	}
	err = s.write(ctx, func(q q) error {
		p, err := lockPending(ctx, q, f.Upsert)
		if err != nil {
			return err
		}
		if err := addPending(ctx, q, p, f.Upsert); err != nil {
			return err
		}
		es, err := queryPendingEntries(ctx, q, p.id)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return core.Errorf(core.ErrInvalid, "distributed artifact %s (%s) has no entries to finish", f.Name, f.DistributedID)
		}
		m, err := core.NewManifest(es)
		if err != nil {
			return core.Errorf(core.ErrCorrupt, "pending entries of %s (%s): %w", f.Name, f.DistributedID, err)
		}
		c := Commit{
			Entity: f.Entity, Project: f.Project, Name: f.Name, Type: f.Type, Manifest: m,
			Description: f.Description, Metadata: f.Metadata, Aliases: f.Aliases, RunID: f.RunID, Now: f.Now,
		}
		if v, created, err = commitTx(ctx, q, c, m.Digest().String(), meta); err != nil {
			return err
		}
		runs, err := pendingRuns(ctx, q, p.id)
		if err != nil {
			return err
		}
		for _, id := range runs {
			node, err := runNode(ctx, q, id)
			if err != nil {
				return err
			}
			if err := addEdge(ctx, q, node, v.ID, "output", f.Now); err != nil {
				return err
			}
		}
		_, err = q.exec(ctx, `UPDATE pending_artifacts SET state = 'finished', finished_at = ?, version_id = ? WHERE id = ?`,
			micros(f.Now), v.ID, p.id)
		return err
	})
	if err != nil {
		return core.Version{}, false, err
	}
	return v, created, nil
}

// GetPending returns the pending artifact of entity/project/name keyed by
// distributedID, open or finished, with its entries and producing runs;
// core.ErrNotFound if nobody upserted to it.
func (s *Store) GetPending(ctx context.Context, entity, project, name, distributedID string) (Pending, error) {
	p := Pending{Entity: entity, Project: project, Name: name, DistributedID: distributedID}
	err := s.read(ctx, func(q q) error {
		var (
			id, created int64
			state       string
			version     sql.NullInt64
		)
		err := q.queryRow(ctx, `
			SELECT pa.id, pa.type, pa.state, pa.created_at, pa.version_id FROM pending_artifacts pa
			JOIN projects pr ON pr.id = pa.project_id JOIN entities en ON en.id = pr.entity_id
			WHERE en.name = ? AND pr.name = ? AND pa.name = ? AND pa.distributed_id = ?`,
			entity, project, name, distributedID).Scan(&id, &p.Type, &state, &created, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "distributed artifact %s/%s/%s (%s) not found", entity, project, name, distributedID)
		}
		if err != nil {
			return err
		}
		p.State, p.CreatedAt, p.VersionID = PendingState(state), fromMicros(created), version.Int64
		es, err := queryPendingEntries(ctx, q, id)
		if err != nil {
			return err
		}
		if p.Manifest, err = core.NewManifest(es); err != nil {
			return core.Errorf(core.ErrCorrupt, "pending entries of %s (%s): %w", name, distributedID, err)
		}
		p.Runs, err = pendingRuns(ctx, q, id)
		return err
	})
	return p, err
}

// checkUpsert validates what the store relies on; the service checks the
// rest (names, aliases) before it gets here.
func checkUpsert(u Upsert) error {
	if err := core.ValidateName(u.Name); err != nil {
		return err
	}
	if u.Type == "" {
		return core.Errorf(core.ErrInvalid, "artifact %s has no type", u.Name)
	}
	if u.DistributedID == "" {
		return core.Errorf(core.ErrInvalid, "distributed artifact %s has no distributed id", u.Name)
	}
	if u.RunID == "" {
		return core.Errorf(core.ErrInvalid, "distributed artifact %s: entries are added by a run", u.Name)
	}
	return nil
}

// lockPending returns u's pending artifact, created if missing and locked
// for the rest of the transaction, after checking that it is open and of
// u's type and that the collection, if it exists, is of that type too.
func lockPending(ctx context.Context, q q, u Upsert) (pendingRow, error) {
	pid, err := ensureProject(ctx, q, u.Entity, u.Project, u.Now)
	if err != nil {
		return pendingRow{}, err
	}
	var colType string
	err = q.queryRow(ctx, `SELECT type FROM collections WHERE project_id = ? AND name = ?`, pid, u.Name).Scan(&colType)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return pendingRow{}, err
	case colType != u.Type:
		return pendingRow{}, core.Errorf(core.ErrInvalid, "artifact %s is of type %s, not %s", u.Name, colType, u.Type)
	}
	if _, err := q.exec(ctx, `
		INSERT INTO pending_artifacts (project_id, name, type, distributed_id, state, created_at)
		VALUES (?, ?, ?, ?, 'open', ?)
		ON CONFLICT (project_id, name, distributed_id) DO NOTHING`,
		pid, u.Name, u.Type, u.DistributedID, micros(u.Now)); err != nil {
		return pendingRow{}, err
	}
	var p pendingRow
	var state string
	if err := q.queryRow(ctx, `
		SELECT id, type, state, version_id FROM pending_artifacts
		WHERE project_id = ? AND name = ? AND distributed_id = ?`+q.d.forUpdate,
		pid, u.Name, u.DistributedID).Scan(&p.id, &p.typ, &state, &p.versionID); err != nil {
		return pendingRow{}, err
	}
	p.state = PendingState(state)
	if p.state == PendingFinished {
		label := "a version"
		if p.versionID.Valid {
			if v, err := getVersion(ctx, q, p.versionID.Int64); err == nil {
				label = v.FullName()
			} else if !errors.Is(err, core.ErrNotFound) {
				return pendingRow{}, err
			}
		}
		return pendingRow{}, core.Errorf(core.ErrConflict, "distributed artifact %s (%s) was finished as %s: start another distributed id to add more",
			u.Name, u.DistributedID, label)
	}
	if p.typ != u.Type {
		return pendingRow{}, core.Errorf(core.ErrInvalid, "distributed artifact %s (%s) is of type %s, not %s", u.Name, u.DistributedID, p.typ, u.Type)
	}
	return p, nil
}

// addPending adds u's entries to the locked pending artifact p and records
// u.RunID as a producer. An entry whose path is pending already must have
// the same digest.
func addPending(ctx context.Context, q q, p pendingRow, u Upsert) error {
	if _, err := runNode(ctx, q, u.RunID); err != nil {
		return err
	}
	if u.RequireBlobs {
		if err := checkBlobs(ctx, q, u.Manifest, u.Now); err != nil {
			return err
		}
	}
	if err := checkPendingTotal(ctx, q, p.id, u.Manifest); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `INSERT INTO pending_runs (pending_id, run_id) VALUES (?, ?) ON CONFLICT (pending_id, run_id) DO NOTHING`,
		p.id, u.RunID); err != nil {
		return err
	}
	entries := u.Manifest.Entries()
	for len(entries) > 0 {
		batch := entries[:min(len(entries), entryBatch)]
		entries = entries[len(batch):]
		args := make([]any, 0, 7*len(batch))
		for _, e := range batch {
			var extra any
			if len(e.Extra) > 0 {
				b, err := json.Marshal(e.Extra)
				if err != nil {
					return err
				}
				extra = string(b)
			}
			args = append(args, p.id, e.Path, e.Digest.String(), e.Size, e.Ref, extra, u.RunID)
		}
		// RETURNING lists the rows inserted, so the paths that were
		// pending already are the rest of the batch: only those need a
		// look at what is stored.
		rows, err := q.query(ctx, `INSERT INTO pending_entries (pending_id, path, digest, size, ref, extra, run_id) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(batch)), ", ")+`
			ON CONFLICT (pending_id, path) DO NOTHING RETURNING path`, args...)
		if err != nil {
			return err
		}
		inserted := make(map[string]bool, len(batch))
		for rows.Next() {
			var path string
			if err := rows.Scan(&path); err != nil {
				rows.Close()
				return err
			}
			inserted[path] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range batch {
			if inserted[e.Path] {
				continue
			}
			var digest string
			if err := q.queryRow(ctx, `SELECT digest FROM pending_entries WHERE pending_id = ? AND path = ?`,
				p.id, e.Path).Scan(&digest); err != nil {
				return err
			}
			if digest != e.Digest.String() {
				return core.Errorf(core.ErrConflict, "distributed artifact %s (%s): %q is pending already with other content (%s, not %s)",
					u.Name, u.DistributedID, e.Path, digest, e.Digest)
			}
		}
	}
	return nil
}

// queryPendingEntries returns the entries of pending artifact id.
func queryPendingEntries(ctx context.Context, q q, id int64) ([]core.Entry, error) {
	rows, err := q.query(ctx, `SELECT path, digest, size, ref, extra FROM pending_entries WHERE pending_id = ? ORDER BY path`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []core.Entry
	for rows.Next() {
		var (
			e      core.Entry
			digest string
			extra  sql.NullString
		)
		if err := rows.Scan(&e.Path, &digest, &e.Size, &e.Ref, &extra); err != nil {
			return nil, err
		}
		if e.Digest, err = core.ParseDigest(digest); err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "pending entry %q: %w", e.Path, err)
		}
		if extra.Valid {
			if err := json.Unmarshal([]byte(extra.String), &e.Extra); err != nil {
				return nil, core.Errorf(core.ErrCorrupt, "pending entry %q: extra: %w", e.Path, err)
			}
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// pendingRuns returns the ids of the runs that upserted to pending artifact
// id, sorted.
func pendingRuns(ctx context.Context, q q, id int64) ([]string, error) {
	rows, err := q.query(ctx, `SELECT run_id FROM pending_runs WHERE pending_id = ? ORDER BY run_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	runs := []string{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}
