package sinks_test

import (
	"context"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/sinks"
)

// BenchmarkWriteParquet writes one symbol's twenty years of daily bars
// (5200 rows) per operation, in the files layout, fsync and rename
// included. MB/s counts the record's Arrow buffers.
func BenchmarkWriteParquet(b *testing.B) {
	for _, c := range []dataset.Compression{dataset.CompressionZstd, dataset.CompressionSnappy, dataset.CompressionNone} {
		b.Run(string(c), func(b *testing.B) {
			rec := fixture.DailyBars(memory.DefaultAllocator, "AAPL", 5200)
			defer rec.Release()
			w, err := sinks.New(sinks.Options{Dir: b.TempDir(), Compression: c})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(recordBytes(rec))
			b.ReportAllocs()
			var f dataset.File
			for b.Loop() {
				if f, err = w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rec.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(f.Bytes), "file-bytes")
		})
	}
}

// recordBytes returns the size of rec's buffers.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		for _, buf := range col.Data().Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return n
}
