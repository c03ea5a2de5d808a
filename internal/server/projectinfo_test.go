package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/troveml/trove/internal/service"
)

// TestListProjectsQuery: GET /api/v1/projects lists projects with their
// details; its entity parameter, when given, must be one valid name.
func TestListProjectsQuery(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	if _, err := e.svc.CreateRun(t.Context(), service.NewRun{Entity: "admin", Project: "p", JobType: "j"}); err != nil {
		t.Fatal(err)
	}
	st, _, b := e.do(t, "GET", "/api/v1/projects?entity=admin", nil)
	var got []service.ProjectInfo
	if st != http.StatusOK || json.Unmarshal(b, &got) != nil || len(got) != 1 || got[0] != (service.ProjectInfo{Entity: "admin", Name: "p", Runs: 1}) {
		t.Errorf("GET /api/v1/projects?entity=admin: %d %s", st, b)
	}
	for _, q := range []string{"entity=", "entity=a&entity=b", "entity=a%2Fb"} {
		st, hdr, b := e.do(t, "GET", "/api/v1/projects?"+q, nil)
		wantError(t, "?"+q, st, hdr, b, http.StatusBadRequest, "invalid")
	}
}
