// Package testbin builds loader's command for the tests that must run it as
// a real process: to signal it, kill it, or search everything it printed.
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
	once  sync.Once
	built string
	err   error
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
	if testing.Short() {
		t.Skip("builds and drives the real loader binary")
	}
	once.Do(func() {
		dir, mkErr := os.MkdirTemp("", "loader-bin-")
		if mkErr != nil {
			err = mkErr
			return
		}
		built = filepath.Join(dir, "loader")
		cmd := exec.Command("go", "build", "-o", built, "./cmd/loader")
		cmd.Dir = ModuleRoot(t)
		if out, buildErr := cmd.CombinedOutput(); buildErr != nil {
			err = fmt.Errorf("go build ./cmd/loader: %v\n%s", buildErr, out)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return built
}

// Remove deletes the binary Loader built, if any.
func Remove() {
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
}
