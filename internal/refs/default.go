package refs

import (
	"context"
	"hash"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/troveml/trove/internal/core"
)

// Schemes backed by a cloud SDK are registered by import, as database/sql
// drivers are: a program that never reads s3:// or gs:// references does
// not link the AWS or Google SDKs (tens of megabytes). The trove command
// imports them all.

// Constructor builds a registered scheme from the standard configuration of
// its ecosystem (environment variables, credential files). Default calls it
// on first use of the scheme, with a context that is never cancelled.
type Constructor func(ctx context.Context) (Scheme, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Constructor{}
)

// optional names, by scheme, the package whose import registers it: the
// error for a reference of an unregistered scheme says what to import.
var optional = map[string]string{
	"s3": "github.com/troveml/trove/scheme/s3",
	"gs": "github.com/troveml/trove/scheme/gcs",
}

// Register makes scheme (lower case, e.g. "s3") available to the resolvers
// Default returns from then on. It is meant for the init function of the
// scheme's package, and panics when scheme is registered twice or mk is nil.
func Register(scheme string, mk Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if mk == nil {
		panic("refs: Register of scheme " + scheme + " with a nil constructor")
	}
	if _, dup := registry[scheme]; dup {
		panic("refs: scheme " + scheme + " registered twice")
	}
	registry[scheme] = mk
}

// Registered returns the schemes registered with Register, sorted.
func Registered() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Default returns the resolver of file://, http(s):// and every scheme
// registered with Register (s3://, gs://…), each configured from the
// standard places of its ecosystem (AWS and Google environment variables
// and files). Registered schemes are built on first use, so missing
// credentials of a scheme nobody uses are no error. A reference of a known
// scheme that is not registered fails with core.ErrInvalid naming the
// import that registers it.
func Default() *Resolver {
	h := NewHTTP(nil)
	schemes := map[string]Scheme{
		"file":  NewFile(),
		"http":  h,
		"https": h,
	}
	registryMu.RLock()
	defer registryMu.RUnlock()
	for name, mk := range registry {
		schemes[name] = &lazy{mk: mk}
	}
	return NewResolver(schemes)
}

// Missing returns, for a reference uri of a scheme whose package was not
// imported (s3://, gs://: see Register), the core.ErrInvalid error that
// names the import to add; nil for any other uri. Callers check a URI with
// it early, before anything is listed or logged.
func Missing(uri string) error {
	u, err := url.Parse(uri)
	if err != nil {
		return nil
	}
	name := strings.ToLower(u.Scheme)
	registryMu.RLock()
	_, ok := registry[name]
	registryMu.RUnlock()
	if ok {
		return nil
	}
	return unregistered(uri, name)
}

// unregistered is the error for a reference of scheme when no scheme of that
// name is available: one naming the import that registers it, or nil when
// no package registers scheme.
func unregistered(uri, scheme string) error {
	pkg, ok := optional[scheme]
	if !ok {
		return nil
	}
	return core.Errorf(core.ErrInvalid, "reference %.200q: %s:// references need: import _ %q", uri, scheme, pkg)
}

// lazy builds a Scheme on first use.
type lazy struct {
	once sync.Once
	mk   Constructor
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

// Helpers for schemes implemented outside this package.

// Limit is how many objects a prefix may expand to: MaxObjects, or
// DefaultMaxObjects when that is 0.
func (o Options) Limit() int { return o.max() }

// SortObjects sorts objs by Rel, as Scheme.List returns them.
func SortObjects(objs []Object) { sortObjects(objs) }

// Changed is the core.ErrCorrupt error of reference entry e whose object
// is no longer what was logged; format and args say how.
func Changed(e core.Entry, format string, args ...any) error {
	return changed(e, format, args...)
}

// NewVerifier returns the reader a Scheme's Open returns: it reads rc and
// fails (Changed) unless rc holds exactly e.Size bytes and, when h is not
// nil, bytes whose h sum is sum. It never hands out a byte past e.Size.
func NewVerifier(rc io.ReadCloser, e core.Entry, h hash.Hash, sum []byte) io.ReadCloser {
	return &verifier{rc: rc, e: e, h: h, sum: sum}
}
