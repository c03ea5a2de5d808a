package service

import (
	"context"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// MaxTTL bounds a version's time-to-live.
const MaxTTL = 100 * 365 * 24 * time.Hour

// parseTTL reads a time-to-live written as a Go duration ("720h", "90m").
// "" is none (0); so is "none" when allowNone. Anything else must be more
// than 0 and at most MaxTTL, else core.ErrInvalid.
func parseTTL(s string, allowNone bool) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || (allowNone && s == "none") {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, core.Errorf(core.ErrInvalid, "ttl %q: want a duration such as 720h or 90m", s)
	}
	if d <= 0 || d > MaxTTL {
		return 0, core.Errorf(core.ErrInvalid, "ttl %q: want more than 0 and at most 100 years", s)
	}
	return d, nil
}

// Expiry is lazy: every call that looks versions up or lists them (resolve,
// the listings, lineage, logging) first expires the versions that are due,
// at the service's clock. The check is one indexed read that writes nothing
// unless a version is due, so an expired version disappears at its expiry
// time, not at the next periodic sweep, and the read queries of package
// meta need no notion of the current time. ExpireDue does the same for a
// periodic sweeper.

// expire expires the versions that are due now; see ExpireDue.
func (s *Service) expire(ctx context.Context) error {
	_, err := s.ExpireDue(ctx)
	return err
}

// ExpireDue deletes (softly, as DeleteArtifact with delete aliases does)
// every committed version whose time-to-live has run out, except the
// sources of committed registry links, which stay until unlinked, and
// returns how many it deleted. Safe for concurrent use, also by several
// processes or servers: each version is expired once.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	n := 0
	for {
		vs, err := s.meta.ExpireDue(ctx, s.now())
		if err != nil {
			return n, err
		}
		if len(vs) == 0 {
			return n, nil
		}
		for _, v := range vs {
			s.log.InfoContext(ctx, "artifact version expired", "version", v.FullName(), "expires_at", v.ExpiresAt)
		}
		n += len(vs)
	}
}
