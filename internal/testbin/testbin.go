// Package testbin builds loader's command for the tests that must run it as
// a real process: to signal it, kill it, or search everything it printed;
// and the C library of the Python package, for the tests that run Python;
// and it watches such a process's peak memory (WatchPeakRSS).
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	dir   string                // the temporary directory of everything built
	built = map[string]string{} // path by what was built
	fails = map[string]error{}
)

// ModuleRoot returns the directory of loader's go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside the loader module")
	}
	return filepath.Dir(gomod)
}

// Loader builds cmd/loader once per test binary and returns its path. It
// skips the test under -short. Call Remove from TestMain when the tests are
// done.
func Loader(t testing.TB) string {
	t.Helper()
	return build(t, "loader", nil, "./cmd/loader")
}

// Library builds libgoloader.so, the C library of the Python package
// goloader, once per test binary, and returns its path: point GOLOADER_LIB
// at it. It is built without the race detector whatever the test's flags
// (Python loads it, and runs no Go test). It needs a C compiler and skips
// the test under -short. Call Remove from TestMain when the tests are done.
func Library(t testing.TB) string {
	t.Helper()
	return build(t, "libgoloader.so", []string{"CGO_ENABLED=1"}, "-buildmode=c-shared", "./python/libgoloader")
}

// build runs go build -o dir/name args once, with env added to the
// environment, and returns the path.
func build(t testing.TB, name string, env []string, args ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and drives the real loader binary or library")
	}
	mu.Lock()
	defer mu.Unlock()
	if path, ok := built[name]; ok {
		return path
	}
	if err, ok := fails[name]; ok {
		t.Fatal(err)
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "loader-bin-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command("go", append([]string{"build", "-o", path}, args...)...)
	cmd.Dir = ModuleRoot(t)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fails[name] = fmt.Errorf("go build %s: %v\n%s", strings.Join(args, " "), err, out)
		t.Fatal(fails[name])
	}
	built[name] = path
	return path
}

// Remove deletes what Loader and Library built, if anything.
func Remove() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
	}
}
