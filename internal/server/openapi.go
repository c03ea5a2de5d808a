package server

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of the routes in routes().
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(r *http.Request, _ *caller) (any, error) {
	return json.RawMessage(openAPIDoc), nil
}
