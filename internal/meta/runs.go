package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// runSelect and runJoins read core.Run rows (see scanRuns) from a query whose
// FROM clause names the runs table r.
const (
	runSelect = `SELECT r.id, r.name, en.name, p.name, r.job_type, r.run_group, r.config, r.tags,
		r.state, r.started_at, r.finished_at, r.heartbeat_at`
	runJoins = ` JOIN projects p ON p.id = r.project_id JOIN entities en ON en.id = p.entity_id `
)

// CreateRun creates a run in state running, creating its entity and project
// if missing. An empty nr.Name becomes nr.AutoName(seq), seq being the run's
// number in its project (1, 2, 3…), taken atomically. core.ErrConflict if a
// run with nr.ID exists.
func (s *Store) CreateRun(ctx context.Context, nr NewRun) (core.Run, error) {
	if nr.ID == "" {
		return core.Run{}, core.Errorf(core.ErrInvalid, "run id is empty")
	}
	config, err := jsonObject("run config", nr.Config)
	if err != nil {
		return core.Run{}, err
	}
	tags := nr.Tags
	if tags == nil {
		tags = []string{}
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return core.Run{}, core.Errorf(core.ErrInvalid, "run tags: %w", err)
	}
	var run core.Run
	err = s.write(ctx, func(q q) error {
		pid, err := ensureProject(ctx, q, nr.Entity, nr.Project, nr.Now)
		if err != nil {
			return err
		}
		var seq int64
		if err := q.queryRow(ctx, `UPDATE projects SET run_seq = run_seq + 1 WHERE id = ? RETURNING run_seq`, pid).Scan(&seq); err != nil {
			return err
		}
		name := nr.Name
		if name == "" {
			if nr.AutoName != nil {
				name = nr.AutoName(seq)
			} else {
				name = "run-" + strconv.FormatInt(seq, 10)
			}
		}
		node, err := newNode(ctx, q, "run")
		if err != nil {
			return err
		}
		now := micros(nr.Now)
		res, err := q.exec(ctx, `
			INSERT INTO runs (id, node_id, project_id, seq, name, job_type, run_group, config, tags,
				state, started_at, heartbeat_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			nr.ID, node, pid, seq, name, nr.JobType, nr.Group, config, string(tagsJSON),
			string(core.RunRunning), now, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ErrConflict, "run %q already exists", nr.ID)
		}
		run, err = getRun(ctx, q, nr.ID)
		return err
	})
	return run, err
}

// GetRun returns the run with id; core.ErrNotFound if there is none.
func (s *Store) GetRun(ctx context.Context, id string) (core.Run, error) {
	var run core.Run
	err := s.read(ctx, func(q q) (err error) {
		run, err = getRun(ctx, q, id)
		return err
	})
	return run, err
}

// FindRun returns the run with display name name in entity/project, the
// newest if several have it; core.ErrNotFound if none.
func (s *Store) FindRun(ctx context.Context, entity, project, name string) (core.Run, error) {
	var runs []core.Run
	err := s.read(ctx, func(q q) (err error) {
		runs, err = queryRuns(ctx, q, runSelect+` FROM runs r`+runJoins+`
			WHERE en.name = ? AND p.name = ? AND r.name = ? ORDER BY r.seq DESC LIMIT 1`,
			entity, project, name)
		return err
	})
	if err != nil {
		return core.Run{}, err
	}
	if len(runs) == 0 {
		return core.Run{}, core.Errorf(core.ErrNotFound, "run %q not found in %s/%s", name, entity, project)
	}
	return runs[0], nil
}

// ListRuns returns the runs of entity/project in the order they were created;
// an empty slice for an unknown project.
func (s *Store) ListRuns(ctx context.Context, entity, project string) ([]core.Run, error) {
	var runs []core.Run
	err := s.read(ctx, func(q q) (err error) {
		runs, err = queryRuns(ctx, q, runSelect+` FROM runs r`+runJoins+`
			WHERE en.name = ? AND p.name = ? ORDER BY r.seq`, entity, project)
		return err
	})
	return runs, err
}

// UpdateRun changes a run's state and times and returns the run;
// core.ErrNotFound if there is none.
func (s *Store) UpdateRun(ctx context.Context, id string, u RunUpdate) (core.Run, error) {
	var sets []string
	var args []any
	if u.State != nil {
		if !u.State.Valid() {
			return core.Run{}, core.Errorf(core.ErrInvalid, "run state %q is not one of running, finished, failed, crashed", *u.State)
		}
		sets, args = append(sets, "state = ?"), append(args, string(*u.State))
	}
	if u.FinishedAt != nil {
		sets, args = append(sets, "finished_at = ?"), append(args, micros(*u.FinishedAt))
	}
	if u.HeartbeatAt != nil {
		sets, args = append(sets, "heartbeat_at = ?"), append(args, micros(*u.HeartbeatAt))
	}
	var run core.Run
	err := s.write(ctx, func(q q) error {
		if len(sets) > 0 {
			res, err := q.exec(ctx, `UPDATE runs SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, id)...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return core.Errorf(core.ErrNotFound, "run %q not found", id)
			}
		}
		var err error
		run, err = getRun(ctx, q, id)
		return err
	})
	return run, err
}

// getRun reads one run; core.ErrNotFound if there is none.
func getRun(ctx context.Context, q q, id string) (core.Run, error) {
	runs, err := queryRuns(ctx, q, runSelect+` FROM runs r`+runJoins+` WHERE r.id = ?`, id)
	if err != nil {
		return core.Run{}, err
	}
	if len(runs) == 0 {
		return core.Run{}, core.Errorf(core.ErrNotFound, "run %q not found", id)
	}
	return runs[0], nil
}

// runNode returns the node id of run id; core.ErrNotFound if there is none.
func runNode(ctx context.Context, q q, id string) (int64, error) {
	var node int64
	err := q.queryRow(ctx, `SELECT node_id FROM runs WHERE id = ?`, id).Scan(&node)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, core.Errorf(core.ErrNotFound, "run %q not found", id)
	}
	return node, err
}

// queryRuns runs a query whose columns are runSelect's and returns its runs,
// an empty slice when there are none.
func queryRuns(ctx context.Context, q q, query string, args ...any) ([]core.Run, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	runs := []core.Run{}
	for rows.Next() {
		var (
			r                   core.Run
			config, tags, state string
			started, heartbeat  int64
			finished            sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &r.Name, &r.Entity, &r.Project, &r.JobType, &r.Group, &config, &tags,
			&state, &started, &finished, &heartbeat); err != nil {
			return nil, err
		}
		r.Config = json.RawMessage(config)
		if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
			return nil, core.Errorf(core.ErrCorrupt, "run %q: stored tags: %w", r.ID, err)
		}
		if r.Tags == nil {
			r.Tags = []string{}
		}
		r.State = core.RunState(state)
		r.StartedAt = fromMicros(started)
		r.HeartbeatAt = fromMicros(heartbeat)
		if finished.Valid {
			t := fromMicros(finished.Int64)
			r.FinishedAt = &t
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}
