// Package tablefile is the one reader of the files a dataset holds —
// Parquet, Arrow IPC (file or stream format) and CSV, as `loader fetch`
// writes them — into Arrow records. The DataLoader, `loader inspect` and the
// chart renderer all read through it, so they agree on what a file holds and
// which symbol its rows belong to; package dataset says where the files are.
//
// Every kind of series reads back as written: the date (date32) column of
// daily, weekly and monthly series, and the timestamp column of intraday
// ones with its zone (sources.TimestampType), from a Parquet file's stored
// Arrow schema and from a CSV file's RFC 3339 times.
//
// A file is read whole into memory, which suits daily series of a few
// thousand rows per symbol and intraday ones of some hundred thousand. Naming columns reads only those: the other
// columns of a Parquet file are never decoded.
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
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// File is one data file read into memory.
type File struct {
	Path   string
	Format dataset.Format
	// Symbol is the symbol of the rows that have no symbol column, as in
	// the hive layout: the partition's ("symbol=EURUSD%3DX" gives
	// "EURUSD=X"), else the one whose [dataset.FileName] is the file's base
	// name, else that base name as it is.
	Symbol string
	// Schema has the columns read, in file order.
	Schema *arrow.Schema
	// Records hold every row, in file order. Their columns are chunked
	// alike, so row i of a record is row i of each of its columns. Release
	// the File to free them.
	Records []arrow.RecordBatch
	// Meta is the file's key-value metadata: Parquet's footer key-values
	// (with ARROW:schema, the stored Arrow schema, where the writer keeps
	// one), or the Arrow IPC schema's metadata; empty for CSV.
	Meta map[string]string

	parquet *metadata.FileMetaData // nil for the other formats
}

// RowGroup summarises one Parquet row group.
type RowGroup struct {
	Rows int64
	// Compression lists the codecs its column chunks use, e.g. "SNAPPY".
	Compression []string
	// CompressedBytes and UncompressedBytes add up its column chunks.
	CompressedBytes, UncompressedBytes int64
}

// RowGroups describes the row groups of a Parquet file, with every column
// whether read or not; it returns nil for the other formats.
func (f *File) RowGroups() ([]RowGroup, error) {
	if f.parquet == nil {
		return nil, nil
	}
	var out []RowGroup
	for i := range f.parquet.NumRowGroups() {
		rg := f.parquet.RowGroup(i)
		g := RowGroup{Rows: rg.NumRows()}
		for c := range rg.NumColumns() {
			col, err := rg.ColumnChunk(c)
			if err != nil {
				return nil, fmt.Errorf("%s: row group %d column %d: %w", f.Path, i, c, err)
			}
			if codec := col.Compression().String(); !slices.Contains(g.Compression, codec) {
				g.Compression = append(g.Compression, codec)
			}
			g.CompressedBytes += col.TotalCompressedSize()
			g.UncompressedBytes += col.TotalUncompressedSize()
		}
		out = append(out, g)
	}
	return out, nil
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

// Read reads the data file at path into memory from mem (nil means
// memory.DefaultAllocator); see [Decode] for columns. Its errors name path. The caller owns the returned File and must Release it.
func Read(ctx context.Context, path string, mem memory.Allocator, columns ...string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return decode(ctx, path, f, info.Size(), mem, columns)
}

// Decode reads the data file whose bytes are data; path gives its format by
// its extension, its symbol, and the name its errors use. The records may
// share memory with data, which must not change while they live.
//
// Without columns every column is read. With columns only the named ones
// the file has are read, in file order; a missing one is no error. The
// caller owns the returned File and must Release it.
//
// Arrow's decoders panic on some damaged files (slice bounds read from the
// file) and allocate whatever lengths they claim; Decode turns both into
// errors, so that one bad file fails its reader instead of the process.
func Decode(ctx context.Context, path string, data []byte, mem memory.Allocator, columns ...string) (*File, error) {
	return decode(ctx, path, bytes.NewReader(data), int64(len(data)), mem, columns)
}

// ReadBytes is Decode of every column, for a file held in memory such as
// an object read from an object store; name, a path or URL, gives its
// format and names it in errors.
func ReadBytes(ctx context.Context, name string, data []byte, mem memory.Allocator) (*File, error) {
	return Decode(ctx, name, data, mem)
}

// source is what the decoders read from: a file or the bytes of one.
type source interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

func decode(ctx context.Context, path string, r source, size int64, mem memory.Allocator, columns []string) (out *File, err error) {
	format, ok := dataset.FormatOf(path)
	if !ok {
		return nil, fmt.Errorf("read %s: not a .parquet, .arrow or .csv file", path)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	bounded := newBoundedAllocator(mem, budget(size))
	mem = bounded
	defer func() {
		if p := recover(); p != nil {
			if out != nil {
				out.Release() // what was decoded before the panic
			}
			out, err = nil, fmt.Errorf("read %s: damaged file: %v", path, p)
		}
		if err != nil {
			// Arrow's decoders can fail (or panic) on a damaged file
			// holding buffers they never free.
			bounded.freeStrays()
		}
	}()
	want := func(string) bool { return true }
	if len(columns) > 0 {
		want = func(name string) bool { return slices.Contains(columns, name) }
	}
	switch format {
	case dataset.FormatParquet:
		out, err = readParquet(ctx, r, mem, want)
	case dataset.FormatArrow:
		out, err = readArrow(r, size, mem)
	case dataset.FormatCSV:
		out, err = readCSV(r, mem)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if format != dataset.FormatParquet {
		out.project(want)
	}
	for _, rec := range out.Records {
		for i, col := range rec.Columns() {
			if err := check(col); err != nil {
				out.Release()
				return nil, fmt.Errorf("read %s: damaged file: column %q: %w", path, rec.ColumnName(i), err)
			}
		}
	}
	out.Path, out.Format, out.Symbol = path, format, dataset.PathSymbol(path)
	return out, nil
}

func readParquet(ctx context.Context, r source, mem memory.Allocator, want func(string) bool) (*File, error) {
	pr, err := file.NewParquetReader(r, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	md := pr.MetaData()
	out := &File{Meta: map[string]string{}, parquet: md}
	for _, kv := range md.KeyValueMetadata() {
		out.Meta[kv.GetKey()] = kv.GetValue()
	}
	groups := make([]int, md.NumRowGroups())
	for i := range groups {
		groups[i] = i
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return nil, err
	}
	var cols []int
	for _, field := range fr.Manifest.Fields {
		if want(field.Field.Name) {
			cols = appendLeaves(cols, field)
		}
	}
	tbl, err := fr.ReadRowGroups(ctx, cols, groups)
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	// Parquet columns may be chunked differently; the table reader slices
	// them into records whose columns line up.
	tr := array.NewTableReader(tbl, 0)
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

// appendLeaves appends the Parquet column indices that make up field.
func appendLeaves(cols []int, field pqarrow.SchemaField) []int {
	if field.IsLeaf() {
		return append(cols, field.ColIndex)
	}
	for _, child := range field.Children {
		cols = appendLeaves(cols, child)
	}
	return cols
}

// readArrow reads the IPC file format and, failing that, the stream format,
// since both are commonly saved as .arrow.
func readArrow(r source, size int64, mem memory.Allocator) (*File, error) {
	// No message is longer than the file that holds it. Bounding both of
	// a message's lengths by the file's size keeps a damaged length from
	// allocating up to the reader's default limits (64 and 256 MiB) per
	// message, and lets a record batch over 256 MiB, as a long intraday
	// history makes, be read.
	limit := max(size, 1)
	opts := []ipc.Option{ipc.WithAllocator(mem), ipc.WithMetadataSizeLimit(limit), ipc.WithBodySizeLimit(limit)}
	if fr, err := ipc.NewFileReader(r, opts...); err == nil {
		defer fr.Close()
		// The count comes from the file's footer, which a damaged file
		// can make any size: grow as batches are read, never by it.
		var recs []arrow.RecordBatch
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
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// ipc.NewReader drops the size limits (arrow-go v18.8.0): the
	// message reader made from the options keeps them.
	sr, err := ipc.NewReaderFromMessageReader(ipc.NewMessageReader(r, opts...), opts...)
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

// project drops the columns want does not select from f's schema and
// records, for the formats whose decoders read every column anyway.
func (f *File) project(want func(string) bool) {
	var keep []int
	var fields []arrow.Field
	for i, field := range f.Schema.Fields() {
		if want(field.Name) {
			keep = append(keep, i)
			fields = append(fields, field)
		}
	}
	if len(keep) == f.Schema.NumFields() {
		return
	}
	md := f.Schema.Metadata()
	f.Schema = arrow.NewSchema(fields, &md)
	for i, rec := range f.Records {
		cols := make([]arrow.Array, len(keep))
		for j, k := range keep {
			cols[j] = rec.Column(k)
		}
		f.Records[i] = array.NewRecordBatch(f.Schema, cols, rec.NumRows())
		rec.Release()
	}
}

// check fails for an array whose buffers do not fit its length, on which
// Arrow's accessors would index out of range: a damaged file can decode
// into one, and its readers should not have to guard every access.
func check(arr arrow.Array) error {
	d := arr.Data()
	if bufs := d.Buffers(); len(bufs) > 0 && bufs[0] != nil && bufs[0].Len()*8 < d.Offset()+d.Len() {
		return fmt.Errorf("validity bitmap of %d bytes for %d rows", bufs[0].Len(), d.Offset()+d.Len())
	}
	if v, ok := arr.(interface{ ValidateFull() error }); ok {
		if err := v.ValidateFull(); err != nil {
			return err
		}
	}
	for _, cd := range d.Children() {
		child := array.MakeFromData(cd)
		err := check(child)
		child.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// csvSchemas are the schemas whose columns a CSV file's header names: the
// daily adjusted one has every column but the intraday timestamp.
var csvSchemas = []*arrow.Schema{
	sources.Kind{Adjusted: true}.Schema(),
	sources.Kind{Function: sources.Intraday}.Schema(),
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// readCSV reads a CSV file with a header. The columns of the series'
// schemas get their types (sources.ColTimestamp is sources.TimestampType,
// whose values must carry an offset, as the writer's RFC 3339 ones do);
// any other column (a transform's output) is read as float64, with empty
// fields as nulls.
func readCSV(r source, mem memory.Allocator) (*File, error) {
	header, err := csv.NewReader(r).Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty CSV file: no header")
	}
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(header))
	for i, name := range header {
		fields[i] = arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
		for _, known := range csvSchemas {
			if idx := known.FieldIndices(name); len(idx) > 0 {
				fields[i].Type = known.Field(idx[0]).Type
				break
			}
		}
	}
	schema := arrow.NewSchema(fields, nil)
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	cr := arrowcsv.NewReader(r, schema, arrowcsv.WithHeader(true), arrowcsv.WithAllocator(mem),
		arrowcsv.WithChunk(4096), arrowcsv.WithNullReader(true, ""))
	defer cr.Release()
	var recs []arrow.RecordBatch
	defer func() { releaseAll(recs) }()
	for cr.Next() {
		rec := cr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := cr.Err(); err != nil {
		return nil, err
	}
	return recordsFile(schema, &recs), nil
}

// Concat returns recs, records of schema, as one record of schema's fields
// without its metadata, built with mem; no records make an empty one. The
// caller owns the result; recs are left as they were.
func Concat(schema *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	plain := arrow.NewSchema(schema.Fields(), nil)
	cols := make([]arrow.Array, len(plain.Fields()))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	for i := range cols {
		parts := make([]arrow.Array, len(recs))
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		if len(parts) == 0 {
			cols[i] = array.MakeArrayOfNull(mem, plain.Field(i).Type, 0)
			continue
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(plain, cols, rows), nil
}
