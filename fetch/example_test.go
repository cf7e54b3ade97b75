package fetch_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/transform"
)

// Run fetches from a source into a sink: here the sample source's series,
// with their log returns, into one Parquet file per symbol, as `loader
// fetch` writes them.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "fetch-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	symbols := []string{"AAPL", "MSFT"}
	w, err := sinks.New(sinks.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols:   symbols,
		Source:    sample.Source{},
		Transform: transform.LogReturns(),
		Sink:      w,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, res := range report.Results {
		fmt.Printf("%s %s: %d rows in %s\n", res.Symbol, res.Status, res.File.Rows, res.File.Path)
	}
	t := report.Totals()
	fmt.Printf("%d ok, %d failed\n", t.OK, t.Failed)
	// Output:
	// AAPL ok: 5218 rows in AAPL.parquet
	// MSFT ok: 5218 rows in MSFT.parquet
	// 2 ok, 0 failed
}

// Run fetches an intraday range month by month: here two months of the
// sample source's hourly bars, one request per month, each month staged
// in the directory's store until the symbol's file is written.
func ExampleRun_intradayRange() {
	dir, err := os.MkdirTemp("", "fetch-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	kind := sources.Kind{Function: sources.Intraday, Interval: "60min"}
	w, err := sinks.New(sinks.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: []string{"IBM"},
		Source:  sample.Source{Kind: kind},
		Sink:    w,
		Kind:    kind,
		Range: fetch.Range{
			Start: time.Date(2025, time.March, 10, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2025, time.April, 30, 0, 0, 0, 0, time.UTC),
		},
		Staging: store.NewDir(dir),
	})
	if err != nil {
		log.Fatal(err)
	}
	res := report.Results[0]
	fmt.Printf("%s %s: %d bars from %s to %s in %d requests\n", res.Symbol, res.Status, res.File.Rows,
		res.File.FirstDate.Format(time.DateOnly), res.File.LastDate.Format(time.DateOnly), res.Attempts)
	// Output:
	// IBM ok: 228 bars from 2025-03-10 to 2025-04-30 in 2 requests
}
