package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Every check LogArtifact, UpsertArtifact and FinishArtifact make before
// they look at a single blob lives here, in CheckLog and CheckUpsert. A
// server's access guard (package authz) runs the same checks before its
// proof-of-possession check, which holds back blobs the caller may not
// name: were any check left to the service alone, a request naming a blob
// someone else stores would be answered "missing" where the same request
// naming a blob nobody stores is answered with the check's error, and the
// difference would tell the caller what others keep. So a new check of a
// log or upsert request goes here, never after the blob check.

// LogChecker is the optional ability of an API to check a log or upsert
// request exactly as far as LogArtifact, UpsertArtifact and FinishArtifact
// do before they look at blobs. *Service has it. Check for it with a type
// assertion.
type LogChecker interface {
	// CheckLog returns the error LogArtifact would return for req before
	// it looks at blobs, or nil.
	CheckLog(ctx context.Context, req LogRequest) error
	// CheckUpsert returns the error UpsertArtifact (or, when finish,
	// FinishArtifact) would return for req before it looks at blobs, or
	// nil.
	CheckUpsert(ctx context.Context, req UpsertRequest, finish bool) error
}

var _ LogChecker = (*Service)(nil)

// checkedLog is a log request's fields in the form the metadata store
// takes them, once they are checked.
type checkedLog struct {
	metadata json.RawMessage // "{}" for none
	aliases  []string        // custom aliases, without "latest", once each
	ttl      time.Duration   // 0 for none
}

// CheckLog implements LogChecker.
func (s *Service) CheckLog(ctx context.Context, req LogRequest) error {
	_, err := s.checkLog(ctx, req)
	return err
}

// checkLog makes every check of a LogRequest that does not depend on blobs:
// the request's own fields, then the logging run's state.
func (s *Service) checkLog(ctx context.Context, req LogRequest) (checkedLog, error) {
	c, err := validateLog(req)
	if err != nil {
		return checkedLog{}, err
	}
	if req.RunID != "" {
		if _, err := s.runForWrite(ctx, req.RunID); err != nil {
			return checkedLog{}, err
		}
	}
	return c, nil
}

// validateLog checks the fields of a LogRequest, touching no store.
func validateLog(req LogRequest) (checkedLog, error) {
	if err := validateTarget(req); err != nil {
		return checkedLog{}, err
	}
	c, err := validateContent(req)
	if err != nil {
		return c, err
	}
	if c.ttl, err = parseTTL(req.TTL, false); err != nil {
		return c, err
	}
	if req.Manifest.Len() == 0 && !req.AllowEmpty {
		return c, errEmpty(req.Name)
	}
	return c, nil
}

// validateTarget checks the collection a log or an upsert writes to.
func validateTarget(req LogRequest) error {
	if err := core.ValidateEntity(req.Entity); err != nil {
		return err
	}
	if err := notRegistry(req.Entity); err != nil {
		return err
	}
	if err := core.ValidateProject(req.Project); err != nil {
		return err
	}
	if err := core.ValidateName(req.Name); err != nil {
		return err
	}
	return core.ValidateType(req.Type)
}

// validateContent checks the description, metadata and aliases of a log or
// an upsert, returning them as the metadata store takes them.
func validateContent(req LogRequest) (checkedLog, error) {
	var c checkedLog
	if err := checkDescription(req.Description); err != nil {
		return c, err
	}
	var err error
	if c.metadata, err = checkMetadata(req.Metadata); err != nil {
		return c, err
	}
	if c.aliases, err = customAliases(req.Aliases); err != nil {
		return c, err
	}
	return c, nil
}

// errEmpty refuses a version of artifact name with no entries.
func errEmpty(name string) error {
	return core.Errorf(core.ErrInvalid, "artifact %s has no files or references: add some, or allow an empty version with --allow-empty", name)
}

// checkDescription bounds a version's description (core.MaxDescription).
func checkDescription(d string) error {
	if len(d) > core.MaxDescription {
		return core.Errorf(core.ErrTooLarge, "description is %d bytes, more than the limit of %s", len(d), sizeLimit(core.MaxDescription))
	}
	return nil
}

// checkMetadata validates a version's metadata: a JSON object of at most
// core.MaxMetadata bytes; "{}" for none.
func checkMetadata(raw json.RawMessage) (json.RawMessage, error) {
	return boundedObject("metadata", raw, core.MaxMetadata)
}

// boundedObject is checkObject for an object of at most max bytes.
func boundedObject(what string, raw json.RawMessage, max int) (json.RawMessage, error) {
	if len(raw) > max {
		return nil, core.Errorf(core.ErrTooLarge, "%s is %d bytes, more than the limit of %s", what, len(raw), sizeLimit(max))
	}
	return checkObject(what, raw)
}

// sizeLimit writes a limit of n bytes for a message: "1 MiB (1048576 bytes)".
func sizeLimit(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%d bytes)", n>>20, n)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB (%d bytes)", n>>10, n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// CheckUpsert implements LogChecker.
func (s *Service) CheckUpsert(ctx context.Context, req UpsertRequest, finish bool) error {
	_, err := s.checkUpsertRequest(ctx, req, finish)
	return err
}

// checkUpsertRequest makes every check of an UpsertRequest that does not
// depend on blobs: the request's own fields, then the run's state.
func (s *Service) checkUpsertRequest(ctx context.Context, req UpsertRequest, finish bool) (checkedLog, error) {
	c, err := validateUpsert(req, finish)
	if err != nil {
		return checkedLog{}, err
	}
	if _, err := s.runForWrite(ctx, req.RunID); err != nil {
		return checkedLog{}, err
	}
	return c, nil
}

// validateUpsert checks the fields of an UpsertRequest, touching no store.
// An upsert and a finish are checked alike (finish is for checks that may
// come to differ): in particular neither needs entries of its own, since
// whether the version would be empty depends on what the writers upserted,
// which the finish checks (meta.Finish.AllowEmpty).
func validateUpsert(req UpsertRequest, finish bool) (checkedLog, error) {
	if err := validateTarget(req.LogRequest); err != nil {
		return checkedLog{}, err
	}
	if req.DistributedID == "" {
		return checkedLog{}, core.Errorf(core.ErrInvalid, "distributed artifact %s: set the run's Group or the artifact's DistributedID", req.Name)
	}
	if err := core.ValidateLabel("distributed id", req.DistributedID); err != nil {
		return checkedLog{}, err
	}
	if req.RunID == "" {
		return checkedLog{}, core.Errorf(core.ErrInvalid, "distributed artifact %s: entries are added by a run, and no run is given", req.Name)
	}
	_ = finish
	return validateContent(req.LogRequest)
}
