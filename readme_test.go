package trove_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeGoSnippets type-checks every Go function shown in README.md
// against this module, so the README never shows Go that does not compile
// (an unused variable, an ignored error assigned to _ that vet flags, an
// API that changed).
func TestReadmeGoSnippets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go code")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	var funcs []string
	for _, b := range blocks {
		if strings.HasPrefix(b[1], "func ") {
			funcs = append(funcs, b[1])
		}
	}
	if len(funcs) == 0 {
		t.Fatal("README.md shows no Go function: this test checks nothing")
	}
	imports := map[string]string{
		"context.": "context", "fmt.": "fmt", "os.": "os", "filepath.": "path/filepath",
		"time.": "time", "errors.": "errors", "log.": "log", "trove.": "github.com/troveml/trove",
	}
	for i, f := range funcs {
		var src strings.Builder
		src.WriteString("package main\n\nimport (\n")
		for use, path := range imports {
			if strings.Contains(f, use) {
				src.WriteString("\t\"" + path + "\"\n")
			}
		}
		src.WriteString(")\n\n" + f + "\nfunc main() {}\n")
		// A directory inside the module, so the snippet imports this
		// version of the SDK; go vet type-checks it.
		dir, err := os.MkdirTemp(".", "readmecheck")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("go", "vet", "./"+filepath.Base(dir)).CombinedOutput()
		if err != nil {
			t.Errorf("README.md Go snippet %d does not vet: %v\n%s\n%s", i+1, err, out, src.String())
		}
	}
}
