package meta

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// eachDialect runs fn on a fresh store of every database.
func eachDialect(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openFile(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres(t)) })
}

// TestUniqueViolationIsConflict: a write that breaks a unique constraint
// fails with core.ErrConflict, the database's error still inside.
func TestUniqueViolationIsConflict(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		insert := func(q q) error {
			_, err := q.exec(t.Context(), `INSERT INTO entities (name) VALUES (?)`, "dup")
			return err
		}
		if err := s.write(t.Context(), insert); err != nil {
			t.Fatal(err)
		}
		err := s.write(t.Context(), insert)
		if !errors.Is(err, core.ErrConflict) {
			t.Fatalf("error %v, want conflict", err)
		}
		var ke *core.Error
		if !errors.As(err, &ke) || ke.Unwrap() == nil {
			t.Errorf("error %v does not wrap the database's", err)
		}
	})
}

// TestPostgresDeadlockRetried makes two writes deadlock for certain: each
// locks its own row, waits until the other has too, then asks for the
// other's. PostgreSQL aborts one of them; write must run it again, so both
// succeed.
func TestPostgresDeadlockRetried(t *testing.T) {
	s := openPostgres(t)
	ctx := t.Context()
	if err := s.write(ctx, func(q q) error {
		_, err := q.exec(ctx, `INSERT INTO entities (name) VALUES (?), (?)`, "a", "b")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	var locked sync.WaitGroup
	locked.Add(2)
	lock := func(q q, name string) error {
		_, err := q.exec(ctx, `UPDATE entities SET kind = '' WHERE name = ?`, name)
		return err
	}
	writer := func(mine, theirs string) func(q) error {
		first := true
		return func(q q) error {
			attempts.Add(1)
			if err := lock(q, mine); err != nil {
				return err
			}
			if first {
				first = false
				locked.Done()
				locked.Wait()
			}
			return lock(q, theirs)
		}
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = s.write(ctx, writer("a", "b")) })
	wg.Go(func() { errs[1] = s.write(ctx, writer("b", "a")) })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	// Three attempts as a rule; a loaded server may make the retry meet
	// the winner's locks once more.
	if n := attempts.Load(); n < 3 {
		t.Errorf("%d attempts, want a retry", n)
	}
}

// TestMigrationsDownAndUp: every migration can be undone and redone, so an
// operator can roll a release back.
func TestMigrationsDownAndUp(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		p, err := s.migrations()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(t.Context(), 0); err != nil {
			t.Fatalf("down: %v", err)
		}
		if v, err := p.GetDBVersion(t.Context()); err != nil || v != 0 {
			t.Fatalf("version after down = %d, %v", v, err)
		}
		if err := s.migrate(t.Context()); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if _, err := s.CreateUser(t.Context(), "alice", false, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
}
