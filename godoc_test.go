package trove

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// publicPackages are the directories of the module's public packages.
var publicPackages = []string{".", "scheme/s3", "scheme/gcs", "scheme/postgres"}

// publicDocs returns, for the package in dir, the comments users read with
// go doc: the package comment and every comment inside or on an exported
// declaration (field comments included), by declaration name.
func publicDocs(t *testing.T, dir string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil {
			docs["package"] += f.Doc.Text()
		}
		within := func(n ast.Node) string {
			var b strings.Builder
			for _, cg := range f.Comments {
				if cg.Pos() >= n.Pos() && cg.End() <= n.End() {
					b.WriteString(cg.Text())
				}
			}
			return b.String()
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) {
					docs[d.Name.Name] += d.Doc.Text()
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					var names []*ast.Ident
					switch s := s.(type) {
					case *ast.TypeSpec:
						names = []*ast.Ident{s.Name}
					case *ast.ValueSpec:
						names = s.Names
					}
					for _, n := range names {
						if n.IsExported() {
							docs[n.Name] += d.Doc.Text() + within(s)
						}
					}
				}
			}
		}
	}
	return docs
}

func exportedRecv(fl *ast.FieldList) bool {
	typ := fl.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// TestGoDocPublic: the public packages' documentation speaks to users: no
// design-document sections or internal file names, and the lineage types
// (aliases of internal ones, whose fields go doc does not show) describe
// every field and the node kinds.
func TestGoDocPublic(t *testing.T) {
	for _, dir := range publicPackages {
		for name, text := range publicDocs(t, dir) {
			for _, bad := range []string{"§", "DESIGN", "internal/", ".go "} {
				if strings.Contains(text, bad) {
					t.Errorf("%s: doc of %s mentions %q:\n%s", dir, name, bad, text)
				}
			}
		}
		if publicDocs(t, dir)["package"] == "" {
			t.Errorf("%s has no package documentation", dir)
		}
	}
	docs := publicDocs(t, ".")
	for _, tc := range []struct {
		name string
		typ  reflect.Type
		more []string
	}{
		{"Graph", reflect.TypeFor[core.Graph](), nil},
		{"Node", reflect.TypeFor[core.Node](), []string{"NodeArtifact", "NodeRun", `"artifact"`, `"run"`}},
		{"Edge", reflect.TypeFor[core.Edge](), nil},
	} {
		for i := range tc.typ.NumField() {
			if f := tc.typ.Field(i).Name; !strings.Contains(docs[tc.name], f+" ") {
				t.Errorf("the doc of %s does not describe its field %s", tc.name, f)
			}
		}
		for _, m := range tc.more {
			if !strings.Contains(docs[tc.name], m) {
				t.Errorf("the doc of %s does not mention %s", tc.name, m)
			}
		}
	}
	if NodeArtifact != "artifact" || NodeRun != "run" {
		t.Errorf("node kinds %q, %q; want artifact, run", NodeArtifact, NodeRun)
	}
}
