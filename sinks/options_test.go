package sinks_test

import (
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/seed-c7c8f39b/loader/sinks"
)

func TestOptionsDefaults(t *testing.T) {
	w, err := sinks.New(sinks.Options{Dir: t.TempDir(), Format: "CSV"})
	if err != nil {
		t.Fatal(err)
	}
	got := w.Options()
	if got.Format != dataset.FormatCSV || got.Layout != dataset.LayoutFiles || got.Compression != dataset.CompressionZstd {
		t.Errorf("Options() = %+v, want csv, files, zstd", got)
	}
	if p, _ := w.Path("AAPL"); p != "AAPL.csv" {
		t.Errorf("Path(AAPL) = %q, want AAPL.csv", p)
	}
}
