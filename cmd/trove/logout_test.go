package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/config"
)

// TestLogout: trove logout removes the saved login of the default server
// (or of the one named, or --all), says what it removed on stderr, leaves
// the file in the format trove login writes (which the Python package reads
// too), and with nothing saved says so and exits 0. Bad input changes
// nothing.
func TestLogout(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	alice := s.user("alice")
	key := keyOf(alice)
	cfgPath := filepath.Join(alice.dir, "home-logout", "config.json")
	e := alice.with("TROVE_URL=", "TROVE_API_KEY=", "TROVE_CONFIG="+cfgPath)
	load := func() config.File {
		t.Helper()
		f, err := config.Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	// Nothing saved: said, exit 0, no file written.
	if r := e.ok("logout"); !strings.Contains(r.stderr, "not logged in: no server saved in "+cfgPath) {
		t.Errorf("logout with nothing saved: %q", r.stderr)
	}
	if _, err := os.Stat(cfgPath); !os.IsNotExist(err) {
		t.Fatalf("logout with nothing saved wrote %s (%v)", cfgPath, err)
	}

	if r := e.troveStdin(key+"\n", "login", s.srv.url); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	// Another server's key, saved by hand as trove login would.
	f := load()
	other := "http://other.example:8080"
	f.SetKey(other, "trove_other")
	if err := config.Save(cfgPath, f); err != nil {
		t.Fatal(err)
	}
	saved := e.read(cfgPath)

	// Bad input changes nothing.
	e.fails("needs a server URL", "logout", "127.0.0.1:8080")
	e.fails("not both", "logout", s.srv.url, "--all")
	e.fails("unknown flag", "logout", "--everything")
	if got := e.read(cfgPath); got != saved {
		t.Fatalf("refused logouts changed %s:\n%s\nwas\n%s", cfgPath, got, saved)
	}

	// The default server: its key and the default go, the other key stays.
	r := e.ok("logout")
	if want := "trove: logged out of " + config.Normalize(s.srv.url) + " (removed from " + cfgPath + ")"; !strings.Contains(r.stderr, want) {
		t.Errorf("logout said %q, want %q", r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("logout printed %q on stdout", r.stdout)
	}
	if f := load(); f.URL != "" || f.Key(s.srv.url) != "" || f.Key(other) != "trove_other" {
		t.Errorf("after logout the config is %v, want only the other server's key", f)
	}
	if m := mode(t, cfgPath); m != 0o600 {
		t.Errorf("%s has mode %04o after logout, want 0600", cfgPath, m)
	}
	e.fails("run trove login", "user", "whoami")
	// Again: nothing saved for it any more.
	if r := e.ok("logout", s.srv.url); !strings.Contains(r.stderr, "not logged in to "+config.Normalize(s.srv.url)) {
		t.Errorf("second logout: %q", r.stderr)
	}

	// TROVE_URL names the server when given; TROVE_API_KEY is pointed out.
	r = e.with("TROVE_URL="+other+"/", "TROVE_API_KEY="+key).ok("logout")
	if !strings.Contains(r.stderr, "logged out of "+other) || !strings.Contains(r.stderr, "TROVE_API_KEY is still set") {
		t.Errorf("logout of $TROVE_URL: %q", r.stderr)
	}

	// --all: every server.
	if r := e.troveStdin(key+"\n", "login", s.srv.url); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	f = load()
	f.SetKey(other, "trove_other")
	if err := config.Save(cfgPath, f); err != nil {
		t.Fatal(err)
	}
	r = e.ok("logout", "--all")
	if !strings.Contains(r.stderr, "logged out of "+other) || !strings.Contains(r.stderr, "logged out of "+config.Normalize(s.srv.url)) {
		t.Errorf("logout --all: %q", r.stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(e.read(cfgPath)), &raw); err != nil || len(raw) != 0 {
		t.Errorf("after logout --all the file is %q (%v), want {}", e.read(cfgPath), err)
	}
	if r := e.ok("logout", "--all"); !strings.Contains(r.stderr, "not logged in") {
		t.Errorf("logout --all with nothing saved: %q", r.stderr)
	}
}
