package server

import (
	"net/http"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// verify checks the metadata database and re-hashes every referenced blob
// (service.Verifier), and with "repair" moves corrupt blobs aside and
// records the damaged ones as missing; for site administrators only: it
// reads the whole store.
func (s *Server) verify(r *http.Request, c *caller) (any, error) {
	if !c.p.User.Admin {
		return nil, core.Errorf(core.ErrPermission, "verifying the blob store needs a site administrator")
	}
	v, ok := s.svc.(service.Verifier)
	if !ok {
		return nil, core.Errorf(core.ErrNotFound, "this server cannot verify its blob store")
	}
	var opts service.VerifyOptions
	if r.ContentLength != 0 {
		if err := s.decode(r, &opts); err != nil {
			return nil, err
		}
	}
	if opts.Workers < 0 {
		return nil, core.Errorf(core.ErrInvalid, "workers %d: want 0 (GOMAXPROCS) or more", opts.Workers)
	}
	return v.Verify(r.Context(), opts)
}
