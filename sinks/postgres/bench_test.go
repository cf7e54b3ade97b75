package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/pgtest"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// fresh numbers the symbols BenchmarkWrite has not written yet, across its
// runs (-count).
var fresh atomic.Int64

// BenchmarkWrite writes one symbol's full sample history per iteration, on
// one connection: a symbol new to the table (copied straight in), and the
// same symbol again (staged and merged, no row rewritten). bench/postgres.sh
// measures whole runs against psql's \copy.
func BenchmarkWrite(b *testing.B) {
	srv := pgtest.Shared(b)
	url := srv.URL(srv.CreateDB(b))
	rec := sample.Bars("AAPL", false, memory.DefaultAllocator)
	defer rec.Release()
	for _, bench := range []struct {
		name   string
		symbol func(i int) string
	}{
		{"new", func(int) string { return fmt.Sprintf("N%07d", fresh.Add(1)) }},
		{"unchanged", func(int) string { return "AAPL" }},
	} {
		b.Run(bench.name, func(b *testing.B) {
			sink, err := postgres.Open(context.Background(), postgres.Options{URL: url, Table: bench.name, MaxConns: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer sink.Close()
			ser := sources.Series{Symbol: bench.symbol(-1), Record: rec}
			if _, err := sink.Write(context.Background(), ser); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				ser.Symbol = bench.symbol(i)
				if _, err := sink.Write(context.Background(), ser); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rec.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
