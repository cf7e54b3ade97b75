// Package loadertest writes the files `loader fetch` would write, from the
// deterministic SYNTHETIC sample series, so that tests, benchmarks and
// examples of package loader need no fetch and no network.
package loadertest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/seed-c7c8f39b/loader/sources"
)

// Layout is how WriteSample lays out files.
type Layout string

// The layouts: one Parquet or Arrow IPC file per symbol, hive partitions
// DIR/symbol=X/part-0.parquet, or one Parquet file holding every symbol.
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

// Record returns SampleBars(symbol) with the Return and SMA columns added.
// The caller releases it.
func Record(symbol string, mem memory.Allocator) arrow.RecordBatch {
	base := sources.SampleBars(symbol, false, mem)
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

func write(dir string, layout Layout, mem memory.Allocator, symbols []string) error {
	var recs []arrow.RecordBatch
	for _, sym := range symbols {
		recs = append(recs, Record(sym, mem))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	switch layout {
	case Parquet, Arrow:
		for i, sym := range symbols {
			if err := writeFile(filepath.Join(dir, sym+"."+string(layout)), mem, recs[i]); err != nil {
				return err
			}
		}
	case Hive:
		for i, sym := range symbols {
			if err := writeFile(filepath.Join(dir, "symbol="+sym, "part-0.parquet"), mem, recs[i]); err != nil {
				return err
			}
		}
	case Combined:
		return writeFile(filepath.Join(dir, "all.parquet"), mem, recs...)
	default:
		return fmt.Errorf("loadertest: unknown layout %q", layout)
	}
	return nil
}

func writeFile(path string, mem memory.Allocator, recs ...arrow.RecordBatch) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("loadertest: write %s: %w", path, err)
		}
	}()
	schema := recs[0].Schema()
	type recordWriter interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	var w recordWriter
	if filepath.Ext(path) == ".arrow" {
		iw, err := ipc.NewFileWriter(f, ipc.WithSchema(schema), ipc.WithAllocator(mem))
		if err != nil {
			f.Close()
			return err
		}
		w = closeBoth{iw, f}
	} else {
		// pqarrow's writer closes f itself.
		w, err = pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(parquet.WithAllocator(mem)),
			pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
		if err != nil {
			f.Close()
			return err
		}
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// closeBoth closes an IPC writer, then its file.
type closeBoth struct {
	*ipc.FileWriter
	f *os.File
}

func (c closeBoth) Close() error {
	return errors.Join(c.FileWriter.Close(), c.f.Close())
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
