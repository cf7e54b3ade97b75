package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/transform"
)

// countingSource is the sample source, counting its fetches.
type countingSource struct {
	sample.Source
	fetched atomic.Int64
}

func (c *countingSource) Fetch(ctx context.Context, sym string, mem memory.Allocator) (sources.Series, error) {
	c.fetched.Add(1)
	return c.Source.Fetch(ctx, sym, mem)
}

// csvSink writes CSV: these tests are about the stages, not the encoders.
func csvSink(t *testing.T) *sinks.Writer {
	t.Helper()
	w, err := sinks.New(sinks.Options{Dir: t.TempDir(), Format: dataset.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestQueueSizeBoundsWaitingSeries blocks the only writer on its first
// series and counts the series fetched once every stage is stuck: beyond
// the ones held by the stages' workers, exactly QueueSize wait.
func TestQueueSizeBoundsWaitingSeries(t *testing.T) {
	const concurrency = 2
	identity := func(rec arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		rec.Retain()
		return rec, nil
	}
	tests := []struct {
		queue     int
		transform transform.Func
	}{
		{queue: 1},
		{queue: 6},
		{queue: 1, transform: identity},
		{queue: 6, transform: identity},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("queue=%d/transform=%v", tt.queue, tt.transform != nil), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				// Held besides the queue: a series in each fetch worker,
				// blocked sending; one taken by write's dispatcher, waiting
				// for the writer; one in the writer. A transform adds one
				// in each of its workers and one taken by its dispatcher.
				want := concurrency + tt.queue + 2
				if tt.transform != nil {
					want += runtime.GOMAXPROCS(0) + 1
				}
				symbols := make([]string, want+1)
				for i := range symbols {
					symbols[i] = fmt.Sprintf("S%02d", i)
				}
				src, sink := &countingSource{}, csvSink(t)
				unblock := make(chan struct{})
				done := make(chan error)
				go func() {
					_, err := fetch.Run(context.Background(), fetch.Config{
						Symbols:      symbols,
						Source:       src,
						Transform:    tt.transform,
						Sink:         sink,
						Concurrency:  concurrency,
						QueueSize:    tt.queue,
						WriteWorkers: 1,
						OnResult:     func(fetch.Result) { <-unblock },
					})
					done <- err
				}()
				synctest.Wait()
				got := src.fetched.Load()
				close(unblock)
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if got != int64(want) {
					t.Fatalf("%d series fetched while the writer was blocked, want %d", got, want)
				}
				if n := src.fetched.Load(); n != int64(len(symbols)) {
					t.Fatalf("%d of %d symbols fetched once unblocked", n, len(symbols))
				}
			})
		})
	}
}

// TestRunNamesSymbolsFailedAfterFetch checks that a series failing in a stage
// after fetch is reported under its symbol.
func TestRunNamesSymbolsFailedAfterFetch(t *testing.T) {
	t.Parallel()
	errTransform := errors.New("no good")
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: []string{"AAPL", "MSFT"},
		Source:  sample.Source{},
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
		if res.Symbol != sym || res.Status != dataset.StatusFailed || !errors.Is(res.Err, errTransform) {
			t.Errorf("result %d = %+v, want %s failed by the transform", i, res, sym)
		}
	}
}

// fullDisk is a sink whose disk is full: every write fails with ENOSPC.
type fullDisk struct{ writes atomic.Int64 }

func (d *fullDisk) Write(_ context.Context, s sources.Series) (dataset.File, error) {
	d.writes.Add(1)
	return dataset.File{}, fmt.Errorf("write %s: %w", s.Symbol, syscall.ENOSPC)
}
func (d *fullDisk) Close() error { return nil }
func (d *fullDisk) Abort()       {}

// TestFullDiskStopsRequests checks that a disk that cannot keep what is
// fetched stops new fetches at once: beyond the series already in the
// stages when the first write fails, no symbol is fetched, and every one
// ends failed (its write failed) or skipped with the disk's reason.
func TestFullDiskStopsRequests(t *testing.T) {
	t.Parallel()
	const n, concurrency, queue, writers = 60, 2, 1, 1
	symbols := make([]string, n)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("S%02d", i)
	}
	src, sink := &countingSource{}, &fullDisk{}
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: symbols, Source: src, Sink: sink,
		Concurrency: concurrency, QueueSize: queue, WriteWorkers: writers,
	})
	if err != nil {
		t.Fatal(err)
	}
	// In flight when the first write fails, at most: a series in each
	// fetch worker, the queue, one taken by write's dispatcher, the one
	// being written.
	if got, most := src.fetched.Load(), int64(concurrency+queue+2+writers); got > most {
		t.Errorf("%d symbols fetched after the disk filled, want at most %d", got, most)
	}
	tot := report.Totals()
	if tot.Failed != int(sink.writes.Load()) || tot.Failed+tot.Skipped != n {
		t.Fatalf("totals %+v after %d writes", tot, sink.writes.Load())
	}
	for _, res := range report.Results {
		if res.Status == dataset.StatusSkipped && (!errors.Is(res.Err, syscall.ENOSPC) || !errors.Is(res.Err, sources.ErrStopped)) {
			t.Errorf("%s skipped for %v, want the full disk", res.Symbol, res.Err)
		}
	}
}
