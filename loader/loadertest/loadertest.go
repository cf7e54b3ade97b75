// Package loadertest writes the files `loader fetch` would write, through
// its writer (package sinks), from the deterministic SYNTHETIC sample
// series, so that tests, benchmarks and examples of package loader need no
// fetch and no network.
package loadertest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Layout is how WriteSample lays out files.
type Layout string

// The layouts, as `loader fetch` writes them: one Parquet or Arrow IPC file
// per symbol, hive partitions DIR/symbol=X/part-0.parquet, or one Parquet
// file, DIR/data.parquet, holding every symbol.
const (
	Parquet  Layout = "parquet"
	Arrow    Layout = "arrow"
	Hive     Layout = "hive"
	Combined Layout = "combined"
)

// SMA is the transform column WriteSample adds: the mean close of the last
// SMAWindow rows, null on the first SMAWindow-1 rows, like a transform's
// moving average.
const (
	SMA       = "sma_5"
	SMAWindow = 5
	// Return is the simple return close[t]/close[t-1]-1, null on row 0.
	Return = "return"
)

// Record returns sample.Bars(symbol) with the Return and SMA columns added.
// The caller releases it.
func Record(symbol string, mem memory.Allocator) arrow.RecordBatch {
	base := sample.Bars(symbol, false, mem)
	defer base.Release()
	closes := base.Column(5).(*array.Float64).Float64Values()

	ret := array.NewFloat64Builder(mem)
	defer ret.Release()
	sma := array.NewFloat64Builder(mem)
	defer sma.Release()
	sum := 0.0
	for i, c := range closes {
		if i == 0 {
			ret.AppendNull()
		} else {
			ret.Append(c/closes[i-1] - 1)
		}
		sum += c
		if i >= SMAWindow {
			sum -= closes[i-SMAWindow]
		}
		if i < SMAWindow-1 {
			sma.AppendNull()
		} else {
			sma.Append(sum / SMAWindow)
		}
	}
	retArr, smaArr := ret.NewArray(), sma.NewArray()
	defer retArr.Release()
	defer smaArr.Release()
	fields := append(base.Schema().Fields(),
		arrow.Field{Name: Return, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: SMA, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	cols := append(base.Columns(), retArr, smaArr)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, base.NumRows())
}

// WriteSample writes the sample series of symbols under dir in layout,
// checks that no Arrow memory leaks, and fails tb on any error.
func WriteSample(tb testing.TB, dir string, layout Layout, symbols ...string) {
	tb.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(tb, 0)
	if err := write(dir, layout, mem, symbols); err != nil {
		tb.Fatal(err)
	}
}

// Write writes the sample series of symbols under dir in layout.
func Write(dir string, layout Layout, symbols ...string) error {
	return write(dir, layout, memory.DefaultAllocator, symbols)
}

// write writes through the writer `loader fetch` uses, so that the files are
// the ones the DataLoader meets in practice.
func write(dir string, layout Layout, mem memory.Allocator, symbols []string) error {
	opts := sinks.Options{Dir: dir, Format: dataset.FormatParquet, Allocator: mem}
	switch layout {
	case Parquet:
		opts.Layout = dataset.LayoutFiles
	case Arrow:
		opts.Format, opts.Layout = dataset.FormatArrow, dataset.LayoutFiles
	case Hive:
		opts.Layout = dataset.LayoutHive
	case Combined:
		opts.Layout = dataset.LayoutSingle
	default:
		return fmt.Errorf("loadertest: unknown layout %q", layout)
	}
	var series []sources.Series
	for _, sym := range symbols {
		rec := Record(sym, mem)
		defer rec.Release()
		series = append(series, sources.Series{Symbol: sym, Record: rec})
	}
	_, err := writeSeries(opts, series)
	return err
}

// WriteSeries writes series through a [sinks.Writer] with opts, as `loader
// fetch` would, fails tb on any error, and returns the paths of the files
// written, each once, in the order of series.
func WriteSeries(tb testing.TB, opts sinks.Options, series ...sources.Series) []string {
	tb.Helper()
	paths, err := writeSeries(opts, series)
	if err != nil {
		tb.Fatal(err)
	}
	return paths
}

func writeSeries(opts sinks.Options, series []sources.Series) ([]string, error) {
	w, err := sinks.New(opts)
	if err != nil {
		return nil, fmt.Errorf("loadertest: %w", err)
	}
	var paths []string
	for _, s := range series {
		f, err := w.Write(context.Background(), s)
		if err != nil {
			w.Abort()
			return nil, fmt.Errorf("loadertest: %w", err)
		}
		if p := filepath.Join(opts.Dir, filepath.FromSlash(f.Path)); !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("loadertest: %w", err)
	}
	return paths, nil
}

// Python returns a Python 3 interpreter that can import every module in
// modules, or skips tb with a message that says what to install. It tries
// python3 on PATH, then Debian's /usr/bin/python3 (where apt installs
// python3-numpy and python3-torch).
func Python(tb testing.TB, modules ...string) string {
	tb.Helper()
	py, ok := FindPython(modules...)
	if !ok {
		tb.Skipf("skipping: no python3 that can %q (on Debian: apt-get install python3-numpy python3-torch)", py)
	}
	return py
}

// FindPython returns the first of python3 on PATH and /usr/bin/python3 that
// can import every module in modules, and true; or, when none can, the
// import statement that failed, and false.
func FindPython(modules ...string) (string, bool) {
	imports := "import " + strings.Join(modules, ", ")
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", imports).Run() == nil {
			return path, true
		}
	}
	return imports, false
}
