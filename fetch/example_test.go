package fetch_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
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
