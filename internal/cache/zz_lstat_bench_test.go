package cache

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkLstatOnly(b *testing.B) {
	paths := writeFiles(b, filepath.Join(b.TempDir(), "tree"), 10_000)
	for b.Loop() {
		for _, p := range paths {
			if _, err := os.Lstat(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
