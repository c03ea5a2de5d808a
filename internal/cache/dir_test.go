package cache

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultDir(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory:", err)
	}
	cwd, _ := os.Getwd()
	tests := []struct {
		name, trove, xdg, want string
	}{
		{"TROVE_CACHE_DIR wins", "/srv/cache", "/xdg", "/srv/cache"},
		{"TROVE_CACHE_DIR relative", "rel/cache", "", filepath.Join(cwd, "rel/cache")},
		{"XDG_CACHE_HOME", "", "/xdg", "/xdg/trove"},
		{"relative XDG_CACHE_HOME ignored", "", "xdg", filepath.Join(home, ".cache", "trove")},
		{"default", "", "", filepath.Join(home, ".cache", "trove")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TROVE_CACHE_DIR", tt.trove)
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			got, err := DefaultDir()
			if err != nil || got != tt.want {
				t.Errorf("DefaultDir() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
