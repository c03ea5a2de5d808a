package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteVerify(t *testing.T) {
	s := spec{files: 250, bytes: 3<<20 + 7, seed: 9}
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantErr string
	}{
		{"intact", func(*testing.T, string) {}, ""},
		{"flipped byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "d001", "f00123.bin")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 1
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "content differs"},
		{"truncated", func(t *testing.T, dir string) {
			if err := os.Truncate(filepath.Join(dir, "d000", "f00000.bin"), 10); err != nil {
				t.Fatal(err)
			}
		}, "short"},
		{"extended", func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, "d002", "f00249.bin"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("x"))
			f.Close()
		}, "long"},
		{"missing", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "d000", "f00042.bin")); err != nil {
				t.Fatal(err)
			}
		}, "no such file"},
		{"extra", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "d000", "stray"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "unexpected file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := writeTree(dir, s); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir)
			err := verifyTree(dir, s)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("verify: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("verify: got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTreeShape(t *testing.T) {
	dir := t.TempDir()
	s := spec{files: 3, bytes: 10, seed: 1}
	if err := writeTree(dir, s); err != nil {
		t.Fatal(err)
	}
	var total int64
	for i, want := range []int64{4, 3, 3} {
		fi, err := os.Stat(filepath.Join(dir, "d000", []string{"f00000.bin", "f00001.bin", "f00002.bin"}[i]))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != want {
			t.Errorf("file %d: %d bytes, want %d", i, fi.Size(), want)
		}
		total += fi.Size()
	}
	if total != 10 {
		t.Errorf("total %d bytes, want 10", total)
	}
	// Another seed is other content: verification must notice.
	if err := verifyTree(dir, spec{files: 3, bytes: 10, seed: 2}); err == nil {
		t.Error("a tree of seed 1 verified as seed 2")
	}
}
