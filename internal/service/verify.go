package service

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Workers is how many blobs are read at once; 0 means GOMAXPROCS.
	Workers int `json:"workers,omitempty"`
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
}

// Problem is a blob that is corrupt or missing.
type Problem struct {
	Digest core.Digest `json:"digest"`
	Error  string      `json:"error"`
	// Versions are the full names of the committed versions whose manifests
	// reference the blob, registry links to them included, sorted.
	Versions []string `json:"versions"`
}

// Verifier is the optional ability of an API to verify the blob store (the
// service in-process; a server for its administrators).
type Verifier interface {
	Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error)
}

var _ Verifier = (*Service)(nil)

// Verify reads every blob that a committed version or an open pending
// artifact references, through the blob store's verifying reader, and
// reports the ones whose content does not match their digest (or cannot be
// read: the error says why) and the ones that are gone. It streams each
// blob, opts.Workers at a time, and changes nothing. An unreachable store or
// a cancelled ctx stops it with an error.
func (s *Service) Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	uses, err := s.meta.BlobUses(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{Corrupt: []Problem{}, Missing: []Problem{}}
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
	for i, u := range uses {
		switch {
		case missing[i]:
			rep.Missing = append(rep.Missing, Problem{Digest: u.Digest, Error: "missing from the blob store", Versions: u.Versions})
		case corrupt[i] != nil:
			rep.Corrupt = append(rep.Corrupt, Problem{Digest: u.Digest, Error: corrupt[i].Error(), Versions: u.Versions})
		}
	}
	if len(rep.Corrupt)+len(rep.Missing) > 0 {
		s.log.WarnContext(ctx, "blob store verification found problems", "corrupt", len(rep.Corrupt), "missing", len(rep.Missing))
	}
	return rep, nil
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
