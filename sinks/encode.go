package sinks

import (
	"io"
	"strconv"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// encoder writes records of one schema in one file format.
type encoder interface {
	write(rec arrow.RecordBatch) error
	// finish writes what ends the file (a footer) and releases the
	// encoder's buffers; a failed file is finished too, for the buffers.
	// It leaves the destination open.
	finish() error
}

// newEncoder starts a file of format f with schema on w. The schema's
// metadata becomes the file's metadata.
func newEncoder(w io.Writer, schema *arrow.Schema, o Options) (encoder, error) {
	switch o.Format {
	case dataset.FormatArrow:
		fw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(o.Allocator))
		if err != nil {
			return nil, err
		}
		return arrowEncoder{fw}, nil
	case dataset.FormatCSV:
		cw := csv.NewWriter(w, schema,
			csv.WithHeader(true),
			csv.WithNullWriter(""),
			csv.WithCustomTypeConverter(csvValue))
		return csvEncoder{cw}, nil
	default:
		opts := []parquet.WriterProperty{
			parquet.WithCompression(codecs[o.Compression]),
			parquet.WithAllocator(o.Allocator),
			// Prices, volumes and dates are nearly all distinct, so a
			// dictionary costs time and saves nothing; the symbol column,
			// one value repeated, compresses to the same size without one
			// and costs 85% fewer allocations (see BENCHMARKS.md, 4b).
			parquet.WithDictionaryDefault(false),
		}
		if o.RowGroupSize > 0 {
			opts = append(opts, parquet.WithMaxRowGroupLength(int64(o.RowGroupSize)))
		}
		arrowOpts := []pqarrow.WriterOption{pqarrow.WithAllocator(o.Allocator)}
		if hasZonedTimestamp(schema) {
			// Parquet's TIMESTAMP(isAdjustedToUTC=true, MICROS) keeps the
			// instants, which is what DuckDB and Polars read, but not the
			// zone; the Arrow schema stored beside it (ARROW:schema, as
			// pyarrow writes it) gives readers that know it, ours and
			// pyarrow, the exchange zone back. Files without such a column
			// stay as they were.
			arrowOpts = append(arrowOpts, pqarrow.WithStoreSchema())
		}
		fw, err := pqarrow.NewFileWriter(schema, w, parquet.NewWriterProperties(opts...),
			pqarrow.NewArrowWriterProperties(arrowOpts...))
		if err != nil {
			return nil, err
		}
		return parquetEncoder{fw}, nil
	}
}

var codecs = map[dataset.Compression]compress.Compression{
	dataset.CompressionZstd:   compress.Codecs.Zstd,
	dataset.CompressionSnappy: compress.Codecs.Snappy,
	dataset.CompressionNone:   compress.Codecs.Uncompressed,
}

type parquetEncoder struct{ fw *pqarrow.FileWriter }

func (e parquetEncoder) write(rec arrow.RecordBatch) error { return e.fw.Write(rec) }

// finish closes the Parquet writer, which would also close w if it were an
// io.Closer; atomicFile is not one.
func (e parquetEncoder) finish() error { return e.fw.Close() }

type arrowEncoder struct{ fw *ipc.FileWriter }

func (e arrowEncoder) write(rec arrow.RecordBatch) error { return e.fw.Write(rec) }
func (e arrowEncoder) finish() error                     { return e.fw.Close() }

type csvEncoder struct{ cw *csv.Writer }

func (e csvEncoder) write(rec arrow.RecordBatch) error { return e.cw.Write(rec) }
func (e csvEncoder) finish() error                     { return e.cw.Flush() }

// hasZonedTimestamp reports whether schema has a timestamp column with a
// time zone, such as an intraday series' sources.ColTimestamp.
func hasZonedTimestamp(schema *arrow.Schema) bool {
	for _, f := range schema.Fields() {
		if ts, ok := f.Type.(*arrow.TimestampType); ok && ts.TimeZone != "" {
			return true
		}
	}
	return false
}

// csvValue writes the columns whose default CSV form would not serve:
// float64 as plainFloats, timestamps as plainTimestamps.
func csvValue(typ arrow.DataType, col arrow.Array) ([]string, bool) {
	switch typ.ID() {
	case arrow.FLOAT64:
		return plainFloats(col.(*array.Float64)), true
	case arrow.TIMESTAMP:
		return plainTimestamps(typ.(*arrow.TimestampType), col.(*array.Timestamp))
	}
	return nil, false
}

// plainFloats writes float64 columns in the shortest decimal form that
// reads back exactly, without an exponent for ordinary prices and volumes
// ("1000000", not "1e+06").
func plainFloats(arr *array.Float64) []string {
	out := make([]string, arr.Len())
	for i := range out {
		if arr.IsValid(i) {
			out[i] = strconv.FormatFloat(arr.Value(i), 'f', -1, 64)
		}
	}
	return out
}

// plainTimestamps writes a timestamp column as RFC 3339 in the column's
// time zone, with its offset ("2024-06-28T19:55:00-04:00" for a bar of
// the exchange in summer): other tools read the right instant, and a
// reader sees the exchange's wall-clock time. A column without a zone is
// left to Arrow's default, which writes it without an offset.
func plainTimestamps(typ *arrow.TimestampType, arr *array.Timestamp) ([]string, bool) {
	if typ.TimeZone == "" {
		return nil, false
	}
	toTime, err := typ.GetToTimeFunc()
	if err != nil {
		return nil, false // Arrow's writer reports the bad zone
	}
	out := make([]string, arr.Len())
	for i := range out {
		if arr.IsValid(i) {
			out[i] = toTime(arr.Value(i)).Format(time.RFC3339Nano)
		}
	}
	return out, true
}
