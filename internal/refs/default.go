package refs

import (
	"context"
	"io"
	"net/url"
	"sync"

	"github.com/troveml/trove/internal/core"
)

// Default returns the resolver of every supported scheme, configured from
// the standard places of each ecosystem (AWS and Google environment
// variables and files; see S3FromEnv and GCSFromEnv). Cloud clients are
// built on first use, so missing credentials of a scheme nobody uses are no
// error.
func Default() *Resolver {
	h := NewHTTP(nil)
	return NewResolver(map[string]Scheme{
		"file":  NewFile(),
		"http":  h,
		"https": h,
		"s3":    &lazy{mk: S3FromEnv},
		"gs":    &lazy{mk: GCSFromEnv},
	})
}

// lazy builds a Scheme on first use.
type lazy struct {
	once sync.Once
	mk   func(ctx context.Context) (Scheme, error)
	s    Scheme
	err  error
}

func (l *lazy) get(ctx context.Context) (Scheme, error) {
	l.once.Do(func() { l.s, l.err = l.mk(context.WithoutCancel(ctx)) })
	if l.err != nil {
		if core.KindOf(l.err) != nil {
			return nil, l.err // e.g. unauthenticated: no credentials found
		}
		return nil, core.Errorf(core.ErrUnavailable, "%w", l.err)
	}
	return l.s, nil
}

func (l *lazy) List(ctx context.Context, u *url.URL, opts Options) ([]Object, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.List(ctx, u, opts)
}

func (l *lazy) Open(ctx context.Context, e core.Entry) (io.ReadCloser, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, e)
}
