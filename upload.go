package trove

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
	"github.com/troveml/trove/internal/service"
)

// copyBufSize is the buffer for hashing and copying files: large enough that
// syscalls and hashing setup stay negligible next to the bytes.
const copyBufSize = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// uploadParallelism bounds concurrent blob uploads to a server.
const uploadParallelism = 4

// logArtifact builds a's manifest, stores its missing blobs and commits the
// version. runID may be "" (no logging run). created is false when the
// content deduplicated to an existing version.
func (c *Client) logArtifact(ctx context.Context, a *Artifact, entity, project, runID string, aliases []string) (v core.Version, created bool, err error) {
	if err := a.validate(); err != nil {
		return core.Version{}, false, err
	}
	if err := a.checkEmpty(nil); err != nil {
		return core.Version{}, false, err
	}
	for _, al := range aliases {
		if al != core.LatestAlias {
			if err := core.ValidateAlias(al); err != nil {
				return core.Version{}, false, err
			}
		}
	}
	var md json.RawMessage
	if a.Metadata != nil {
		b, err := json.Marshal(a.Metadata)
		if err != nil {
			return core.Version{}, false, core.Errorf(core.ErrInvalid, "artifact metadata: %w", err)
		}
		md = b
	}
	m, err := c.buildManifest(ctx, a)
	if err != nil {
		return core.Version{}, false, err
	}
	if err := a.checkEmpty(&m); err != nil { // a draft with everything removed
		return core.Version{}, false, err
	}
	req := service.LogRequest{
		Entity: entity, Project: project, Name: a.Name, Type: a.Type,
		Description: a.Description, Metadata: md, Aliases: aliases, RunID: runID, Manifest: m,
		AllowEmpty: a.AllowEmpty,
	}
	if a.TTL != 0 {
		req.TTL = a.TTL.String()
	}
	// The store answers which blobs it lacks; only those are uploaded. On an
	// embedded store the hashing pass stored them already, and unchanged
	// content dedups without any blob check, so one call usually does.
	var res service.LogResult
	for attempt := 0; ; attempt++ {
		if res, err = c.api.LogArtifact(ctx, req); err != nil {
			return core.Version{}, false, err
		}
		if len(res.Missing) == 0 {
			break
		}
		if attempt == maxUploadRounds {
			return core.Version{}, false, core.Errorf(core.ErrUnavailable, "log %s: %d blobs still missing after %d uploads", a.Name, len(res.Missing), attempt)
		}
		if err := c.upload(ctx, a, m, res.Missing); err != nil {
			return core.Version{}, false, err
		}
	}
	if a.manifest == nil {
		a.manifest = &m
		a.removeTemp()
	}
	return res.Version, res.Created, nil
}

// buildManifest hashes a's files in place — in parallel, skipping files the
// stat cache knows unchanged — and, on an embedded store, stores each file's
// bytes in the same pass, so every byte is read once.
func (c *Client) buildManifest(ctx context.Context, a *Artifact) (core.Manifest, error) {
	if a.manifest != nil {
		return *a.manifest, nil
	}
	// References first: listing them is cheap next to hashing, and a bad
	// one fails the log before any file is read or stored.
	refEntries, err := c.resolveRefs(ctx, a)
	if err != nil {
		return core.Manifest{}, err
	}
	sc := c.statCache(ctx)
	if sc != nil {
		for _, d := range a.dirs {
			if err := sc.Preload(ctx, d); err != nil {
				c.log.Debug("stat cache preload", "err", err)
			}
		}
	}
	entries := make([]core.Entry, len(a.files))
	var misses []int
	var missBytes int64
	for i, f := range a.files {
		if err := ctx.Err(); err != nil {
			return core.Manifest{}, err
		}
		fi, err := os.Stat(f.src)
		if err != nil {
			return core.Manifest{}, core.Errorf(core.ErrNotFound, "file for %q: %w", f.entry, err)
		}
		if !fi.Mode().IsRegular() {
			return core.Manifest{}, core.Errorf(core.ErrInvalid, "file for %q (%s) is not a regular file", f.entry, f.src)
		}
		entries[i] = core.Entry{Path: f.entry, Size: fi.Size()}
		if sc != nil {
			if d, ok := sc.Lookup(f.src, fi); ok {
				entries[i].Digest = d
				continue
			}
		}
		misses = append(misses, i)
		missBytes += fi.Size()
	}
	if len(misses) > 0 {
		phase := "hashing"
		if c.ingest != nil {
			phase = "storing"
		}
		p := c.begin(phase, missBytes)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(runtime.GOMAXPROCS(0))
		for _, i := range misses {
			g.Go(func() error {
				d, err := c.hashFile(gctx, a.files[i], entries[i].Size, p)
				entries[i].Digest = d
				return err
			})
		}
		err := g.Wait()
		p.End()
		if sc != nil {
			if ferr := sc.Flush(ctx); ferr != nil {
				c.log.Warn("stat cache not saved", "err", ferr)
			}
		}
		if err != nil {
			return core.Manifest{}, err
		}
	}
	return core.NewManifest(a.withInherited(append(entries, refEntries...)))
}

// refParallelism bounds how many references are listed at once.
const refParallelism = 8

// resolveRefs lists a's references (in parallel) and returns their entries.
// A path produced twice — by two references, or by a reference and a file —
// is a conflict naming both sources.
func (c *Client) resolveRefs(ctx context.Context, a *Artifact) ([]core.Entry, error) {
	if len(a.refs) == 0 {
		return nil, nil
	}
	res := c.references()
	got := make([][]core.Entry, len(a.refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(refParallelism)
	for i, r := range a.refs {
		g.Go(func() error {
			es, err := res.Resolve(gctx, r.uri, r.opts)
			if err != nil {
				if strings.Contains(err.Error(), r.uri) {
					return err
				}
				return fmt.Errorf("reference %s: %w", r.uri, err)
			}
			got[i] = es
			return nil
		})
	}

	if err := g.Wait(); err != nil {
		return nil, err
	}
	from := make(map[string]string, len(a.paths))
	for p, src := range a.paths {
		from[p] = src
	}
	var out []core.Entry
	for i, es := range got {
		for _, e := range es {
			if prev, dup := from[e.Path]; dup {
				return nil, core.Errorf(core.ErrConflict, "path %q is added twice (from %s and %s)", e.Path, prev, a.refs[i].uri)
			}
			from[e.Path] = a.refs[i].uri
			out = append(out, e)
		}
	}
	if c.notify != nil {
		for i, es := range got {
			for _, e := range es {
				if !refs.Pinned(e) {
					c.notify(fmt.Sprintf("warning: reference %s: its server sends neither ETag nor Last-Modified, so Trove cannot tell when it changes; downloads check only its size (%d bytes)", a.refs[i].uri, e.Size))
				}
			}
		}
	}
	return out, nil
}

// hashFile reads one file once: it hashes it and, when the store is local,
// stores it too. It fails when the file changes while being read.
func (c *Client) hashFile(ctx context.Context, f localFile, size int64, p Progress) (core.Digest, error) {
	start := time.Now()
	file, err := os.Open(f.src)
	if err != nil {
		return core.Digest{}, core.Errorf(core.ErrNotFound, "file for %q: %w", f.entry, err)
	}
	defer file.Close()
	before, err := file.Stat()
	if err != nil {
		return core.Digest{}, core.Errorf(core.ErrInvalid, "file for %q: %w", f.entry, err)
	}
	r := &progressReader{ctx: ctx, r: file, p: p}
	var d core.Digest
	var n int64
	streamed := false
	if c.ingest == nil && c.streamer != nil && size >= streamUploadMin {
		if d, streamed, err = c.streamFile(ctx, r, size); err != nil {
			return core.Digest{}, fmt.Errorf("file for %q (%s): %w", f.entry, f.src, err)
		}
		if streamed {
			n = size
		} else if _, err := r.Seek(0, io.SeekStart); err != nil {
			return core.Digest{}, core.Errorf(core.ErrInvalid, "file for %q: %w", f.entry, err)
		}
	}
	if streamed {
		// Hashed and uploaded in one pass.
	} else if c.ingest != nil {
		d, n, err = c.ingest.Ingest(ctx, r)
	} else {
		h := core.NewHash()
		buf := bufPool.Get().(*[]byte)
		n, err = io.CopyBuffer(h, r, *buf)
		bufPool.Put(buf)
		d = core.DigestFromHash(h)
	}
	if err != nil {
		return core.Digest{}, fmt.Errorf("file for %q (%s): %w", f.entry, f.src, err)
	}
	after, err := os.Stat(f.src)
	if err != nil || n != before.Size() || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return core.Digest{}, core.Errorf(core.ErrConflict, "file %s changed while it was being logged; log again once it is stable", f.src)
	}
	if sc := c.stat; sc != nil {
		sc.Record(f.src, before, d, start)
	}
	return d, nil
}

// streamUploadMin is the size from which a new file is uploaded to a server
// while it is hashed, so that it is read once and the upload does not wait
// for the hash. Below it, hashing first costs little and lets dedup skip
// the upload.
const streamUploadMin = 32 << 20

// streamFile uploads a large file to the server while hashing it, when the
// server can take it without its digest and no stored file has its size
// (so the content cannot be a duplicate and no upload is wasted). streamed
// is false when the server declined (nothing was read) or the stream broke
// off (part of r was read): the caller rewinds r, hashes the file and the
// upload protocol runs as usual.
func (c *Client) streamFile(ctx context.Context, r io.Reader, size int64) (d core.Digest, streamed bool, err error) {
	h := core.NewHash()
	got, err := c.streamer.IngestBlob(ctx, size, io.TeeReader(r, h))
	if errors.Is(err, core.ErrConflict) {
		c.log.Debug("server declined a streamed upload", "size", size, "reason", err)
		return core.Digest{}, false, nil
	}
	var ne net.Error
	if errors.Is(err, core.ErrUnavailable) && errors.As(err, &ne) && ctx.Err() == nil {
		// The stream broke off (a server restart, say: a network error,
		// not an answer) and cannot be resumed: its digest is the
		// server's to compute. Hashing here and uploading by digest can be
		// retried, from the file's start.
		c.log.Debug("streamed upload broke off; hashing and uploading instead", "size", size, "reason", err)
		return core.Digest{}, false, nil
	}
	if err != nil {
		return core.Digest{}, false, err
	}
	if d = core.DigestFromHash(h); d != got {
		return core.Digest{}, false, core.Errorf(core.ErrCorrupt, "the server stored the upload as %s, but it hashes to %s here", got, d)
	}
	return d, true, nil
}

// maxUploadRounds bounds how often a log uploads what the store says it
// lacks before giving up (blobs deleted by a concurrent GC could otherwise
// make it loop).
const maxUploadRounds = 3

// upload sends the given blobs of a's manifest, streaming each from its
// local file and verifying it on the way.
func (c *Client) upload(ctx context.Context, a *Artifact, m core.Manifest, missing []core.Digest) error {
	type source struct {
		path string
		size int64
	}
	byEntry := make(map[string]string, len(a.files))
	for _, f := range a.files {
		byEntry[f.entry] = f.src
	}
	srcs := make(map[core.Digest]source)
	for _, e := range m.Entries() {
		// Inherited entries of a draft have no local file.
		if _, ok := srcs[e.Digest]; !ok && e.Ref == "" && byEntry[e.Path] != "" {
			srcs[e.Digest] = source{byEntry[e.Path], e.Size}
		}
	}
	for _, d := range missing {
		if srcs[d].path == "" {
			return a.unknownBlob(d)
		}
	}
	var total int64
	for _, d := range missing {
		total += srcs[d].size
	}
	p := c.begin("uploading", total)
	defer p.End()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadParallelism)
	for _, d := range missing {
		src := srcs[d]
		g.Go(func() error {
			f, err := os.Open(src.path)
			if err != nil {
				return core.Errorf(core.ErrNotFound, "upload: %w", err)
			}
			defer f.Close()
			if err := c.api.PutBlob(gctx, d, src.size, &progressReader{ctx: gctx, r: f, p: p}); err != nil {
				return fmt.Errorf("upload %s: %w", src.path, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// begin starts a progress phase, or a silent one without a Progress.
func (c *Client) begin(phase string, total int64) Progress {
	if c.progress == nil {
		return nopProgress{}
	}
	c.progress.Begin(phase, total)
	return c.progress
}

type nopProgress struct{}

func (nopProgress) Begin(string, int64) {}
func (nopProgress) Advance(int64)       {}
func (nopProgress) End()                {}

// progressReader reports bytes read and stops when ctx is done. It can be
// rewound when its reader can (a file), so that an upload broken off by a
// server restart is sent again from the start: the progress goes back by
// what is read again.
type progressReader struct {
	ctx context.Context
	r   io.Reader
	p   Progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(b)
	if n > 0 {
		r.p.Advance(int64(n))
	}
	return n, err
}

// errNotSeekable is Seek's error when the underlying reader cannot seek.
var errNotSeekable = errors.New("reader cannot seek")

// Seek implements io.Seeker over a reader that can seek, moving the
// progress by as much as the position moves.
func (r *progressReader) Seek(offset int64, whence int) (int64, error) {
	s, ok := r.r.(io.Seeker)
	if !ok {
		return 0, errNotSeekable
	}
	if offset == 0 && whence == io.SeekCurrent {
		return s.Seek(0, io.SeekCurrent)
	}
	from, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	to, err := s.Seek(offset, whence)
	if err != nil {
		return to, err
	}
	if to != from {
		r.p.Advance(to - from)
	}
	return to, nil
}
