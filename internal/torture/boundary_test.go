package torture_test

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// readers are the packages that only read written files. They must link no
// HTTP client or server code, so that a training job or a chart run carries
// none of it.
var readers = []string{"./loader", "./charts", "./inspect", "./dataset"}

// httpCode is what a reader must not link: fasthttp, and the Alpha Vantage
// client and server built on it.
var httpCode = []string{
	"github.com/valyala/fasthttp",
	"github.com/seed-c7c8f39b/loader/sources/alphavantage",
}

// TestReadersLinkNoHTTPCode runs `go list -deps` on every reader and fails
// for each package of httpCode (or below one) it links, naming the chain of
// imports that pulls it in.
func TestReadersLinkNoHTTPCode(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	for _, pkg := range readers {
		t.Run(strings.TrimPrefix(pkg, "./"), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pkg)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", pkg, err)
			}
			imports := map[string][]string{}
			var top string
			for line := range strings.Lines(strings.TrimSpace(string(out))) {
				f := strings.Fields(line)
				imports[f[0]] = f[1:]
				top = f[0] // -deps lists a package after its dependencies
			}
			if len(imports) < 10 {
				t.Fatalf("go list -deps %s listed %d packages; the test cannot see its dependencies", pkg, len(imports))
			}
			for _, dep := range slices.Sorted(maps.Keys(imports)) {
				if slices.ContainsFunc(httpCode, func(bad string) bool { return dep == bad || strings.HasPrefix(dep, bad+"/") }) {
					t.Errorf("%s links %s: %s", pkg, dep, strings.Join(chain(imports, top, dep), " → "))
				}
			}
		})
	}
}

// chain returns a shortest import path from from to to in imports.
func chain(imports map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, imp := range imports[p] {
			if _, seen := prev[imp]; !seen {
				prev[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return []string{from, "…", to}
}
