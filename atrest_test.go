package trove

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
)

// TestEmbeddedEncryption: with Options.EncryptionKeyFile (or
// TROVE_ENCRYPTION_KEY_FILE) an embedded store keeps its blobs encrypted;
// opening it without the key or with another fails and writes nothing, and
// so does a key for a store that keeps its blobs in plain.
func TestEmbeddedEncryption(t *testing.T) {
	ctx := context.Background()
	t.Setenv(EnvEncryptionKeyFile, "")
	dir := t.TempDir()
	newKey := func(name string) (string, string) {
		k := make([]byte, 32)
		rand.Read(k)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, k, 0o600); err != nil {
			t.Fatal(err)
		}
		id, err := blob.KeyID(k)
		if err != nil {
			t.Fatal(err)
		}
		return p, id
	}
	key1, id1 := newKey("key1")
	key2, id2 := newKey("key2")
	data := filepath.Join(dir, "data")
	open := func(keyFile, url string) (*Client, error) {
		return Open(ctx, Options{URL: url, CacheDir: filepath.Join(dir, "cache"), Entity: "tester", Project: "enc", EncryptionKeyFile: keyFile})
	}
	logFile := func(c *Client, name, content string) *Version {
		t.Helper()
		r, err := c.StartRun(ctx, RunOptions{JobType: "test"})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Finish(ctx)
		a := NewArtifact("secret", "dataset")
		if err := a.AddFile(write(t, filepath.Join(dir, "work", name), content)); err != nil {
			t.Fatal(err)
		}
		v, err := r.LogArtifact(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	marker := "SDK-PLAINTEXT-MARKER-5ea1"

	c, err := open(key1, data)
	if err != nil {
		t.Fatal(err)
	}
	logFile(c, "a.txt", marker+" v0")
	c.Close()
	blobs := func() map[string]string {
		t.Helper()
		out := map[string]string{}
		err := filepath.WalkDir(filepath.Join(data, "blobs"), func(p string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			out[p] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := blobs()
	for p, b := range before {
		if strings.Contains(b, marker) {
			t.Errorf("%s holds plaintext", p)
		}
	}

	for _, tc := range []struct {
		key, want string
	}{
		{"", "is encrypted (key id " + id1 + ") and no key was given: give its key file with TROVE_ENCRYPTION_KEY_FILE"},
		{key2, "is encrypted under another key (key id " + id1 + "; the key given has id " + id2 + ")"},
	} {
		if c, err := open(tc.key, data); err == nil || !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			if c != nil {
				c.Close()
			}
			t.Errorf("open with key %q: %v; want core.ErrInvalid containing %q", tc.key, err, tc.want)
		}
	}
	if after := blobs(); !maps.Equal(before, after) {
		t.Errorf("refused opens changed the blobs")
	}

	// The key from the environment: reads what was logged, logs more.
	t.Setenv(EnvEncryptionKeyFile, key1)
	c, err = open("", "file://"+data)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Artifact(ctx, "secret:v0")
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Download(ctx, filepath.Join(dir, "got"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(got, "a.txt")); err != nil || string(b) != marker+" v0" {
		t.Errorf("download with the key: %q, %v", b, err)
	}
	if v1 := logFile(c, "b.txt", marker+" v1"); v1.Label() != "v1" {
		t.Errorf("second log: %s", v1.Label())
	}

	// A key for a store that keeps its blobs in plain.
	t.Setenv(EnvEncryptionKeyFile, "")
	plain := filepath.Join(dir, "plain")
	pc, err := open("", plain)
	if err != nil {
		t.Fatal(err)
	}
	pc.Close()
	if _, err := open(key1, plain); !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "is not encrypted") {
		t.Errorf("key on a plain store: %v; want core.ErrInvalid saying it is not encrypted", err)
	}

	// A bad key file is refused before the store is touched.
	loose := filepath.Join(dir, "loose")
	if err := os.WriteFile(loose, bytes.Repeat([]byte{1}, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh")
	if _, err := open(loose, fresh); !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "TROVE_ENCRYPTION_KEY_FILE: encryption key file") {
		t.Errorf("loose key file: %v", err)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a refused open created the data directory (%v)", err)
	}

	// A server URL ignores the setting: the server has its own key.
	t.Setenv(EnvEncryptionKeyFile, loose)
	if _, err := open("", "http://127.0.0.1:1"); err != nil && strings.Contains(err.Error(), "encryption key") {
		t.Errorf("a server URL read the key file: %v", err)
	}
}
