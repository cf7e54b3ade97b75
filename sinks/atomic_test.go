package sinks_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/seed-c7c8f39b/loader/sinks"
)

// TestFailedWriteLeavesNothing makes the last or first step of a write
// fail and checks that neither a final-named file nor a temporary remains.
func TestFailedWriteLeavesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format dataset.Format
		layout dataset.Layout
		// block makes the write of AAPL fail.
		block func(t *testing.T, dir string)
	}{
		{"rename onto a directory/parquet", dataset.FormatParquet, dataset.LayoutFiles, mkdir("AAPL.parquet")},
		{"rename onto a directory/arrow", dataset.FormatArrow, dataset.LayoutFiles, mkdir("AAPL.arrow")},
		{"rename onto a directory/csv", dataset.FormatCSV, dataset.LayoutFiles, mkdir("AAPL.csv")},
		{"rename onto a directory/hive", dataset.FormatParquet, dataset.LayoutHive, mkdir("symbol=AAPL/part-0.parquet")},
		{"partition is a file", dataset.FormatParquet, dataset.LayoutHive, touch("symbol=AAPL")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := fixture.NewMem(t)
			dir := t.TempDir()
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Format: tt.format, Layout: tt.layout})
			if err != nil {
				t.Fatal(err)
			}
			tt.block(t, dir)
			before := fixture.ListFiles(t, dir)
			rec := fixture.DailyBars(mem, "AAPL", 5)
			defer rec.Release()
			if _, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec}); err == nil || !strings.Contains(err.Error(), "AAPL") {
				t.Fatalf("Write = %v, want an error naming AAPL", err)
			}
			if after := fixture.ListFiles(t, dir); !slices.Equal(after, before) {
				t.Errorf("files after a failed write = %v, want %v", after, before)
			}
		})
	}
}

func mkdir(rel string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.MkdirAll(filepath.Join(dir, rel), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func touch(rel string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, rel), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnsupportedTypeLeavesNothing(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	dir := t.TempDir()
	w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Parquet has no union type.
	ub := array.NewDenseUnionBuilder(mem, arrow.DenseUnionOf(
		[]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int64}}, []arrow.UnionTypeCode{0}))
	defer ub.Release()
	ub.Append(0)
	ub.Child(0).(*array.Int64Builder).Append(1)
	col := ub.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "u", Type: col.DataType()}}, nil), []arrow.Array{col}, 1)
	defer rec.Release()
	if _, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec}); err == nil {
		t.Fatal("Write of a union column succeeded")
	}
	if got := fixture.ListFiles(t, dir); len(got) != 0 {
		t.Errorf("files after a failed write = %v, want none", got)
	}
}

func TestSingleRejectsOtherSchema(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	dir := t.TempDir()
	w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Layout: dataset.LayoutSingle})
	if err != nil {
		t.Fatal(err)
	}
	good := fixture.DailyBars(mem, "AAPL", 4)
	defer good.Release()
	if _, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: good}); err != nil {
		t.Fatal(err)
	}
	other := array.NewRecordBatch(arrow.NewSchema(good.Schema().Fields()[:2], nil), good.Columns()[:2], good.NumRows())
	defer other.Release()
	if _, err := w.Write(context.Background(), sources.Series{Symbol: "MSFT", Record: other}); err == nil || !strings.Contains(err.Error(), "MSFT") {
		t.Fatalf("Write with another schema = %v, want an error naming MSFT", err)
	}
	if _, err := w.Write(context.Background(), sources.Series{Symbol: "GOOGL", Record: good}); err != nil {
		t.Fatalf("Write after a rejected record: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fixture.ListFiles(t, dir); !slices.Equal(got, []string{"data.parquet"}) {
		t.Fatalf("files = %v, want [data.parquet]", got)
	}
	tbl := readTable(t, mem, dataset.FormatParquet, filepath.Join(dir, "data.parquet"), sources.DailySchema(false))
	defer tbl.Release()
	if tbl.NumRows() != 8 {
		t.Errorf("data.parquet has %d rows, want 8", tbl.NumRows())
	}
}

func TestAbort(t *testing.T) {
	t.Parallel()
	for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutSingle} {
		t.Run(string(layout), func(t *testing.T) {
			mem := fixture.NewMem(t)
			dir := t.TempDir()
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Layout: layout})
			if err != nil {
				t.Fatal(err)
			}
			rec := fixture.DailyBars(mem, "AAPL", 4)
			defer rec.Release()
			if _, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec}); err != nil {
				t.Fatal(err)
			}
			kept := fixture.ListFiles(t, dir) // a finalized file stays; a temporary goes
			if layout == dataset.LayoutSingle {
				kept = nil
			}
			w.Abort()
			if got := fixture.ListFiles(t, dir); !slices.Equal(got, kept) {
				t.Errorf("files after Abort = %v, want %v", got, kept)
			}
			if _, err := w.Write(context.Background(), sources.Series{Symbol: "MSFT", Record: rec}); !errors.Is(err, sinks.ErrClosed) {
				t.Errorf("Write after Abort = %v, want ErrClosed", err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("Close after Abort = %v", err)
			}
			if got := fixture.ListFiles(t, dir); !slices.Equal(got, kept) {
				t.Errorf("files after Abort and Close = %v, want %v", got, kept)
			}
		})
	}
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutSingle} {
		w, err := sinks.New(sinks.Options{Allocator: mem, Dir: t.TempDir(), Layout: layout})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rec := fixture.DailyBars(mem, "AAPL", 1)
		if _, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec}); !errors.Is(err, sinks.ErrClosed) {
			t.Errorf("%s: Write after Close = %v, want ErrClosed", layout, err)
		}
		rec.Release()
	}
}

func TestNewRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := []string{".AAPL.parquet.tmp-123", "symbol=MSFT/.part-0.parquet.tmp-9", "._manifest.json.tmp-4"}
	keep := []string{".hidden", "AAPL.parquet", "notes.tmp-1", "other/.x.tmp-1", "symbol=MSFT/part-0.parquet"}
	for _, f := range append(slices.Clone(stale), keep...) {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sinks.New(sinks.Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keep)
	if got := fixture.ListFiles(t, dir); !slices.Equal(got, keep) {
		t.Errorf("files = %v, want %v", got, keep)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts sinks.Options
		want string
	}{
		{"no dir", sinks.Options{}, "no output directory"},
		{"format", sinks.Options{Dir: t.TempDir(), Format: "xls"}, `unknown format "xls"`},
		{"layout", sinks.Options{Dir: t.TempDir(), Layout: "tree"}, `unknown layout "tree"`},
		{"compression", sinks.Options{Dir: t.TempDir(), Compression: "lz4"}, `unknown compression "lz4"`},
		{"row group", sinks.Options{Dir: t.TempDir(), RowGroupSize: -1}, "negative row group size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sinks.New(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFinishedFilesAreReadableByAll(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	dir := t.TempDir()
	w, err := sinks.New(sinks.Options{Dir: dir, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	rec := fixture.DailyBars(mem, "AAPL", 5)
	defer rec.Release()
	f, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, f.Path))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want -rw-r--r--", st.Mode().Perm())
	}
	m, err := dataset.NewManifest(dir, dataset.Run{}, []string{"AAPL"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(m.Path()); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("manifest: %v, %v", st.Mode(), err)
	}
}
