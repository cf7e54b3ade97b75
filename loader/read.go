package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// findFiles returns the data files under path, sorted: path itself if it is
// a file, otherwise every Parquet and Arrow IPC file of the dataset below it
// (those its manifest lists, see dataset.Files), in any layout loader fetch
// writes. Manifests and temporary files are skipped.
func findFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if !info.IsDir() {
		if format, ok := dataset.FormatOf(path); !ok || format == dataset.FormatCSV {
			return nil, fmt.Errorf("loader: %s: not a .parquet or .arrow file", path)
		}
		return []string{path}, nil
	}
	all, err := dataset.Files(path)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	var files []string
	for _, f := range all {
		if format, _ := dataset.FormatOf(f); format != dataset.FormatCSV {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("loader: %s: no .parquet or .arrow files", path)
	}
	return files, nil
}

// eachParquetRecordAt calls fn with every record batch of the Parquet
// file of size bytes read from r, by ranged reads; the batch is only valid
// during the call. Only the columns for which want is true are decoded.
// Arrow decoders' panics on damaged files are turned into errors. prepare,
// if not nil, is told the file's metadata before any column is read, so
// that it can fetch the column chunks of the columns wanted (the leaves
// want selects) in few requests.
func eachParquetRecordAt(r io.ReaderAt, size int64, prepare func(*file.Reader, []int) error,
	want func(column string) bool, mem memory.Allocator, fn func(arrow.RecordBatch) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged file: %v", r)
		}
	}()
	pf, err := file.NewParquetReader(io.NewSectionReader(r, 0, size), file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return err
	}
	var cols, groups []int
	for _, field := range fr.Manifest.Fields {
		if field.IsLeaf() && want(field.Field.Name) {
			cols = append(cols, field.ColIndex)
		}
	}
	for i := range pf.NumRowGroups() {
		groups = append(groups, i)
	}
	if prepare != nil {
		if err := prepare(pf, cols); err != nil {
			return err
		}
	}
	tbl, err := fr.ReadRowGroups(context.Background(), cols, groups)
	if err != nil {
		return err
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		if err := fn(tr.RecordBatch()); err != nil {
			return err
		}
	}
	return tr.Err()
}

// ErrColumn is matched by the errors of Open for a file that lacks a
// configured column or holds it in a type that cannot be used; errors.As
// finds the [ColumnError] that says which.
var ErrColumn = errors.New("column")

// ColumnError is the error of Open for a column it cannot use. It is wrapped
// with the file's name.
type ColumnError struct {
	// Column is the column's name: a feature, the target, or one that
	// every file needs (date or timestamp, and close when log_return is
	// computed).
	Column string
	// Problem says what is wrong: "missing", "type utf8 is not numeric", …
	Problem string
}

func (e *ColumnError) Error() string { return fmt.Sprintf("column %q: %s", e.Column, e.Problem) }

// Is reports whether target is ErrColumn.
func (e *ColumnError) Is(target error) bool { return target == ErrColumn }

// floatValues appends the values of a numeric column to dst as float64,
// nulls as NaN.
func floatValues(dst []float64, col arrow.Array, name string) ([]float64, error) {
	n := col.Len()
	switch a := col.(type) {
	case *array.Float64:
		dst = append(dst, a.Float64Values()...)
	case *array.Float32:
		for _, v := range a.Float32Values() {
			dst = append(dst, float64(v))
		}
	case *array.Int64:
		for _, v := range a.Int64Values() {
			dst = append(dst, float64(v))
		}
	case *array.Int32:
		for _, v := range a.Int32Values() {
			dst = append(dst, float64(v))
		}
	default:
		return dst, &ColumnError{name, fmt.Sprintf("type %s is not numeric", col.DataType())}
	}
	if col.NullN() > 0 {
		base := len(dst) - n
		for i := range n {
			if col.IsNull(i) {
				dst[base+i] = math.NaN()
			}
		}
	}
	return dst, nil
}

// dateValues appends the UTC midnights, in microseconds since
// 1970-01-01, of a date column's days to dst.
func dateValues(dst []int64, col arrow.Array) ([]int64, error) {
	if col.NullN() > 0 {
		return dst, &ColumnError{sources.ColDate, fmt.Sprintf("%d null dates", col.NullN())}
	}
	const day = 86_400 * 1e6
	switch a := col.(type) {
	case *array.Date32:
		for _, v := range a.Date32Values() {
			dst = append(dst, int64(v)*day)
		}
	case *array.Date64:
		for _, v := range a.Date64Values() {
			dst = append(dst, int64(v)/86_400_000*day)
		}
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		for _, v := range a.TimestampValues() {
			dst = append(dst, v.ToTime(unit).Unix()/86_400*day)
		}
	default:
		return dst, &ColumnError{sources.ColDate, fmt.Sprintf("type %s is not a date", col.DataType())}
	}
	return dst, nil
}

// timestampValues appends the instants, in microseconds since 1970-01-01
// UTC, of an intraday series' timestamp column to dst.
func timestampValues(dst []int64, col arrow.Array) ([]int64, error) {
	if col.NullN() > 0 {
		return dst, &ColumnError{sources.ColTimestamp, fmt.Sprintf("%d null timestamps", col.NullN())}
	}
	a, ok := col.(*array.Timestamp)
	if !ok {
		return dst, &ColumnError{sources.ColTimestamp, fmt.Sprintf("type %s is not a timestamp", col.DataType())}
	}
	unit := a.DataType().(*arrow.TimestampType).Unit
	for _, v := range a.TimestampValues() {
		dst = append(dst, v.ToTime(unit).UnixMicro())
	}
	return dst, nil
}

// stringAt returns row i of a string-like column.
func stringAt(col arrow.Array, i int) string {
	if s, ok := col.(interface{ Value(int) string }); ok {
		return s.Value(i)
	}
	return col.ValueStr(i)
}
