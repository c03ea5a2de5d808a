package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// blobPath is where the file blob store under data keeps content's blob.
func blobPath(data, content string) string {
	h := core.DigestOf([]byte(content)).Hex()
	return filepath.Join(data, "blobs", "sha256", h[:2], h)
}

// trove verify names the versions a corrupt or missing blob affects, and
// exits 1 when it found problems; on a server only site administrators may
// run it.
func TestVerifyCLI(t *testing.T) {
	check := func(t *testing.T, e *env, data, entity string) {
		const shared, gone = "weights shared by two models", "labels that will vanish"
		e.write("a/shared.bin", shared)
		e.write("a/gone.bin", gone)
		e.write("b/copy.bin", shared)
		e.ok("artifact", "put", "a", "-n", "a", "-t", "model")
		e.ok("artifact", "put", "b", "-n", "b", "-t", "model", "-p", "other")

		r := e.ok("verify")
		if !strings.HasPrefix(r.stdout, "checked 2 blobs (0.0 MiB): 0 corrupt, 0 missing\n") {
			t.Errorf("clean store: %q", r.stdout)
		}

		b, err := os.ReadFile(blobPath(data, shared))
		if err != nil {
			t.Fatal(err)
		}
		b[0] ^= 1
		if err := os.WriteFile(blobPath(data, shared), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(blobPath(data, gone)); err != nil {
			t.Fatal(err)
		}
		r = e.trove("verify")
		want := "checked 2 blobs (0.0 MiB): 1 corrupt, 1 missing\n" +
			"database (sqlite): ok\n" +
			"corrupt " + core.DigestOf([]byte(shared)).String() + ": " + entity + "/other/b:v0, " + entity + "/walkthrough/a:v0\n" +
			"missing " + core.DigestOf([]byte(gone)).String() + ": " + entity + "/walkthrough/a:v0\n"
		if r.code != 1 || r.stdout != want {
			t.Errorf("damaged store: exit %d, stdout\n%s\nwant exit 1, stdout\n%s\nstderr: %s", r.code, r.stdout, want, r.stderr)
		}
		r = e.trove("verify", "--json", "-j", "1")
		rep := jsonOf[struct {
			Checked int
			Corrupt []struct {
				Digest   string
				Error    string
				Versions []string
			}
			Missing []struct{ Digest string }
		}](t, r)
		if r.code != 1 || rep.Checked != 2 || len(rep.Corrupt) != 1 || len(rep.Corrupt[0].Versions) != 2 ||
			!strings.Contains(rep.Corrupt[0].Error, "corrupt") || len(rep.Missing) != 1 {
			t.Errorf("--json: exit %d, %+v", r.code, rep)
		}
		e.fails("-j", "verify", "-j", "-1")
	}
	t.Run("embedded", func(t *testing.T) {
		e := newEnv(t)
		check(t, e, filepath.Join(e.dir, "data"), "tester")
	})
	t.Run("server", func(t *testing.T) {
		e, _ := newServerEnv(t)
		data := filepath.Join(e.dir, "server")
		e.fails("site administrator", "verify")
		testerKey := e.vars[1]
		e.vars[1] = "TROVE_API_KEY=" + adminKey(t, data)
		e.vars = append(e.vars, "TROVE_ENTITY=tester")
		check(t, e, data, "tester")
		e.vars[1] = testerKey
		e.fails("site administrator", "verify")
	})
}

// Time-to-live from the command line: put --ttl, update --ttl, expiry.
func TestTTLCLI(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.write("d/f", "0")
		e.ok("artifact", "put", "d", "-n", "d")
		e.write("d/f", "1")
		info := jsonOf[map[string]any](t, e.ok("artifact", "put", "d", "-n", "d", "--ttl", "720h", "-a", "best", "--json"))
		created, _ := time.Parse(time.RFC3339Nano, info["created_at"].(string))
		expires, _ := time.Parse(time.RFC3339Nano, info["expires_at"].(string))
		if info["version"] != "v1" || !expires.Equal(created.Add(720*time.Hour)) {
			t.Fatalf("put --ttl 720h: %v", info)
		}
		info = jsonOf[map[string]any](t, e.ok("artifact", "info", "d:v1", "--json"))
		if info["expires_at"] != expires.UTC().Format(time.RFC3339Nano) {
			t.Errorf("info expires_at = %v, want %v", info["expires_at"], expires)
		}

		// Bad ttls change nothing.
		e.write("d/f", "2")
		for _, ttl := range []string{"0s", "soon", "-1h", "none"} {
			e.fails("ttl", "artifact", "put", "d", "-n", "d", "--ttl", ttl)
		}
		e.fails("ttl", "artifact", "update", "d:v1", "--ttl", "forever", "-d", "changed")
		info = jsonOf[map[string]any](t, e.ok("artifact", "info", "d:latest", "--json"))
		if info["version"] != "v1" || info["description"] != "" || info["expires_at"] == nil {
			t.Errorf("after refused commands: %v", info)
		}

		info = jsonOf[map[string]any](t, e.ok("artifact", "update", "d:v1", "--ttl", "none", "--json"))
		if _, ok := info["expires_at"]; ok {
			t.Errorf("update --ttl none: %v", info)
		}
		// A ttl already run out deletes the version at once: latest moves back.
		e.ok("artifact", "update", "d:v1", "--ttl", "1us")
		vs := jsonOf[[]map[string]any](t, e.ok("artifact", "versions", "d", "--json"))
		if len(vs) != 1 || vs[0]["version"] != "v0" {
			t.Errorf("versions after expiry: %v", vs)
		}
		e.fails("not found", "artifact", "info", "d:best")
	})
}
