// The Python package's tests run under `go test ./...`: this test builds
// the C library the package loads and the loader command its tests compare
// with, starts a real S3 server for the tests of s3:// paths, then runs
// pytest on python/tests and fails when it fails.
package python

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/s3test"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Remove()
	os.Exit(code)
}

func TestPytest(t *testing.T) {
	py, ok := loadertest.FindPython("numpy", "pytest", "torch")
	if !ok {
		if py, ok = loadertest.FindPython("numpy", "pytest"); !ok {
			py = loadertest.Python(t, "numpy") // skips when there is none
			t.Fatalf("%s cannot import pytest (on Debian: apt-get install python3-pytest)", py)
		}
		t.Logf("%s cannot import torch: the torch cases skip (on Debian: apt-get install python3-torch)", py)
	}
	root := testbin.ModuleRoot(t)
	bin, lib := testbin.Loader(t), testbin.Library(t)
	// tests/test_objstore.py reads a dataset on a real S3 server, named
	// to it by the standard AWS variables.
	s3 := s3test.Start(t, "goloader")
	env := append(os.Environ(), s3.Env()...)
	env = append(env, "GOLOADER_TEST_S3_BUCKET=goloader", "AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_ENDPOINT_URL_S3=")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests")
	cmd.Dir = root
	cmd.Env = append(env, "GOLOADER_LIB="+lib, "LOADER_BIN="+bin, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pytest python/tests: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}
