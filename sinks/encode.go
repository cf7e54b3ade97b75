package sinks

import (
	"io"
	"strconv"

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
			csv.WithCustomTypeConverter(plainFloats))
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
		fw, err := pqarrow.NewFileWriter(schema, w, parquet.NewWriterProperties(opts...),
			pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(o.Allocator)))
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

// plainFloats writes float64 columns in the shortest decimal form that
// reads back exactly, without an exponent for ordinary prices and volumes
// ("1000000", not "1e+06").
func plainFloats(typ arrow.DataType, col arrow.Array) ([]string, bool) {
	if typ.ID() != arrow.FLOAT64 {
		return nil, false
	}
	arr := col.(*array.Float64)
	out := make([]string, arr.Len())
	for i := range out {
		if arr.IsValid(i) {
			out[i] = strconv.FormatFloat(arr.Value(i), 'f', -1, 64)
		}
	}
	return out, true
}
