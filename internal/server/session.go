package server

// Browser sessions. The web UI signs in once with an API key (POST
// /api/v1/session) and then carries a session cookie instead of the key:
// HttpOnly, so the page's script never holds a credential; SameSite=Strict,
// so other sites' pages do not send it; Secure over TLS. Every API route
// accepts the cookie where it accepts a bearer key, and a bearer key wins
// when a request has both.
//
// A cookie is sent by the browser whoever made the page, so a request that
// it authenticates and that changes something must also prove it comes from
// a page of this server: it carries the header X-Trove-CSRF: 1, which a
// page of another origin cannot add without a CORS preflight that this
// server never grants, and an Origin header, when it has one, naming this
// server. Bearer-key requests (scripts, the CLI, the SDK) need neither: no
// browser adds a bearer key on its own.

import (
	"net/http"
	"strings"
	"time"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// SessionCookie is the name of the cookie that carries a browser session.
const SessionCookie = "trove_session"

// CSRFHeader is the header a cookie-authenticated request that changes
// something must carry, with the value "1".
const CSRFHeader = "X-Trove-CSRF"

// sessionRequest is the body of POST /api/v1/session.
type sessionRequest struct {
	APIKey string `json:"api_key"`
}

// sessionResponse answers the session routes: who is signed in, as
// /api/v1/whoami tells it.
type sessionResponse struct {
	User meta.User `json:"user"`
}

// withCookie is a handler result that sets a cookie before res is written.
type withCookie struct {
	cookie *http.Cookie
	res    any
}

// sessionAuth returns the Auth's sessions, or core.ErrNotFound when it
// keeps none.
func (s *Server) sessionAuth() (SessionAuth, error) {
	if s.sessions == nil {
		return nil, core.Errorf(core.ErrNotFound, "this server has no browser sessions")
	}
	return s.sessions, nil
}

// sessionToken returns the session cookie of r, if it has one and the
// server keeps sessions.
func (s *Server) sessionToken(r *http.Request) (string, bool) {
	if s.sessions == nil {
		return "", false
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// authenticateSession authenticates a request by its session cookie,
// refusing an unsafe one that lacks the CSRF proof (checked first, so a
// forged request costs no database lookup).
func (s *Server) authenticateSession(r *http.Request, token string) (authz.Principal, error) {
	if !safeMethod(r.Method) {
		if err := checkCSRF(r); err != nil {
			return authz.Principal{}, err
		}
	}
	return s.sessions.AuthenticateSession(r.Context(), token)
}

// safeMethod reports whether a method changes nothing (RFC 9110 §9.2.1).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF checks that a browser request comes from a page of this server:
// it carries X-Trove-CSRF: 1, and its Origin, when it has one, is this
// server's. core.ErrPermission otherwise.
func checkCSRF(r *http.Request) error {
	if r.Header.Get(CSRFHeader) != "1" {
		return core.Errorf(core.ErrPermission,
			"the header %s: 1 is missing: a request signed in by the session cookie must send it to change anything", CSRFHeader)
	}
	if origin := r.Header.Get("Origin"); origin != "" && !strings.EqualFold(origin, requestOrigin(r)) {
		return core.Errorf(core.ErrPermission, "cross-origin request refused: Origin %.100q is not this server (%s)", origin, requestOrigin(r))
	}
	return nil
}

// requestOrigin is the origin (scheme://host) a browser names in the Origin
// header of a request to r's URL.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if secureRequest(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// secureRequest reports whether the browser reached the server over TLS:
// directly, or through a proxy that terminated TLS and says so with
// X-Forwarded-Proto, as load balancers in front of several replicas do. A
// page of another origin cannot set that header without a CORS preflight,
// so it is no way around the CSRF check.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sessionCookie returns the session cookie holding token for maxAge
// seconds; maxAge < 0 deletes the cookie.
func sessionCookie(r *http.Request, token string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r),
	}
}

// cookieMaxAge is a session lifetime in whole seconds, rounded up: the
// cookie never dies before the session, and never lives for 0 seconds,
// which would mean "delete it now".
func cookieMaxAge(ttl time.Duration) int {
	return int((ttl + time.Second - 1) / time.Second)
}

// startSession signs in: POST /api/v1/session with {"api_key": …}. It is
// a public route, but needs the CSRF proof too, so that no other site can
// sign a browser in to an account of its choosing (login CSRF).
func (s *Server) startSession(r *http.Request, _ *caller) (any, error) {
	sa, err := s.sessionAuth()
	if err != nil {
		return nil, err
	}
	if err := checkCSRF(r); err != nil {
		return nil, err
	}
	var req sessionRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if req.APIKey == "" {
		return nil, core.Errorf(core.ErrInvalid, "request body: field api_key is required")
	}
	token, p, err := sa.StartSession(r.Context(), req.APIKey, s.sessionTTL)
	if err != nil {
		return nil, err
	}
	infoOf(r.Context()).user = p.User.Name
	return withCookie{sessionCookie(r, token, cookieMaxAge(s.sessionTTL)), sessionResponse{User: p.User}}, nil
}

// getSession tells who is signed in: GET /api/v1/session, authenticated by
// the cookie (or a bearer key) like any route.
func (s *Server) getSession(r *http.Request, c *caller) (any, error) {
	return sessionResponse{User: c.p.User}, nil
}

// endSession signs out: DELETE /api/v1/session ends the cookie's session on
// the server and deletes the cookie. It is a public route, so that signing
// out always works, even with a session that has ended already.
func (s *Server) endSession(r *http.Request, _ *caller) (any, error) {
	sa, err := s.sessionAuth()
	if err != nil {
		return nil, err
	}
	if token, ok := s.sessionToken(r); ok {
		if err := checkCSRF(r); err != nil {
			return nil, err
		}
		if err := sa.EndSession(r.Context(), token); err != nil {
			return nil, err
		}
	}
	return withCookie{sessionCookie(r, "", -1), noContent{}}, nil
}
