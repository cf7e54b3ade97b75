package sinks_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/sinks"
)

func ExampleWriter() {
	dir, err := os.MkdirTemp("", "sinks-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	schema := arrow.NewSchema([]arrow.Field{
		{Name: "symbol", Type: arrow.BinaryTypes.String},
		{Name: "date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "close", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"AAPL", "AAPL"}, nil)
	b.Field(1).(*array.Date32Builder).AppendValues([]arrow.Date32{
		arrow.Date32FromTime(time.Date(2025, 12, 30, 0, 0, 0, 0, time.UTC)),
		arrow.Date32FromTime(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)),
	}, nil)
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{271.86, 272.19}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()

	w, err := sinks.New(sinks.Options{Dir: dir, Layout: sinks.LayoutHive})
	if err != nil {
		log.Fatal(err)
	}
	f, err := w.Write("AAPL", rec, map[string]string{"source": "sample"})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Path, f.Rows, f.FirstDate.Format(time.DateOnly), f.LastDate.Format(time.DateOnly))
	// Output: symbol=AAPL/part-0.parquet 2 2025-12-30 2025-12-31
}

func ExampleManifest() {
	dir, err := os.MkdirTemp("", "sinks-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	m, err := sinks.NewManifest(dir, sinks.Run{Started: time.Now(), Source: "sample"}, []string{"AAPL", "MSFT", "XXXX"})
	if err != nil {
		log.Fatal(err)
	}
	m.RecordOK("AAPL", sinks.File{Path: "AAPL.parquet", Rows: 5217, Bytes: 109876, SHA256: "9f2c"}, 1)
	m.RecordFailure("XXXX", 4, fmt.Errorf("fetch XXXX: unknown symbol"))
	m.Finish(time.Now())

	loaded, err := sinks.LoadManifest(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range loaded.Entries() {
		line := fmt.Sprintf("%s %s %d", e.Symbol, e.Status, e.Rows)
		if e.Reason != "" {
			line += " (" + e.Reason + ")"
		}
		fmt.Println(line)
	}
	fmt.Printf("%+v\n", loaded.Totals())
	// Output:
	// AAPL ok 5217
	// MSFT pending 0
	// XXXX failed 0 (fetch XXXX: unknown symbol)
	// {Symbols:3 OK:1 Failed:1 Skipped:0 Pending:1 CarriedOver:0 Rows:5217 Bytes:109876}
}

func ExampleSafeName() {
	for _, s := range []string{"BRK.B", "^GSPC", "../etc/passwd"} {
		name, _ := sinks.SafeName(s)
		fmt.Println(name)
	}
	// Output:
	// BRK.B
	// %5EGSPC
	// %2E.%2Fetc%2Fpasswd
}
