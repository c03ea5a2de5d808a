package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/troveml/trove/internal/core"
)

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.json")
	f, err := Load(path)
	if err != nil || f.URL != "" || len(f.Keys) != 0 {
		t.Fatalf("missing file: %+v, %v", f, err)
	}
	f.URL = "http://127.0.0.1:8080"
	f.SetKey("HTTP://127.0.0.1:8080/", "trove_secret")
	if err := Save(path, f); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.URL != f.URL || g.Key("http://127.0.0.1:8080") != "trove_secret" {
		t.Errorf("loaded %+v", g)
	}
	if g.Key("http://other:1") != "" {
		t.Error("key for an unknown server")
	}
}

func TestLoadRefusesReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"keys":{"http://a":"k"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); !errors.Is(err, core.ErrPermission) {
		t.Fatalf("world-readable config: %v, want permission error", err)
	}
}

func TestLoadBadJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"keys":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("bad JSON: %v, want invalid", err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"http://Host:80/":         "http://host:80",
		"HTTPS://x.example/trove": "https://x.example/trove",
		" http://a ":              "http://a",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
