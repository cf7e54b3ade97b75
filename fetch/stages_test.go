package fetch_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// csvSink writes CSV: these tests are about the stages, not the encoders.
func csvSink(t *testing.T) *sinks.Writer {
	t.Helper()
	w, err := sinks.New(sinks.Options{Dir: t.TempDir(), Format: sinks.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestRunNamesSymbolsFailedAfterFetch checks that a series failing in a stage
// after fetch is reported under its symbol.
func TestRunNamesSymbolsFailedAfterFetch(t *testing.T) {
	t.Parallel()
	errTransform := errors.New("no good")
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: []string{"AAPL", "MSFT"},
		Source:  sources.Sample{},
		Transform: func(arrow.RecordBatch, memory.Allocator) (arrow.RecordBatch, error) {
			return nil, errTransform
		},
		Sink: csvSink(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, sym := range []string{"AAPL", "MSFT"} {
		res := report.Results[i]
		if res.Symbol != sym || res.Status != sinks.StatusFailed || !errors.Is(res.Err, errTransform) {
			t.Errorf("result %d = %+v, want %s failed by the transform", i, res, sym)
		}
	}
}
