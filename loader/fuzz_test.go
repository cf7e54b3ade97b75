package loader_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// smallFiles returns a 40-row sample series as Parquet and as Arrow IPC
// bytes, as the writer of `loader fetch` writes them.
func smallFiles(tb testing.TB) (pq, ar []byte) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(tb, 0)
	full := loadertest.Record("AAPL", mem)
	defer full.Release()
	rec := full.NewSlice(0, 40)
	defer rec.Release()
	file := func(format dataset.Format) []byte {
		paths := loadertest.WriteSeries(tb, sinks.Options{Dir: tb.TempDir(), Format: format, Allocator: mem},
			sources.Series{Symbol: "AAPL", Record: rec})
		data, err := os.ReadFile(paths[0])
		if err != nil {
			tb.Fatal(err)
		}
		return data
	}
	return file(dataset.FormatParquet), file(dataset.FormatArrow)
}

// FuzzOpen feeds Open damaged files: it must return an error or a dataset
// whose batches can be iterated, never panic.
func FuzzOpen(f *testing.F) {
	pq, ar := smallFiles(f)
	f.Add(pq, true)
	f.Add(ar, false)
	f.Add(pq[:len(pq)/2], true)
	f.Add([]byte("PAR1"), true)
	f.Fuzz(func(t *testing.T, data []byte, isParquet bool) {
		name := "X.arrow"
		if isParquet {
			name = "X.parquet"
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := loader.Open(dir, loader.DatasetConfig{Features: []string{"close", loadertest.SMA}})
		if err != nil {
			return
		}
		l, err := loader.New(ds, loader.Config{Window: 4, BatchSize: 8, Workers: 2})
		if errors.Is(err, loader.ErrNoWindows) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		for {
			b, err := l.Next(context.Background())
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b.Release()
		}
	})
}
