package loader

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

var benchSymbols = []string{"AAPL", "MSFT", "GOOGL", "AMZN", "META", "NVDA", "TSLA", "IBM", "ORCL", "INTC",
	"AMD", "CSCO", "ADBE", "CRM", "QCOM", "TXN", "AVGO", "NFLX", "PYPL", "UBER"}

func itoa(i int) string { return strconv.Itoa(i) }

// BenchmarkLoader measures steady-state batches: one op is one batch of 256
// windows of 32 rows × 5 features; MB/s is the rate of X and Y bytes handed
// to the consumer, allocs/op shows that batches are recycled.
//
//	go test -run '^$' -bench 'Loader$' -benchtime 2000x ./loader/
func BenchmarkLoader(b *testing.B) {
	dir := b.TempDir()
	loadertest.WriteSample(b, dir, loadertest.Parquet, benchSymbols...)
	ds, err := Open(dir, DatasetConfig{Features: []string{"open", "high", "low", "close", "volume"}, Target: LogReturn})
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			l, err := New(ds, Config{Window: 32, BatchSize: 256, Shuffle: true, Seed: 1, Workers: workers})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			b.SetBytes(int64(4 * (256*32*5 + 256)))
			b.ReportAllocs()
			samples := 0
			for b.Loop() {
				bt, err := l.Next(context.Background())
				if err == io.EOF {
					bt, err = l.Next(context.Background())
				}
				if err != nil {
					b.Fatal(err)
				}
				samples += bt.Size
				bt.Release()
			}
			b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkOpen measures loading 20 symbols' Parquet files (104k rows) into
// memory; MB/s is file bytes decoded.
//
//	go test -run '^$' -bench Open -benchtime 10x ./loader/
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	loadertest.WriteSample(b, dir, loadertest.Parquet, benchSymbols...)
	var size int64
	files, err := findFiles(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		size += info.Size()
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(dir, DatasetConfig{Features: []string{"open", "high", "low", "close", "volume"}}); err != nil {
			b.Fatal(err)
		}
	}
}
