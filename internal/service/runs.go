package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// runIDLen is the length of a run id: 36^8 ≈ 2.8e12 ids, so collisions are
// rare enough that retrying on one is plenty.
const runIDLen = 8

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// newRunID returns a random base-36 run id.
func newRunID() string {
	b := make([]byte, runIDLen)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(base36))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = base36[n.Int64()]
	}
	return string(b)
}

var adjectives = []string{
	"jumping", "vague", "serene", "rural", "northern", "ancient", "autumn", "bold", "brisk", "calm",
	"celestial", "clever", "crimson", "dainty", "dark", "dauntless", "dazzling", "desert", "divine", "dry",
	"eager", "earthy", "electric", "elegant", "fallen", "fancy", "fearless", "fiery", "floral", "fluent",
	"fresh", "frosty", "gallant", "gentle", "glamorous", "golden", "graceful", "hardy", "helpful", "hidden",
	"icy", "jolly", "kind", "lilac", "lively", "lucky", "misty", "morning", "noble", "olive",
	"pleasant", "polished", "proud", "quiet", "radiant", "restful", "rosy", "royal", "scarlet", "silver",
	"smooth", "snowy", "solar", "spring", "stellar", "still", "summer", "sunny", "swift", "twilight",
	"valiant", "vivid", "wandering", "warm", "wild", "winter", "wise", "young",
}

var nouns = []string{
	"monkey", "morning", "haze", "feather", "lake", "breeze", "brook", "butterfly", "cloud", "dawn",
	"dew", "dream", "dust", "field", "fire", "firefly", "flower", "fog", "forest", "frog",
	"galaxy", "glade", "glitter", "grass", "river", "hill", "leaf", "meadow", "moon", "mountain",
	"night", "ocean", "paper", "pine", "planet", "plasma", "pond", "rain", "resonance", "sea",
	"shadow", "shape", "silence", "sky", "smoke", "snow", "sound", "star", "sun", "sunset",
	"surf", "thunder", "tree", "valley", "violet", "water", "wave", "wildflower", "wind", "wood",
	"yogurt", "deluge", "durian", "energy", "eon", "puddle", "spaceship", "universe", "vortex", "totem",
}

// pick returns a random element of list.
func pick(list []string) string {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(list))))
	if err != nil {
		panic(err)
	}
	return list[n.Int64()]
}

// autoName returns a display name adjective-noun-N for a project's seq-th run.
func autoName(seq int64) string { return fmt.Sprintf("%s-%s-%d", pick(adjectives), pick(nouns), seq) }

// CreateRun implements API.
func (s *Service) CreateRun(ctx context.Context, r NewRun) (core.Run, error) {
	if err := core.ValidateEntity(r.Entity); err != nil {
		return core.Run{}, err
	}
	if err := notRegistry(r.Entity); err != nil {
		return core.Run{}, err
	}
	if err := core.ValidateProject(r.Project); err != nil {
		return core.Run{}, err
	}
	for what, v := range map[string]string{"run name": r.Name, "job type": r.JobType, "group": r.Group} {
		if err := core.ValidateLabel(what, v); err != nil {
			return core.Run{}, err
		}
	}
	if len(r.Tags) > core.MaxTags {
		return core.Run{}, core.Errorf(core.ErrTooLarge, "%d tags: a run may have at most %d", len(r.Tags), core.MaxTags)
	}
	for _, tag := range r.Tags {
		if err := core.ValidateLabel("tag", tag); err != nil {
			return core.Run{}, err
		}
	}
	cfg, err := boundedObject("run config", r.Config, core.MaxRunConfig)
	if err != nil {
		return core.Run{}, err
	}
	for attempt := 0; ; attempt++ {
		run, err := s.meta.CreateRun(ctx, meta.NewRun{
			ID: newRunID(), Entity: r.Entity, Project: r.Project, Name: r.Name,
			JobType: r.JobType, Group: r.Group, Config: cfg, Tags: r.Tags,
			Now: s.now(), AutoName: autoName,
		})
		if errors.Is(err, core.ErrConflict) && attempt < 3 {
			continue // id collision: draw another
		}
		return run, err
	}
}

// GetRun implements API.
func (s *Service) GetRun(ctx context.Context, entity, project, idOrName string) (core.Run, error) {
	if idOrName == "" {
		return core.Run{}, core.Errorf(core.ErrInvalid, "run id is empty")
	}
	// Run ids are unique in the store, so an id finds its run in any
	// project; a display name is looked up in the given project only.
	run, err := s.meta.GetRun(ctx, idOrName)
	if err == nil {
		return s.liveness(run), nil
	}
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return core.Run{}, err
	}
	if entity == "" || project == "" {
		return core.Run{}, core.Errorf(core.ErrNotFound, "run %q not found", idOrName)
	}
	run, err = s.meta.FindRun(ctx, entity, project, idOrName)
	if errors.Is(err, core.ErrNotFound) {
		return core.Run{}, core.Errorf(core.ErrNotFound, "run %q not found in %s/%s", idOrName, entity, project)
	}
	return s.liveness(run), err
}

// ListRuns implements API.
func (s *Service) ListRuns(ctx context.Context, entity, project string) ([]core.Run, error) {
	if err := core.ValidateEntity(entity); err != nil {
		return nil, err
	}
	if err := core.ValidateProject(project); err != nil {
		return nil, err
	}
	runs, err := s.meta.ListRuns(ctx, entity, project)
	for i := range runs {
		runs[i] = s.liveness(runs[i])
	}
	return runs, err
}

// FinishRun implements API.
func (s *Service) FinishRun(ctx context.Context, runID string, state core.RunState) (core.Run, error) {
	if !state.Valid() || state == core.RunRunning {
		return core.Run{}, core.Errorf(core.ErrInvalid, "final run state %q: want finished, failed or crashed", state)
	}
	run, err := s.meta.GetRun(ctx, runID)
	if err != nil {
		return core.Run{}, err
	}
	if run.State != core.RunRunning {
		return core.Run{}, core.Errorf(core.ErrConflict, "run %s is already %s", runID, run.State)
	}
	now := s.now()
	return s.meta.UpdateRun(ctx, runID, meta.RunUpdate{State: &state, FinishedAt: &now, HeartbeatAt: &now})
}

// Heartbeat implements API.
func (s *Service) Heartbeat(ctx context.Context, runID string) error {
	now := s.now()
	_, err := s.meta.UpdateRun(ctx, runID, meta.RunUpdate{HeartbeatAt: &now})
	return err
}

// liveness reports a running run whose heartbeat is lost as crashed.
func (s *Service) liveness(r core.Run) core.Run {
	if r.State == core.RunRunning && s.now().Sub(r.HeartbeatAt) > s.heartbeatTimeout {
		r.State = core.RunCrashed
	}
	return r
}

// runForWrite returns a run that may still log or use artifacts.
func (s *Service) runForWrite(ctx context.Context, runID string) (core.Run, error) {
	run, err := s.meta.GetRun(ctx, runID)
	if err != nil {
		return core.Run{}, err
	}
	if run.State != core.RunRunning {
		return core.Run{}, core.Errorf(core.ErrConflict, "run %s (%s) is %s: a finished run cannot log or use artifacts", run.ID, run.Name, run.State)
	}
	return run, nil
}
