package refs

// Placeholder, replaced by the file:// and http(s):// implementation (R1).

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/troveml/trove/internal/core"
)

type stub struct{ what string }

func (s stub) List(context.Context, *url.URL, Options) ([]Object, error) {
	return nil, core.Errorf(core.ErrUnavailable, "%s references are not implemented yet", s.what)
}

func (s stub) Open(context.Context, core.Entry) (io.ReadCloser, error) {
	return nil, core.Errorf(core.ErrUnavailable, "%s references are not implemented yet", s.what)
}

// NewFile returns the file:// scheme.
func NewFile() Scheme { return stub{"file"} }

// NewHTTP returns the http:// and https:// scheme; nil client means a
// default one.
func NewHTTP(c *http.Client) Scheme { return stub{"http"} }
