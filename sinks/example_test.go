package sinks_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"

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

	w, err := sinks.New(sinks.Options{Dir: dir, Layout: dataset.LayoutHive})
	if err != nil {
		log.Fatal(err)
	}
	f, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec, Meta: map[string]string{"source": "sample"}})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Path, f.Rows, f.FirstDate.Format(time.DateOnly), f.LastDate.Format(time.DateOnly))
	// Output: symbol=AAPL/part-0.parquet 2 2025-12-30 2025-12-31
}
