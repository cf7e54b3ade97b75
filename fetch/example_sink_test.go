package fetch_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/transform"
)

// lastCloses is a fetch.Sink of one's own: instead of writing files it keeps
// every symbol's last close in memory. Run calls Write from several
// goroutines at once, and releases each record after Write returns, so
// Write copies what it keeps.
type lastCloses struct {
	mu     sync.Mutex
	closes map[string]float64
}

func (s *lastCloses) Write(_ context.Context, series sources.Series) (dataset.File, error) {
	rec := series.Record
	idx := rec.Schema().FieldIndices(sources.ColClose)
	if len(idx) == 0 || rec.NumRows() == 0 {
		return dataset.File{}, fmt.Errorf("%s: no close", series.Symbol)
	}
	closes := rec.Column(idx[0]).(*array.Float64)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes[series.Symbol] = closes.Value(closes.Len() - 1)
	return dataset.File{Rows: rec.NumRows()}, nil
}

// Close has nothing to finish, and Abort nothing to discard: the values
// are only in memory.
func (s *lastCloses) Close() error { return nil }
func (s *lastCloses) Abort()       {}

// A Sink of one's own takes the series of a run: here the sample source's
// series of 2025, into memory.
func ExampleSink() {
	sink := &lastCloses{closes: map[string]float64{}}
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols:   []string{"AAPL", "MSFT", "IBM"},
		Source:    sample.Source{},
		Transform: transform.DateRange(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}),
		Sink:      sink,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, res := range report.Results {
		fmt.Printf("%s %s: %d rows, last close %.2f\n", res.Symbol, res.Status, res.File.Rows, sink.closes[res.Symbol])
	}
	// Output:
	// AAPL ok: 261 rows, last close 298.41
	// MSFT ok: 261 rows, last close 12.23
	// IBM ok: 261 rows, last close 11330.45
}
