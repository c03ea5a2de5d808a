// Package wire defines the JSON bodies of Trove's HTTP API that are not
// service types, shared by the server and the client so they cannot drift;
// the OpenAPI document in internal/server describes them.
package wire

import (
	"net/http"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// ErrorBody is the JSON of every error answer; the client rebuilds the
// error's kind from its code.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is what an error answer says: a kind's code (core.Code) and a
// message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Runs.

// FinishRequest is the body of POST /runs/{id}/finish.
type FinishRequest struct {
	State core.RunState `json:"state"`
}

// UseRequest is the body of POST /runs/{id}/inputs.
type UseRequest struct {
	Ref core.Ref `json:"ref"`
}

// Blobs.

// MissingRequest is the body of POST /blobs/missing.
type MissingRequest struct {
	Digests []core.Digest `json:"digests"`
}

// MissingResponse is the answer of POST /blobs/missing.
type MissingResponse struct {
	Missing []core.Digest `json:"missing"`
}

// UploadRequest is the body of POST /blobs/{digest}/upload.
type UploadRequest struct {
	Size int64 `json:"size"` // -1 when unknown
}

// UploadTarget is the answer of POST /blobs/{digest}/upload: where a client
// is to send a blob's bytes.
type UploadTarget struct {
	// Stored: the blob is already stored; there is nothing to send.
	Stored bool `json:"stored"`
	// URL is a presigned URL to PUT the bytes to, with Headers and
	// Content-Length set; "" means PUT them to the blob's API URL.
	URL     string      `json:"url,omitempty"`
	Headers http.Header `json:"headers,omitempty"`
	// Presigns says whether this server ever hands out presigned
	// uploads; when not, clients may skip asking.
	Presigns bool `json:"presigns"`
}

// Ingested is the answer of POST /blobs, which stores a blob sent without
// its digest: the digest the server computed and the bytes it stored.
type Ingested struct {
	Digest core.Digest `json:"digest"`
	Size   int64       `json:"size"`
}

// Accounts.

// CreateUserRequest is the body of POST /users.
type CreateUserRequest struct {
	Name  string `json:"name"`
	Admin bool   `json:"admin"`
}

// CreateUserResponse is the answer of POST /users.
type CreateUserResponse struct {
	User   meta.User `json:"user"`
	APIKey string    `json:"api_key"` // shown once, never stored
}

// CreateKeyRequest is the body of POST /users/{user}/keys.
type CreateKeyRequest struct {
	Label string `json:"label"`
}

// CreateKeyResponse is the answer of POST /users/{user}/keys.
type CreateKeyResponse struct {
	Key    meta.APIKey `json:"key"`
	APIKey string      `json:"api_key"` // shown once, never stored
}

// CreateTeamRequest is the body of POST /teams.
type CreateTeamRequest struct {
	Name string `json:"name"`
}

// SetMemberRequest is the body of PUT /teams/{team}/members/{user}.
type SetMemberRequest struct {
	Role meta.Role `json:"role"`
}

// VisibilityRequest is the body of PUT /projects/{entity}/{project}/visibility.
// Public is a pointer so that the server can refuse a body without it
// rather than take it for false.
type VisibilityRequest struct {
	Public *bool `json:"public"`
}
