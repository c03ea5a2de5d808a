// Package config keeps the user's Trove settings between commands: the
// server to talk to and the API key for each server, written by `trove
// login`. The file holds secrets, so it is created with mode 0600 and
// refused when others can read it.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// File is the content of the config file.
type File struct {
	// URL is the server used when TROVE_URL is unset; "" means the
	// embedded store.
	URL string `json:"url,omitempty"`
	// Keys maps a server URL (normalised by Normalize) to its API key.
	Keys map[string]string `json:"keys,omitempty"`
}

// DefaultPath returns $TROVE_CONFIG, else $XDG_CONFIG_HOME/trove/config.json,
// else ~/.config/trove/config.json.
func DefaultPath() (string, error) {
	if p := os.Getenv("TROVE_CONFIG"); p != "" {
		return p, nil
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "trove", "config.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", core.Errorf(core.ErrInvalid, "no config directory: set XDG_CONFIG_HOME or HOME: %w", err)
	}
	return filepath.Join(home, ".config", "trove", "config.json"), nil
}

// Load reads the config file at path. A missing file is an empty config.
func Load(path string) (File, error) {
	var f File
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, core.Errorf(core.ErrInvalid, "reading %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return f, core.Errorf(core.ErrPermission, "%s holds API keys but others can read it (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, core.Errorf(core.ErrInvalid, "%s is not a valid config file: %v", path, err)
	}
	return f, nil
}

// Save writes f to path atomically with mode 0600, creating the directory
// (0700) if needed.
func Save(path string, f File) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return core.Errorf(core.ErrInvalid, "creating %s: %w", filepath.Dir(path), err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return core.Errorf(core.ErrInvalid, "writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return core.Errorf(core.ErrInvalid, "writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return core.Errorf(core.ErrInvalid, "writing %s: %w", path, err)
	}
	return nil
}

// Normalize makes equivalent server URLs equal: no trailing slash, a
// lower-case scheme and host.
func Normalize(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		u = strings.ToLower(scheme) + "://" + strings.ToLower(host)
		if path != "" {
			u += "/" + path
		}
	}
	return u
}

// Key returns the API key saved for server u, or "".
func (f File) Key(u string) string { return f.Keys[Normalize(u)] }

// SetKey saves key for server u.
func (f *File) SetKey(u, key string) {
	if f.Keys == nil {
		f.Keys = map[string]string{}
	}
	f.Keys[Normalize(u)] = key
}

// String describes the file without its secrets.
func (f File) String() string {
	return fmt.Sprintf("url=%q, keys for %d server(s)", f.URL, len(f.Keys))
}
