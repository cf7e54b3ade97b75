package fetch_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/transform"
)

// TestRunSkipsAnEmptyDateRange checks that a symbol with no row in the
// date range is skipped with a reason saying so, in the report and the
// manifest, instead of becoming an empty ok file.
func TestRunSkipsAnEmptyDateRange(t *testing.T) {
	dir := t.TempDir()
	after := sample.End.AddDate(1, 0, 0)
	tf, err := transform.Build("", after, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	symbols := []string{"AAPL", "MSFT"}
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols:   symbols,
		Source:    &fakeSource{},
		Transform: tf,
		Sink:      newSink(t, dir),
		Manifest:  newManifest(t, dir, symbols, false),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range report.Results {
		if res.Status != dataset.StatusSkipped || !errors.Is(res.Err, transform.ErrEmptyRange) {
			t.Errorf("%s: %s, %v; want skipped for ErrEmptyRange", res.Symbol, res.Status, res.Err)
		}
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := m.Entry("AAPL")
	if e.Status != dataset.StatusSkipped || !strings.Contains(e.Reason, "no data in the range 2026-12-31 …: the series runs 2006-01-02 … 2025-12-31") {
		t.Errorf("manifest entry %+v", e)
	}
}

// TestRunCutOffSaysWhy checks that a symbol in flight when the run is
// aborted, and those never started, are reported with the context's cause,
// not "context canceled".
func TestRunCutOffSaysWhy(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancelCause(context.Background())
	src := &fakeSource{block: make(chan struct{}), started: make(chan struct{})}
	done := make(chan fetch.Report)
	sink := newSink(t, dir)
	symbols := []string{"BLOCK", "X1", "X2"}
	manifest := newManifest(t, dir, symbols, false)
	go func() {
		report, _ := fetch.Run(ctx, fetch.Config{Symbols: symbols, Source: src, Sink: sink, Manifest: manifest, Concurrency: 1})
		done <- report
	}()
	<-src.started
	cause := errors.New("aborted by a second interrupt")
	cancel(cause)
	report := <-done
	block := report.Results[0]
	var cut *fetch.CutOffError
	if block.Status != dataset.StatusFailed || !errors.As(block.Err, &cut) || !errors.Is(block.Err, cause) ||
		block.Err.Error() != "cut off: aborted by a second interrupt" {
		t.Errorf("BLOCK: %s, %v; want failed, cut off by the cause", block.Status, block.Err)
	}
	for _, res := range report.Results[1:] {
		if res.Status != dataset.StatusSkipped || !errors.Is(res.Err, cause) || strings.Contains(res.Err.Error(), "context canceled") {
			t.Errorf("%s: %s, %v; want skipped naming the cause", res.Symbol, res.Status, res.Err)
		}
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Entries() {
		if strings.Contains(e.Reason, "context canceled") {
			t.Errorf("manifest: %s: %q", e.Symbol, e.Reason)
		}
	}
}
