package main

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestTrainLossFalls(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL", "MSFT")
	var out bytes.Buffer
	results, err := train(context.Background(), &out, dir, 3, 10, 8, 1e-3, "2019-12-31", "2022-12-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("%d epochs reported, want 3", len(results))
	}
	for i, r := range results {
		for _, v := range []float64{r.trainLoss, r.valLoss, r.valBaseline, r.valDirection} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("epoch %d: %+v is not finite", i+1, r)
			}
		}
		// On a random walk the best model predicts about the mean; a broken
		// one (leaking, diverging) would be far from it.
		if r.valLoss > 1.5*r.valBaseline {
			t.Errorf("epoch %d: val loss %.3f, baseline %.3f", i+1, r.valLoss, r.valBaseline)
		}
	}
	if first, last := results[0].trainLoss, results[2].trainLoss; last >= first {
		t.Errorf("training loss went from %.4f to %.4f, want falling", first, last)
	}
	if !strings.Contains(out.String(), "epoch 3  train loss") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestRunWithoutData(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), &bytes.Buffer{}, []string{"-in", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "loader fetch") {
		t.Errorf("run on an empty directory: %v, want a hint to run loader fetch", err)
	}
}
