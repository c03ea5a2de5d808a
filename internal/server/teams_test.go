package server

import (
	"bytes"
	"strings"
	"testing"
)

// TestTeamsUpToCaseAndHidden: over HTTP, a team's members are listed to its
// members only, and anyone else gets the very answer a team that does not
// exist gets; no account is named like another up to case.
func TestTeamsUpToCaseAndHidden(t *testing.T) {
	w := newAccessWorld(t, false)
	status, _, body := w.call(t, "GET", apiPrefix+"/teams/lab/members", w.keys["viewer"], "")
	if status != 200 || !strings.Contains(string(body), `"member"`) {
		t.Fatalf("a member lists the members: %d %s", status, body)
	}
	{
		const user = "stranger"
		hs, hh, hidden := w.call(t, "GET", apiPrefix+"/teams/lab/members", w.keys[user], "")
		ms, _, missing := w.call(t, "GET", apiPrefix+"/teams/bal/members", w.keys[user], "")
		wantAccessError(t, hs, hh, hidden, 404)
		if ms != 404 || !bytes.Equal(hidden, bytes.ReplaceAll(missing, []byte(`\"bal\"`), []byte(`\"lab\"`))) {
			t.Errorf("%s: members of a team it is not in: %d %s; of no team: %d %s; want the same answer", user, hs, hidden, ms, missing)
		}
		// Managing it: the same.
		for _, method := range []string{"PUT", "DELETE"} {
			s1, _, b1 := w.call(t, method, apiPrefix+"/teams/lab/members/stranger", w.keys[user], `{"role":"admin"}`)
			s2, _, b2 := w.call(t, method, apiPrefix+"/teams/bal/members/stranger", w.keys[user], `{"role":"admin"}`)
			if s1 != 404 || s2 != 404 || !bytes.Equal(b1, bytes.ReplaceAll(b2, []byte(`\"bal\"`), []byte(`\"lab\"`))) {
				t.Errorf("%s %s a member of a team it is not in: %d %s; of no team: %d %s", user, method, s1, b1, s2, b2)
			}
		}
	}
	for _, name := range []string{"LAB", "Owner", "STRANGER"} {
		status, _, body := w.call(t, "POST", apiPrefix+"/teams", w.keys["stranger"], `{"name":"`+name+`"}`)
		if status != 409 {
			t.Errorf("team %s beside an account named like it: %d %s, want 409", name, status, body)
		}
	}
	status, _, body = w.call(t, "POST", apiPrefix+"/users", w.keys["admin"], `{"name":"Lab"}`)
	if status != 409 {
		t.Errorf("user Lab beside the team lab: %d %s, want 409", status, body)
	}
}
