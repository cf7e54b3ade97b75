// Package bench_test holds the benchmarks bench/run.sh needs beyond the
// packages' own: they measure choices the packages have not made yet.
package bench_test

import (
	"bytes"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// BenchmarkParquetCodec encodes one symbol's full sample history to Parquet
// in memory with the sink's settings (sinks/encode.go: no dictionary) under
// each codec and level, to weigh CPU against file size. "zstd" is the
// codec's default level, the one sinks uses; "zstd-symbol-dictionary" is
// what sinks did before, with a dictionary on the symbol column.
//
//	go test -run '^$' -bench ParquetCodec -benchmem -count 6 ./bench/
func BenchmarkParquetCodec(b *testing.B) {
	rec := sample.Bars("AAPL", false, memory.DefaultAllocator)
	defer rec.Release()
	for _, c := range []struct {
		name       string
		codec      compress.Compression
		level      int
		symbolDict bool
	}{
		{"zstd", compress.Codecs.Zstd, compress.DefaultCompressionLevel, false},
		{"zstd-level-1", compress.Codecs.Zstd, 1, false},
		{"zstd-symbol-dictionary", compress.Codecs.Zstd, compress.DefaultCompressionLevel, true},
		{"snappy", compress.Codecs.Snappy, compress.DefaultCompressionLevel, false},
		{"none", compress.Codecs.Uncompressed, compress.DefaultCompressionLevel, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			props := parquet.NewWriterProperties(
				parquet.WithCompression(c.codec),
				parquet.WithCompressionLevel(c.level),
				parquet.WithDictionaryDefault(false),
				parquet.WithDictionaryFor(sources.ColSymbol, c.symbolDict))
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				fw, err := pqarrow.NewFileWriter(rec.Schema(), &buf, props, pqarrow.DefaultWriterProps())
				if err != nil {
					b.Fatal(err)
				}
				if err := fw.Write(rec); err != nil {
					b.Fatal(err)
				}
				if err := fw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rec.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(buf.Len()), "file-bytes")
		})
	}
}
