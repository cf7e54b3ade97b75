package fuzzbrief_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/seed-c7c8f39b/loader/internal/testbin"
)

// TestFuzzBriefly runs each fuzz target of the module for a count of
// executions.
//
// The budget is a count, not a duration: go1.26's fuzzing coordinator can
// report a spurious "context deadline exceeded" when a -fuzztime duration
// runs out while a worker is mid-input (go.dev/issue/75804, fixed in 1.27).
func TestFuzzBriefly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -fuzz in subprocesses")
	}
	long := os.Getenv("LOADER_TORTURE") == "long"
	execs, timeout := 5_000, 10*time.Minute
	if long {
		execs, timeout = 1_000_000, 30*time.Minute
	}
	root := testbin.ModuleRoot(t)
	targets := fuzzTargets(t, root)
	for _, ft := range targets {
		t.Run(strings.TrimPrefix(ft.pkg, "./")+"/"+ft.name, func(t *testing.T) {
			// The timeout only guards against a hang: building a target
			// with fuzzing instrumentation (Arrow and Parquet for some)
			// takes minutes on a loaded 2-core machine.
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, "go", "test", "-run=^$", "-fuzz=^"+ft.name+"$",
				fmt.Sprintf("-fuzztime=%dx", execs), "-parallel=1", ft.pkg)
			cmd.Dir = root
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go test -fuzz=%s %s: %v\n%s", ft.name, ft.pkg, err, tail(out))
			}
			t.Logf("%d executions in %v", execs, time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// TestFindsTheFuzzTargets keeps the discovery honest: it must find targets
// that are known to exist, in internal and external test packages.
func TestFindsTheFuzzTargets(t *testing.T) {
	targets := fuzzTargets(t, testbin.ModuleRoot(t))
	for _, want := range []fuzzTarget{
		{"./sources/alphavantage", "FuzzDecodeJSON"},
		{"./sources/alphavantage", "FuzzParseWireDate"},
		{"./internal/tablefile", "FuzzDecode"},
		{"./dataset", "FuzzLoadManifest"},
	} {
		if !slices.Contains(targets, want) {
			t.Errorf("%s %s not found among %v", want.pkg, want.name, targets)
		}
	}
}

type fuzzTarget struct{ pkg, name string }

// fuzzTargets returns every func FuzzXxx(*testing.F) in the module's test
// files, by package directory and name, sorted.
func fuzzTargets(t *testing.T, root string) []fuzzTarget {
	t.Helper()
	var targets []fuzzTarget
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "node_modules") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && isFuzzTarget(fn) {
				targets = append(targets, fuzzTarget{"./" + filepath.ToSlash(rel), fn.Name.Name})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("finding the fuzz targets: %v", err)
	}
	slices.SortFunc(targets, func(a, b fuzzTarget) int {
		return strings.Compare(a.pkg+" "+a.name, b.pkg+" "+b.name)
	})
	return targets
}

// isFuzzTarget reports whether fn is func FuzzXxx(f *testing.F), as go test
// finds them.
func isFuzzTarget(fn *ast.FuncDecl) bool {
	name, ok := strings.CutPrefix(fn.Name.Name, "Fuzz")
	if !ok || fn.Recv != nil || fn.Type.Params.NumFields() != 1 || (name != "" && unicode.IsLower([]rune(name)[0])) {
		return false
	}
	star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "F" && fmt.Sprint(sel.X) == "testing"
}

func tail(b []byte) []byte {
	const n = 4000
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
