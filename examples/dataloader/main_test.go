package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL", "MSFT")
	var out bytes.Buffer
	if err := run(context.Background(), &out, []string{"-in", dir, "-epochs", "2", "-window", "16", "-batch-size", "64"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 symbols [AAPL MSFT]", "batch 0: X [64 16 6] float32, Y [64 1] float32", "epoch 0:", "epoch 1:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunWithoutData(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), &bytes.Buffer{}, []string{"-in", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "loader fetch") {
		t.Errorf("run on an empty directory: %v, want a hint to run loader fetch", err)
	}
}
