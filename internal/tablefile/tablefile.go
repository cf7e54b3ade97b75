// Package tablefile reads back the files `loader fetch` writes — Parquet,
// Arrow IPC (file or stream format) and CSV — into Arrow tables, whole.
// Package datafiles finds them in an output directory.
//
// It serves the tools that look at written data (`loader inspect`, the chart
// renderer); it reads whole files into memory, which suits daily series of a
// few thousand rows per symbol.
package tablefile

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	arrowcsv "github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// File is one data file read into memory.
type File struct {
	Path   string
	Format dataset.Format
	Schema *arrow.Schema
	// Records hold every row, in file order. Their columns are chunked
	// alike, so row i of a record is row i of each of its columns. Release
	// the File to free them.
	Records []arrow.RecordBatch
	// Meta is the file's key-value metadata: Parquet's footer key-values,
	// or the Arrow IPC schema's metadata; empty for CSV.
	Meta map[string]string
	// RowGroups describes a Parquet file's row groups; nil otherwise.
	RowGroups []RowGroup
}

// RowGroup summarises one Parquet row group.
type RowGroup struct {
	Rows int64
	// Compression lists the codecs its column chunks use, e.g. "SNAPPY".
	Compression []string
	// CompressedBytes and UncompressedBytes add up its column chunks.
	CompressedBytes, UncompressedBytes int64
}

// Release frees the records.
func (f *File) Release() { releaseAll(f.Records) }

// NumRows returns the number of rows in f.
func (f *File) NumRows() int64 {
	var n int64
	for _, r := range f.Records {
		n += r.NumRows()
	}
	return n
}

// Read reads the data file at path with mem. Its errors name path. The
// caller owns the returned File and must Release it.
func Read(ctx context.Context, path string, mem memory.Allocator) (*File, error) {
	format, ok := dataset.FormatOf(path)
	if !ok {
		return nil, fmt.Errorf("read %s: not a .parquet, .arrow or .csv file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	return read(ctx, path, format, f, mem)
}

// ReadBytes is Read for a file held in memory, such as an object read from
// an object store; name, a path or URL, gives its format and names it in
// errors.
func ReadBytes(ctx context.Context, name string, data []byte, mem memory.Allocator) (*File, error) {
	format, ok := dataset.FormatOf(name)
	if !ok {
		return nil, fmt.Errorf("read %s: not a .parquet, .arrow or .csv file", name)
	}
	return read(ctx, name, format, bytes.NewReader(data), mem)
}

// source is what the format readers read: a file, or bytes in memory.
type source interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

func read(ctx context.Context, path string, format dataset.Format, f source, mem memory.Allocator) (*File, error) {
	var (
		out *File
		err error
	)
	switch format {
	case dataset.FormatParquet:
		out, err = readParquet(ctx, f, mem)
	case dataset.FormatArrow:
		out, err = readArrow(f, mem)
	case dataset.FormatCSV:
		out, err = readCSV(f, mem)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out.Path, out.Format = path, format
	return out, nil
}

func readParquet(ctx context.Context, f source, mem memory.Allocator) (*File, error) {
	pr, err := file.NewParquetReader(f)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	md := pr.MetaData()
	out := &File{Meta: map[string]string{}}
	kv := md.KeyValueMetadata()
	for i, k := range kv.Keys() {
		out.Meta[k] = kv.Values()[i]
	}
	for i := range md.NumRowGroups() {
		rg := md.RowGroup(i)
		g := RowGroup{Rows: rg.NumRows()}
		for c := range rg.NumColumns() {
			col, err := rg.ColumnChunk(c)
			if err != nil {
				return nil, fmt.Errorf("row group %d column %d: %w", i, c, err)
			}
			if codec := col.Compression().String(); !slices.Contains(g.Compression, codec) {
				g.Compression = append(g.Compression, codec)
			}
			g.CompressedBytes += col.TotalCompressedSize()
			g.UncompressedBytes += col.TotalUncompressedSize()
		}
		out.RowGroups = append(out.RowGroups, g)
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return nil, err
	}
	tbl, err := fr.ReadTable(ctx)
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	// Parquet columns may be chunked differently; the table reader slices
	// them into records whose columns line up.
	tr := array.NewTableReader(tbl, -1)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		rec.Retain()
		out.Records = append(out.Records, rec)
	}
	if err := tr.Err(); err != nil {
		releaseAll(out.Records)
		return nil, err
	}
	out.Schema = tbl.Schema()
	return out, nil
}

// readArrow reads the IPC file format and, failing that, the stream format,
// since both are commonly saved as .arrow.
func readArrow(f source, mem memory.Allocator) (*File, error) {
	if fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem)); err == nil {
		defer fr.Close()
		recs := make([]arrow.RecordBatch, 0, fr.NumRecords())
		defer func() { releaseAll(recs) }()
		for i := range fr.NumRecords() {
			rec, err := fr.RecordBatch(i)
			if err != nil {
				return nil, fmt.Errorf("record batch %d: %w", i, err)
			}
			rec.Retain() // the file reader releases it on the next call
			recs = append(recs, rec)
		}
		return recordsFile(fr.Schema(), &recs), nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	sr, err := ipc.NewReader(f, ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("neither an Arrow IPC file nor stream: %w", err)
	}
	defer sr.Release()
	var recs []arrow.RecordBatch
	defer func() { releaseAll(recs) }()
	for sr.Next() {
		rec := sr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	return recordsFile(sr.Schema(), &recs), nil
}

// recordsFile moves *recs into a new File, leaving *recs nil so that the
// caller's deferred release frees nothing.
func recordsFile(schema *arrow.Schema, recs *[]arrow.RecordBatch) *File {
	meta := map[string]string{}
	md := schema.Metadata()
	for i, k := range md.Keys() {
		meta[k] = md.Values()[i]
	}
	f := &File{Schema: schema, Records: *recs, Meta: meta}
	*recs = nil
	return f
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// readCSV reads a CSV file with a header. The daily columns get their
// schema types; any other column (a transform's output) is read as float64,
// with empty fields as nulls.
func readCSV(f source, mem memory.Allocator) (*File, error) {
	header, err := csv.NewReader(f).Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty CSV file: no header")
	}
	if err != nil {
		return nil, err
	}
	known := sources.DailySchema(true)
	fields := make([]arrow.Field, len(header))
	for i, name := range header {
		fields[i] = arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
		if idx := known.FieldIndices(name); len(idx) > 0 {
			fields[i].Type = known.Field(idx[0]).Type
		}
	}
	schema := arrow.NewSchema(fields, nil)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r := arrowcsv.NewReader(f, schema, arrowcsv.WithHeader(true), arrowcsv.WithAllocator(mem),
		arrowcsv.WithChunk(4096), arrowcsv.WithNullReader(true, ""))
	defer r.Release()
	var recs []arrow.RecordBatch
	defer func() { releaseAll(recs) }()
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return recordsFile(schema, &recs), nil
}
