package charts_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/charts"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// RenderDir charts every file in a directory of fetched data; here two
// tickers of sample data, rendered by two workers.
func ExampleRenderDir() {
	dir, err := os.MkdirTemp("", "charts-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := sinks.New(sinks.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		log.Fatal(err)
	}
	for _, symbol := range []string{"AAPL", "MSFT"} {
		rec := sample.Bars(symbol, false, memory.NewGoAllocator())
		_, err := w.Write(context.Background(), sources.Series{Symbol: symbol, Record: rec})
		rec.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	paths, err := charts.RenderDir(context.Background(), filepath.Join(dir, "data"), filepath.Join(dir, "charts"),
		charts.Options{Runner: charts.NewRunner(2), Style: charts.Style{Width: 600, Height: 350}})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	// Output:
	// AAPL.png
	// MSFT.png
}

func ExampleFileName() {
	fmt.Println(charts.FileName("BRK.B", charts.SVG))
	fmt.Println(charts.FileName("../x", charts.PNG))
	// Output:
	// BRK.B.svg
	// _._x.png
}
