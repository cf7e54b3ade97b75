package loader_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

// smallFiles returns a 40-row sample series as Parquet and as Arrow IPC bytes.
func smallFiles(tb testing.TB) (pq, ar []byte) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(tb, 0)
	full := loadertest.Record("AAPL", mem)
	defer full.Release()
	rec := full.NewSlice(0, 40)
	defer rec.Release()

	var pbuf bytes.Buffer
	pw, err := pqarrow.NewFileWriter(rec.Schema(), &pbuf, parquet.NewWriterProperties(parquet.WithAllocator(mem)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		tb.Fatal(err)
	}
	if err := pw.Write(rec); err != nil {
		tb.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		tb.Fatal(err)
	}
	var abuf bytes.Buffer
	aw, err := ipc.NewFileWriter(&abuf, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		tb.Fatal(err)
	}
	if err := aw.Write(rec); err != nil {
		tb.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		tb.Fatal(err)
	}
	return pbuf.Bytes(), abuf.Bytes()
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
