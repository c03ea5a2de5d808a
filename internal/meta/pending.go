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
	// AllowEmpty accepts finishing a pending artifact with no entries at
	// all (upserted or the finisher's own) as an empty version.
	AllowEmpty bool
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
	Manifest                    core.Manifest // the entries added so far; empty in listings
	FileCount                   int           // how many entries
	Size                        int64         // the sum of their sizes
	Runs                        []string      // ids of the runs that added entries, sorted
	VersionID                   int64         // the version it was finished as; 0 while open
	CreatedAt                   time.Time
	UpdatedAt                   time.Time // the last upsert (or its creation)
}

// pendingRow is a pending artifact row, locked for the transaction.
type pendingRow struct {
	id        int64
	typ       string
	state     PendingState
	versionID sql.NullInt64
	revision  int64 // counts the upserts
}

// UpsertPending adds u.Manifest's entries to the pending artifact of
// u.Entity/u.Project/u.Name keyed by u.DistributedID, creating it (and the
// entity and project) if missing, in one transaction, and records u.RunID
// as one of its producers. A path already pending with the same digest is
// left as it is (a retried upsert changes nothing); with another digest, or
// when a new entry would make a path both a file and a directory with a
// pending one ("x" and "x/y"), the upsert fails with core.ErrConflict
// naming both paths and nothing of it is recorded. It marks the pending
// artifact updated at u.Now (see AbandonStalePending). core.ErrConflict too
// when the pending artifact was finished already; core.ErrInvalid when u.Type differs from the pending artifact's
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
// no entry at all (unless f.AllowEmpty) or for a type mismatch;
// core.ErrNotFound when f.RunID names no run. Nothing changes on error. A
// pending artifact of more than 20,000 entries is finished in steps
// (finishStaged), so that the write lock is never held for long.
func (s *Store) FinishPending(ctx context.Context, f Finish) (v core.Version, created bool, err error) {
	if err := checkUpsert(f.Upsert); err != nil {
		return v, false, err
	}
	meta, err := jsonObject("metadata", f.Metadata)
	if err != nil {
		return v, false, err
	}
	v, created, staged, err := s.finishStaged(ctx, f, meta)
	if staged || err != nil {
		return v, created, err
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
		if len(es) == 0 && !f.AllowEmpty {
			return core.Errorf(core.ErrInvalid, "distributed artifact %s (%s) has no files or references: upsert some, or allow an empty version with --allow-empty",
				f.Name, f.DistributedID)
		}
		m, err := core.NewManifest(es)
		if err != nil {
			return core.Errorf(core.ErrCorrupt, "pending entries of %s (%s): %w", f.Name, f.DistributedID, err)
		}
		if v, created, err = commitTx(ctx, q, finishCommit(f, m), m.Digest().String(), meta, 0); err != nil {
			return err
		}
		return markFinished(ctx, q, p.id, v.ID, f.Now)
	})
	if err != nil {
		return core.Version{}, false, err
	}
	return v, created, nil
}

// finishCommit is the commit that finishing f with manifest m makes.
func finishCommit(f Finish, m core.Manifest) Commit {
	return Commit{
		Entity: f.Entity, Project: f.Project, Name: f.Name, Type: f.Type, Manifest: m,
		Description: f.Description, Metadata: f.Metadata, Aliases: f.Aliases, RunID: f.RunID, Now: f.Now,
	}
}

// markFinished gives every run that upserted into pending artifact id an
// output edge to version vid, and marks the pending artifact finished as
// vid.
func markFinished(ctx context.Context, q q, id, vid int64, now time.Time) error {
	runs, err := pendingRuns(ctx, q, id)
	if err != nil {
		return err
	}
	for _, r := range runs {
		node, err := runNode(ctx, q, r)
		if err != nil {
			return err
		}
		if err := addEdge(ctx, q, node, vid, "output", now); err != nil {
			return err
		}
	}
	_, err = q.exec(ctx, `UPDATE pending_artifacts SET state = 'finished', finished_at = ?, version_id = ? WHERE id = ?`,
		micros(now), vid, id)
	return err
}

// beforeFinishTx, when set (by tests), runs between the steps of a staged
// finish and its last transaction.
var beforeFinishTx func()

// finishStaged finishes a pending artifact of more than stageThreshold
// entries (with f's own) in steps, as commitStaged commits a large
// manifest: the entries are written, stageChunk at a time, under a staged
// node id, then one short transaction adds f's own entries to the pending
// artifact by the rules of UpsertPending, creates the version from the
// staged entries and marks the artifact finished. Its blobs need no lease:
// pending entries keep theirs alive until the artifact is finished, in the
// transaction that makes the version hold them; f's own are checked in that
// transaction as an upsert checks them. staged is false, and nothing was
// done, when the artifact is small, or when it is anything but open and of
// f's type, or f's entries conflict with it, or an upsert came in while the
// entries were written: the caller then finishes it in one transaction,
// which refuses what must be refused.
func (s *Store) finishStaged(ctx context.Context, f Finish, meta string) (v core.Version, created, staged bool, err error) {
	var (
		id, rev int64
		state   string
		typ     string
		es      []core.Entry
	)
	small := errors.New("small")
	err = s.read(ctx, func(q q) error {
		err := q.queryRow(ctx, `SELECT pa.id, pa.state, pa.type, pa.revision FROM pending_artifacts pa
			JOIN projects pr ON pr.id = pa.project_id JOIN entities en ON en.id = pr.entity_id
			WHERE en.name = ? AND pr.name = ? AND pa.name = ? AND pa.distributed_id = ?`,
			f.Entity, f.Project, f.Name, f.DistributedID).Scan(&id, &state, &typ, &rev)
		if errors.Is(err, sql.ErrNoRows) {
			return small
		}
		if err != nil {
			return err
		}
		var n int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM pending_entries WHERE pending_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n+f.Manifest.Len() <= stageThreshold || state != string(PendingOpen) || typ != f.Type {
			return small
		}
		es, err = queryPendingEntries(ctx, q, id)
		return err
	})
	if errors.Is(err, small) {
		return v, false, false, nil
	}
	if err != nil {
		return v, false, false, err
	}
	// f's own entries on top, as addPending will add them: the same
	// content again is nothing new; anything that addPending would refuse
	// is left for it to refuse, with its words.
	have := make(map[string]core.Digest, len(es))
	for _, e := range es {
		have[e.Path] = e.Digest
	}
	for _, e := range f.Manifest.Entries() {
		switch d, ok := have[e.Path]; {
		case !ok:
			es = append(es, e)
		case d != e.Digest:
			return v, false, false, nil
		}
	}
	m, err := core.NewManifest(es)
	if err != nil {
		return v, false, false, nil
	}
	c := finishCommit(f, m)
	sid, _, err := s.stage(ctx, c) // RequireBlobs is false: no blob is missing
	defer func() {
		if created && err == nil {
			return // the version took the entries
		}
		if derr := s.dropStaged(context.WithoutCancel(ctx), sid); derr != nil && err == nil {
			err = derr
		}
	}()
	if err != nil {
		return v, false, true, err
	}
	if beforeFinishTx != nil {
		beforeFinishTx()
	}
	changed := errors.New("changed")
	err = s.write(ctx, func(q q) (err error) {
		p, err := lockPending(ctx, q, f.Upsert)
		if err != nil {
			return err
		}
		if p.id != id || p.revision != rev {
			return changed // upserted (or abandoned and begun again) meanwhile
		}
		if err := addPending(ctx, q, p, f.Upsert); err != nil {
			return err
		}
		if v, created, err = commitTx(ctx, q, c, m.Digest().String(), meta, sid); err != nil {
			return err
		}
		return markFinished(ctx, q, p.id, v.ID, f.Now)
	})
	if errors.Is(err, changed) {
		return core.Version{}, false, false, nil
	}
	if err != nil {
		return core.Version{}, false, true, err
	}
	return v, created, true, nil
}

// GetPending returns the pending artifact of entity/project/name keyed by
// distributedID, open or finished, with its entries and producing runs;
// core.ErrNotFound if nobody upserted to it.
func (s *Store) GetPending(ctx context.Context, entity, project, name, distributedID string) (Pending, error) {
	p := Pending{Entity: entity, Project: project, Name: name, DistributedID: distributedID}
	err := s.read(ctx, func(q q) error {
		var (
			id, created, updated int64
			state                string
			version              sql.NullInt64
		)
		err := q.queryRow(ctx, `
			SELECT pa.id, pa.type, pa.state, pa.created_at, pa.updated_at, pa.version_id FROM pending_artifacts pa
			JOIN projects pr ON pr.id = pa.project_id JOIN entities en ON en.id = pr.entity_id
			WHERE en.name = ? AND pr.name = ? AND pa.name = ? AND pa.distributed_id = ?`,
			entity, project, name, distributedID).Scan(&id, &p.Type, &state, &created, &updated, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "distributed artifact %s/%s/%s (%s) not found", entity, project, name, distributedID)
		}
		if err != nil {
			return err
		}
		p.State, p.CreatedAt, p.UpdatedAt, p.VersionID = PendingState(state), fromMicros(created), fromMicros(updated), version.Int64
		es, err := queryPendingEntries(ctx, q, id)
		if err != nil {
			return err
		}
		if p.Manifest, err = core.NewManifest(es); err != nil {
			return core.Errorf(core.ErrCorrupt, "pending entries of %s (%s): %w", name, distributedID, err)
		}
		p.FileCount, p.Size = p.Manifest.Len(), p.Manifest.Size()
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
	var p pendingRow
	var state string
	// A concurrent abandon may delete the row between the two statements
	// (DO NOTHING locks nothing): then create it again.
	for attempt := 0; ; attempt++ {
		if _, err := q.exec(ctx, `
			INSERT INTO pending_artifacts (project_id, name, type, distributed_id, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'open', ?, ?)
			ON CONFLICT (project_id, name, distributed_id) DO NOTHING`,
			pid, u.Name, u.Type, u.DistributedID, micros(u.Now), micros(u.Now)); err != nil {
			return pendingRow{}, err
		}
		err := q.queryRow(ctx, `
			SELECT id, type, state, version_id, revision FROM pending_artifacts
			WHERE project_id = ? AND name = ? AND distributed_id = ?`+q.d.forUpdate,
			pid, u.Name, u.DistributedID).Scan(&p.id, &p.typ, &state, &p.versionID, &p.revision)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) || attempt == lockAttempts {
			return pendingRow{}, err
		}
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
	if _, err := q.exec(ctx, `UPDATE pending_artifacts SET updated_at = ?, revision = revision + 1 WHERE id = ?`, micros(u.Now), p.id); err != nil {
		return err
	}
	entries := u.Manifest.Entries()
	for len(entries) > 0 {
		batch := entries[:min(len(entries), entryBatch)]
		entries = entries[len(batch):]
		// The entries of one manifest never make a path both a file and a
		// directory (core.NewManifest), so checking each batch against
		// what is pending, the earlier batches included, is enough.
		dirs, err := checkShapes(ctx, q, p.id, u, batch)
		if err != nil {
			return err
		}
		if err := insertDirs(ctx, q, p.id, dirs); err != nil {
			return err
		}
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

// pendingDir is a directory of a pending artifact and one entry below it.
type pendingDir struct{ path, entry string }

// checkShapes refuses a batch of u's entries, with core.ErrConflict naming
// both paths, when one of them would make a path both a file and a
// directory of pending artifact id: an entry whose path is a pending
// directory, or whose directories include a pending file. It returns the
// batch's directories, each with one entry of the batch below it, to
// record.
func checkShapes(ctx context.Context, q q, id int64, u Upsert, batch []core.Entry) ([]pendingDir, error) {
	var dirs []pendingDir
	files := make([]string, len(batch))
	below := make(map[string]string) // directory → an entry of the batch below it
	for i, e := range batch {
		files[i] = e.Path
		for j := strings.LastIndexByte(e.Path, '/'); j > 0; j = strings.LastIndexByte(e.Path[:j], '/') {
			dir := e.Path[:j]
			if _, ok := below[dir]; ok {
				break // and so are its parents
			}
			below[dir] = e.Path
			dirs = append(dirs, pendingDir{dir, e.Path})
		}
	}
	list, err := json.Marshal(files)
	if err != nil {
		return nil, err
	}
	var file, under string
	err = q.queryRow(ctx, `SELECT pd.path, pd.entry FROM pending_dirs pd
		WHERE pd.pending_id = ? AND pd.path IN (`+q.d.textList()+`) ORDER BY pd.path LIMIT 1`,
		id, string(list)).Scan(&file, &under)
	switch {
	case err == nil:
		return nil, errShape(u, under, file, false)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, nil
	}
	names := make([]string, len(dirs))
	for i, d := range dirs {
		names[i] = d.path
	}
	if list, err = json.Marshal(names); err != nil {
		return nil, err
	}
	err = q.queryRow(ctx, `SELECT pe.path FROM pending_entries pe
		WHERE pe.pending_id = ? AND pe.path IN (`+q.d.textList()+`) ORDER BY pe.path LIMIT 1`,
		id, string(list)).Scan(&file)
	switch {
	case err == nil:
		return nil, errShape(u, file, below[file], true)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	return dirs, nil
}

// errShape is the conflict of a path that would be both a file and a
// directory: pending is the pending artifact's entry, added the upsert's;
// newDir says that added lies below the pending file (else pending lies
// below the added file).
func errShape(u Upsert, pending, added string, newDir bool) error {
	if newDir {
		return core.Errorf(core.ErrConflict, "distributed artifact %s (%s): %q is pending already as a file, so %q cannot be added below it",
			u.Name, u.DistributedID, pending, added)
	}
	return core.Errorf(core.ErrConflict, "distributed artifact %s (%s): %q is pending already, so %q is a directory and cannot be added as a file",
		u.Name, u.DistributedID, pending, added)
}

// insertDirs records directories of pending artifact id; those recorded
// already keep their entry.
func insertDirs(ctx context.Context, q q, id int64, dirs []pendingDir) error {
	for len(dirs) > 0 {
		batch := dirs[:min(len(dirs), entryBatch)]
		dirs = dirs[len(batch):]
		args := make([]any, 0, 3*len(batch))
		for _, d := range batch {
			args = append(args, id, d.path, d.entry)
		}
		if _, err := q.exec(ctx, `INSERT INTO pending_dirs (pending_id, path, entry) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(batch)), ", ")+`
			ON CONFLICT (pending_id, path) DO NOTHING`, args...); err != nil {
			return err
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

// pendingSelect reads the summary of pending artifacts (see
// queryPendingList); a query adds its WHERE and ORDER BY.
const pendingSelect = `SELECT pa.id, en.name, pr.name, pa.name, pa.type, pa.distributed_id, pa.state,
		pa.created_at, pa.updated_at, COALESCE(pa.version_id, 0),
		(SELECT COUNT(*) FROM pending_entries pe WHERE pe.pending_id = pa.id),
		(SELECT COALESCE(SUM(pe.size), 0) FROM pending_entries pe WHERE pe.pending_id = pa.id)
	FROM pending_artifacts pa
	JOIN projects pr ON pr.id = pa.project_id
	JOIN entities en ON en.id = pr.entity_id `

// ListPending returns the open pending artifacts of entity/project, by name
// and distributed id, each with its entry count, size and producing runs
// but not its entries; an empty slice for an unknown project.
func (s *Store) ListPending(ctx context.Context, entity, project string) ([]Pending, error) {
	var ps []Pending
	err := s.read(ctx, func(q q) (err error) {
		ps, err = queryPendingList(ctx, q, pendingSelect+`WHERE en.name = ? AND pr.name = ? AND pa.state = 'open'
			ORDER BY pa.name, pa.distributed_id`, entity, project)
		return err
	})
	return ps, err
}

// queryPendingList runs a query whose columns are pendingSelect's and
// returns its pending artifacts with their runs, in the query's order.
func queryPendingList(ctx context.Context, q q, query string, args ...any) ([]Pending, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := []Pending{}
	var ids []int64
	for rows.Next() {
		var (
			p                    Pending
			id, created, updated int64
			state                string
		)
		if err := rows.Scan(&id, &p.Entity, &p.Project, &p.Name, &p.Type, &p.DistributedID, &state,
			&created, &updated, &p.VersionID, &p.FileCount, &p.Size); err != nil {
			return nil, err
		}
		p.State, p.CreatedAt, p.UpdatedAt = PendingState(state), fromMicros(created), fromMicros(updated)
		ps = append(ps, p)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i, id := range ids {
		if ps[i].Runs, err = pendingRuns(ctx, q, id); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// AbandonPending deletes the open pending artifact of entity/project/name
// keyed by distributedID, with its entries and runs, and returns it as it
// was (without entries): its blobs are then collectable unless something
// else holds them, and its distributed id starts afresh. core.ErrNotFound
// if there is none; core.ErrConflict, naming the version, if it was
// finished (a finished one is kept: its id stays taken).
func (s *Store) AbandonPending(ctx context.Context, entity, project, name, distributedID string) (Pending, error) {
	var p Pending
	err := s.write(ctx, func(q q) error {
		id, err := lockPendingID(ctx, q, entity, project, name, distributedID, "")
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "distributed artifact %s/%s/%s (%s) not found", entity, project, name, distributedID)
		}
		if err != nil {
			return err
		}
		ps, err := queryPendingList(ctx, q, pendingSelect+`WHERE pa.id = ?`, id)
		if err != nil {
			return err
		}
		p = ps[0]
		if p.State == PendingFinished {
			label := "a version"
			if v, err := getVersion(ctx, q, p.VersionID); err == nil {
				label = v.FullName()
			} else if !errors.Is(err, core.ErrNotFound) {
				return err
			}
			return core.Errorf(core.ErrConflict, "distributed artifact %s (%s) was finished as %s: there is nothing pending to abandon",
				name, distributedID, label)
		}
		return deletePending(ctx, q, id)
	})
	return p, err
}

// lockPendingID returns the id of a pending artifact, locked for the rest
// of the transaction, with the extra condition where (on pending_artifacts
// pa; "" for none, else with its arguments in args); sql.ErrNoRows if none
// matches.
func lockPendingID(ctx context.Context, q q, entity, project, name, distributedID, where string, args ...any) (int64, error) {
	forUpdate := ""
	if q.d.forUpdate != "" {
		forUpdate = q.d.forUpdate + ` OF pa`
	}
	var id int64
	err := q.queryRow(ctx, `SELECT pa.id FROM pending_artifacts pa
		JOIN projects pr ON pr.id = pa.project_id JOIN entities en ON en.id = pr.entity_id
		WHERE en.name = ? AND pr.name = ? AND pa.name = ? AND pa.distributed_id = ?`+where+forUpdate,
		append([]any{entity, project, name, distributedID}, args...)...).Scan(&id)
	return id, err
}

// deletePending deletes pending artifact id and its rows; the caller holds
// its lock.
func deletePending(ctx context.Context, q q, id int64) error {
	for _, table := range []string{"pending_dirs", "pending_entries", "pending_runs"} {
		if _, err := q.exec(ctx, `DELETE FROM `+table+` WHERE pending_id = ?`, id); err != nil {
			return err
		}
	}
	_, err := q.exec(ctx, `DELETE FROM pending_artifacts WHERE id = ?`, id)
	return err
}

// abandonBatch bounds how many pending artifacts one AbandonStalePending
// call abandons.
const abandonBatch = 100

// AbandonStalePending abandons, as AbandonPending does, the open pending
// artifacts nobody upserted to since before (updated_at < before), each in
// a transaction of its own, and returns them (at most 100: call again while
// it returns that many). An upsert racing it either lands first, and the
// artifact is kept, or finds it gone and starts it afresh. Safe for
// concurrent use: each is abandoned once.
func (s *Store) AbandonStalePending(ctx context.Context, before time.Time) ([]Pending, error) {
	var stale []Pending
	if err := s.read(ctx, func(q q) (err error) {
		stale, err = queryPendingList(ctx, q, pendingSelect+`WHERE pa.state = 'open' AND pa.updated_at < ?
			ORDER BY pa.updated_at, pa.id LIMIT ?`, micros(before), abandonBatch)
		return err
	}); err != nil {
		return nil, err
	}
	out := []Pending{}
	for _, p := range stale {
		abandoned := false
		err := s.write(ctx, func(q q) error {
			id, err := lockPendingID(ctx, q, p.Entity, p.Project, p.Name, p.DistributedID,
				` AND pa.state = 'open' AND pa.updated_at < ?`, micros(before))
			if errors.Is(err, sql.ErrNoRows) {
				abandoned = false // touched, finished or abandoned since
				return nil
			}
			if err != nil {
				return err
			}
			abandoned = true
			return deletePending(ctx, q, id)
		})
		if err != nil {
			return out, err
		}
		if abandoned {
			out = append(out, p)
		}
	}
	return out, nil
}
