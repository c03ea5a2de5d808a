package meta

import (
	"context"
	"net/url"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// Open opens the store a URL names:
//
//	postgres://… or postgresql://…   PostgreSQL (see OpenPostgres)
//	sqlite:///abs/path.db            SQLite file at an absolute path
//	sqlite://rel/path.db             SQLite file relative to the working directory
//	/any/path.db or rel/path.db      SQLite file at a plain path
//
// An unknown scheme is core.ErrInvalid.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	return OpenWith(ctx, rawURL, Options{})
}

// OpenWith is Open with Options.
func OpenWith(ctx context.Context, rawURL string, o Options) (*Store, error) {
	scheme, rest, isURL := splitScheme(rawURL)
	switch {
	case rawURL == "":
		return nil, core.Errorf(core.ErrInvalid, "database URL is empty")
	case !isURL:
		return OpenSQLiteWith(ctx, rawURL, o)
	case scheme == "postgres", scheme == "postgresql":
		return OpenPostgres(ctx, rawURL)
	case scheme == "sqlite":
		path, err := sqlitePath(rest)
		if err != nil {
			return nil, core.Errorf(core.ErrInvalid, "database URL %q: %w", rawURL, err)
		}
		return OpenSQLiteWith(ctx, path, o)
	}
	return nil, core.Errorf(core.ErrInvalid, "database URL %q: unknown scheme %q; known: postgres://, postgresql://, sqlite:// or a file path",
		redactURL(rawURL), scheme)
}

// splitScheme splits "scheme:rest" when s starts with a URL scheme
// followed by "//", or with one of the store's own schemes (so that
// "sqlite:x.db" is not taken for a file named so). Anything else, a Windows
// drive letter included, is a plain path.
func splitScheme(s string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i < 1 {
		return "", "", false
	}
	for j, c := range s[:i] {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", false
		}
	}
	scheme, rest = strings.ToLower(s[:i]), s[i+1:]
	switch {
	case strings.HasPrefix(rest, "//") && i > 1,
		scheme == "sqlite", scheme == "postgres", scheme == "postgresql":
		return scheme, rest, true
	}
	return "", "", false
}

// sqlitePath returns the file path of a sqlite: URL's rest ("///abs",
// "//rel", or "rel"), unescaped.
func sqlitePath(rest string) (string, error) {
	u, err := url.Parse("sqlite:" + rest)
	if err != nil {
		return "", err
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", core.Errorf(core.ErrInvalid, "a sqlite URL takes no user, parameters or fragment")
	}
	path := u.Opaque
	if path == "" {
		// sqlite://rel/x.db parses with host "rel".
		path = u.Host + u.Path
	} else if path, err = url.PathUnescape(path); err != nil {
		return "", err
	}
	if path == "" {
		return "", core.Errorf(core.ErrInvalid, "no file path")
	}
	return path, nil
}
