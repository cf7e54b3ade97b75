package torture_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTestsUseCheckedAllocators reads every test and fuzz function of the
// module (benchmarks and examples aside) and fails for each that hands
// Arrow an allocator that is not checked: memory.DefaultAllocator, or a
// memory.NewGoAllocator() not wrapped in memory.NewCheckedAllocator. Only
// a checked allocator, asserted empty at the end, shows a leaked record.
func TestTestsUseCheckedAllocators(t *testing.T) {
	root := moduleRoot(t)
	var found []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root:
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(path, "_test.go"):
			rel, _ := filepath.Rel(root, path)
			for _, use := range uncheckedAllocators(t, path) {
				found = append(found, rel+":"+use)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s: an unchecked Arrow allocator in a test", f)
	}
}

// uncheckedAllocators returns "line: function" for each unchecked
// allocator in the Test and Fuzz functions of the Go file at path.
func uncheckedAllocators(t *testing.T, path string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	isMemory := func(e ast.Expr, name string) bool {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != name {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && pkg.Name == "memory"
	}
	var found []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil || !(strings.HasPrefix(fn.Name.Name, "Test") || strings.HasPrefix(fn.Name.Name, "Fuzz")) {
			continue
		}
		checked := map[ast.Node]bool{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if isMemory(n.Fun, "NewCheckedAllocator") {
					for _, arg := range n.Args {
						checked[arg] = true
					}
				}
				if isMemory(n.Fun, "NewGoAllocator") && !checked[n] {
					found = append(found, fmt.Sprintf("%d: %s", fset.Position(n.Pos()).Line, fn.Name.Name))
				}
			case *ast.SelectorExpr:
				if isMemory(n, "DefaultAllocator") {
					found = append(found, fmt.Sprintf("%d: %s", fset.Position(n.Pos()).Line, fn.Name.Name))
				}
			}
			return true
		})
	}
	return found
}
