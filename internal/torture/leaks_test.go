package torture_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// listedPackage is the part of `go list -json` this test reads.
type listedPackage struct {
	ImportPath, Dir                    string
	GoFiles, TestGoFiles, XTestGoFiles []string
	Imports, TestImports, XTestImports []string
}

// concImports run goroutines on behalf of the package that uses them.
var concImports = []string{
	"github.com/sourcegraph/conc", "github.com/sourcegraph/conc/pool",
	"github.com/sourcegraph/conc/stream", "github.com/sourcegraph/conc/iter",
}

// serverImports start goroutines once a client, server or signal handler
// is running.
var serverImports = []string{"github.com/valyala/fasthttp", "net/http", "net/http/httptest", "os/signal"}

// TestEveryGoroutinePackageChecksLeaks finds the packages of the module
// whose tests start goroutines and fails for each that does not verify
// with goleak that none outlive them. A package starts goroutines when its
// code or its tests have a go statement, when it uses conc or a package
// of the module that starts goroutines for it (pipeline for fetch), or
// when it or its tests import an HTTP or signal package.
func TestEveryGoroutinePackageChecksLeaks(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(strings.NewReader(string(out))); dec.More(); {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}

	// engines start goroutines whenever their code runs.
	engines := map[string]bool{}
	for _, imp := range concImports {
		engines[imp] = true
	}
	for _, p := range pkgs {
		if hasGoStmt(t, p.Dir, p.GoFiles) {
			engines[p.ImportPath] = true
		}
	}
	for grown := true; grown; { // and so do the packages that use them
		grown = false
		for _, p := range pkgs {
			if !engines[p.ImportPath] && slices.ContainsFunc(p.Imports, func(imp string) bool { return engines[imp] }) {
				engines[p.ImportPath], grown = true, true
			}
		}
	}

	var checked []string
	for _, p := range pkgs {
		tests := append(slices.Clone(p.TestGoFiles), p.XTestGoFiles...)
		if len(tests) == 0 {
			continue
		}
		imports := append(append(slices.Clone(p.Imports), p.TestImports...), p.XTestImports...)
		why := ""
		switch {
		case engines[p.ImportPath]:
			why = "its code does"
		case hasGoStmt(t, p.Dir, tests):
			why = "its tests have a go statement"
		default:
			if i := slices.IndexFunc(imports, func(imp string) bool { return slices.Contains(serverImports, imp) }); i >= 0 {
				why = "imports " + imports[i]
			}
		}
		if why == "" {
			continue
		}
		checked = append(checked, strings.TrimPrefix(p.ImportPath, "github.com/seed-c7c8f39b/loader/")+" ("+why+")")
		if !mentions(t, p.Dir, tests, "VerifyTestMain(", "VerifyNone(", "goleak.Find(") {
			t.Errorf("%s starts goroutines (%s) but its tests do not check for leaks with goleak", p.ImportPath, why)
		}
	}
	t.Logf("packages that start goroutines: %s", strings.Join(checked, ", "))
}

// hasGoStmt reports whether any of files in dir has a go statement.
func hasGoStmt(t *testing.T, dir string, files []string) bool {
	t.Helper()
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		ast.Inspect(f, func(n ast.Node) bool {
			_, isGo := n.(*ast.GoStmt)
			found = found || isGo
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// mentions reports whether any of files in dir holds one of words.
func mentions(t *testing.T, dir string, files []string, words ...string) bool {
	t.Helper()
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if containsAny(string(b), words) {
			return true
		}
	}
	return false
}
