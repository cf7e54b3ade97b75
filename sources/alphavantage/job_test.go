package alphavantage_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// TestJobStopReachesTheClient runs a fetch job over the client and stops
// it gracefully while two requests are in flight: those two finish and
// are written, and the server sees no other request, although the job
// had already handed the next symbol to a worker (issue 13: "4 requests
// where 2 were in flight").
func TestJobStopReachesTheClient(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{Faults: avserver.Faults{Latency: 500 * time.Millisecond}})
	av, err := alphavantage.New(alphavantage.Config{BaseURL: url, APIKey: testKey, Rate: math.Inf(1),
		Concurrency: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer av.Close()
	sink, err := sinks.New(sinks.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var symbols []string
	for i := range 8 {
		symbols = append(symbols, fmt.Sprintf("S%d", i))
	}
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		for deadline := time.Now().Add(10 * time.Second); srv.Stats().Requests < 2 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}()
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: symbols, Source: av, Sink: sink, Concurrency: 2, Stop: stop,
	})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, r := range report.Results {
		switch {
		case r.Status == dataset.StatusOK:
			ok++
		case r.Status != dataset.StatusSkipped:
			t.Errorf("%s: %s (%v), want skipped", r.Symbol, r.Status, r.Err)
		case !errors.Is(r.Err, fetch.ErrStopped) && !errors.Is(r.Err, sources.ErrStopped):
			t.Errorf("%s: skipped for %v, want the stop", r.Symbol, r.Err)
		}
	}
	if n := srv.Stats().Requests; ok != 2 || n != 2 {
		t.Errorf("%d symbols written, %d requests; want the 2 in flight at the stop, and no other request", ok, n)
	}
}
