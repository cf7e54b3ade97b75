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

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/s3test"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
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
	intraday := writeIntraday(t)
	// tests/test_objstore.py reads a dataset on a real S3 server, named
	// to it by the standard AWS variables.
	s3 := s3test.Start(t, "goloader")
	env := append(os.Environ(), s3.Env()...)
	env = append(env, "GOLOADER_TEST_S3_BUCKET=goloader", "AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_ENDPOINT_URL_S3=")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests")
	cmd.Dir = root
	cmd.Env = append(env, "GOLOADER_LIB="+lib, "LOADER_BIN="+bin, "GOLOADER_INTRADAY_DATA="+intraday, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pytest python/tests: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}

// writeIntraday writes the intraday dataset of the pytest cases (their
// fixture intraday_data): the 30-minute sample bars of June 2024, regular
// hours, of AAPL and IBM, as Parquet files. It returns the directory.
func writeIntraday(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	kind := sources.Kind{Function: sources.Intraday, Interval: "30min"}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0) // after the records' releases, deferred below
	var series []sources.Series
	for _, sym := range []string{"AAPL", "IBM"} {
		rec := sources.NewRecord(kind, sym, sample.Intraday(sym, sources.Month{Year: 2024, Month: time.June}, kind, sample.End), mem)
		defer rec.Release()
		series = append(series, sources.Series{Symbol: sym, Record: rec})
	}
	loadertest.WriteSeries(t, sinks.Options{Dir: dir}, series...)
	return dir
}
