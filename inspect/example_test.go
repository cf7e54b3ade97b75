package inspect_test

import (
	"context"
	"log"
	"os"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/inspect"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

func ExamplePath() {
	dir, err := os.MkdirTemp("", "inspect-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	full := sample.Bars("IBM", false, memory.NewGoAllocator())
	defer full.Release()
	rec := full.NewSlice(0, 3)
	defer rec.Release()
	w, err := sinks.New(sinks.Options{Dir: dir, Format: dataset.FormatCSV})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := w.Write(context.Background(), sources.Series{Symbol: "IBM", Record: rec}); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	if err := inspect.Path(context.Background(), os.Stdout, dir, memory.NewGoAllocator()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// IBM.csv
	//   format    csv
	//   rows      3
	//   schema    symbol utf8, date date32, open float64, high float64, low float64, close float64, volume int64
	//   symbols   1
	//     IBM     3 rows  2006-01-02 .. 2006-01-04
	//   metadata  none
	//   column  first       last
	//   symbol  IBM         IBM
	//   date    2006-01-02  2006-01-04
	//   open    474.5185    471.5995
	//   high    483.6996    475.0054
	//   low     468.1301    466.2883
	//   close   469.1549    467.9514
	//   volume  4916094     3341995
	//
	// total: 1 file, 3 rows, 1 symbol
	//   IBM  3 rows  2006-01-02 .. 2006-01-04
}
