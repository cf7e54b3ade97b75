package sinks_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/seed-c7c8f39b/loader/sinks"

	"gocloud.dev/blob/fileblob"
)

// symbolRows are the series every round trip writes: an ordinary ticker,
// one with a dot, and one long enough to span several row groups.
var symbolRows = []struct {
	symbol string
	rows   int
}{{"AAPL", 30}, {"BRK.B", 1}, {"MSFT", 250}}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	type variant struct {
		format      dataset.Format
		compression dataset.Compression
	}
	variants := []variant{
		{dataset.FormatParquet, dataset.CompressionZstd},
		{dataset.FormatParquet, dataset.CompressionSnappy},
		{dataset.FormatParquet, dataset.CompressionNone},
		// Compression applies to Parquet only.
		{dataset.FormatArrow, ""},
		{dataset.FormatCSV, ""},
	}
	for _, v := range variants {
		for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutSingle, dataset.LayoutHive} {
			t.Run(fmt.Sprintf("%s/%s/%s", v.format, layout, v.compression), func(t *testing.T) {
				mem := fixture.NewMem(t)
				opts := sinks.Options{
					Dir:          t.TempDir(),
					Format:       v.format,
					Layout:       layout,
					Compression:  v.compression,
					RowGroupSize: 100,
					Allocator:    mem,
				}
				testRoundTrip(t, mem, opts)
			})
		}
	}
}

// TestRoundTripToBucket writes every format and layout through an object
// store (a file-backed bucket, whose objects are files in a directory the
// test reads back as it reads a local output).
func TestRoundTripToBucket(t *testing.T) {
	for _, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow, dataset.FormatCSV} {
		for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutSingle, dataset.LayoutHive} {
			t.Run(fmt.Sprintf("%s/%s", format, layout), func(t *testing.T) {
				mem := fixture.NewMem(t)
				root := t.TempDir()
				b, err := fileblob.OpenBucket(root, &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
				if err != nil {
					t.Fatal(err)
				}
				st := store.NewBucket(b, "", "file-bucket://", store.BucketOptions{})
				defer st.Close()
				testRoundTrip(t, mem, sinks.Options{Dir: root, Store: st, Format: format, Layout: layout, RowGroupSize: 100, Allocator: mem})
			})
		}
	}
}

func testRoundTrip(t *testing.T, mem memory.Allocator, opts sinks.Options) {
	w, err := sinks.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var written []dataset.File
	for _, s := range symbolRows {
		rec := fixture.DailyBars(mem, s.symbol, s.rows)
		recs = append(recs, rec)
		f, err := w.Write(context.Background(), sources.Series{Symbol: s.symbol, Record: rec})
		if err != nil {
			t.Fatal(err)
		}
		wantPath, _ := w.Path(s.symbol)
		if f.Path != wantPath || f.Rows != int64(s.rows) || f.Bytes <= 0 ||
			!f.FirstDate.Equal(fixture.FirstDay) || !f.LastDate.Equal(fixture.FirstDay.AddDate(0, 0, s.rows-1)) {
			t.Errorf("Write(%s) = %+v, want path %s, %d rows from %s", s.symbol, f, wantPath, s.rows, fixture.FirstDay)
		}
		written = append(written, f)
	}
	if opts.Layout == dataset.LayoutSingle && opts.Store == nil {
		if got := fixture.ListFiles(t, opts.Dir); len(got) != 1 || got[0][0] != '.' {
			t.Errorf("before Close, files = %v, want one temporary file", got)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	var want []string
	for _, f := range written {
		if !slices.Contains(want, f.Path) {
			want = append(want, f.Path)
		}
		if opts.Layout != dataset.LayoutSingle {
			checkFileSum(t, opts.Dir, f)
		}
	}
	slices.Sort(want)
	if got := fixture.ListFiles(t, opts.Dir); !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}

	schema := sources.DailySchema(false)
	if opts.Layout == dataset.LayoutHive {
		schema = arrow.NewSchema(sources.DailySchema(false).Fields()[1:], nil)
	}
	if opts.Layout == dataset.LayoutSingle {
		got := readTable(t, mem, opts.Format, filepath.Join(opts.Dir, want[0]), schema)
		defer got.Release()
		compareTable(t, got, recs, false)
	} else {
		for i, f := range written {
			got := readTable(t, mem, opts.Format, filepath.Join(opts.Dir, f.Path), schema)
			compareTable(t, got, recs[i:i+1], opts.Layout == dataset.LayoutHive)
			got.Release()
		}
	}
	if opts.Format == dataset.FormatParquet {
		checkParquetLayout(t, filepath.Join(opts.Dir, want[0]), opts)
	}
}

// checkFileSum checks the size and hash Write reported against the file.
func checkFileSum(t *testing.T, dir string, f dataset.File) {
	t.Helper()
	p := filepath.Join(dir, f.Path)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != f.Bytes {
		t.Errorf("%s: %d bytes, Write said %d", f.Path, st.Size(), f.Bytes)
	}
	if sum := fixture.SHA256File(t, p); sum != f.SHA256 {
		t.Errorf("%s: SHA-256 %s, Write said %s", f.Path, sum, f.SHA256)
	}
}

// checkParquetLayout checks the codec and row group size of a Parquet file.
func checkParquetLayout(t *testing.T, path string, opts sinks.Options) {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[dataset.Compression]compress.Compression{
		"":                        compress.Codecs.Zstd,
		dataset.CompressionZstd:   compress.Codecs.Zstd,
		dataset.CompressionSnappy: compress.Codecs.Snappy,
		dataset.CompressionNone:   compress.Codecs.Uncompressed,
	}[opts.Compression]
	for i := range r.NumRowGroups() {
		rg := r.MetaData().RowGroup(i)
		if rg.NumRows() > int64(opts.RowGroupSize) {
			t.Errorf("row group %d has %d rows, cap %d", i, rg.NumRows(), opts.RowGroupSize)
		}
		col, err := rg.ColumnChunk(0)
		if err != nil {
			t.Fatal(err)
		}
		if col.Compression() != want {
			t.Errorf("row group %d: codec %v, want %v", i, col.Compression(), want)
		}
	}
}

// readTable reads a file back with Arrow's own reader for its format.
func readTable(t *testing.T, mem memory.Allocator, format dataset.Format, path string, schema *arrow.Schema) arrow.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	switch format {
	case dataset.FormatParquet:
		tbl, err := pqarrow.ReadTable(context.Background(), f, parquet.NewReaderProperties(mem), pqarrow.ArrowReadProperties{}, mem)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		return tbl
	case dataset.FormatArrow:
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		defer r.Close()
		for i := range r.NumRecords() {
			rec, err := r.RecordBatch(i)
			if err != nil {
				t.Fatalf("read %s: %v", path, err)
			}
			rec.Retain()
			recs = append(recs, rec)
		}
		return array.NewTableFromRecords(r.Schema(), recs)
	default:
		r := csv.NewReader(f, schema, csv.WithHeader(true), csv.WithAllocator(mem), csv.WithChunk(64))
		defer r.Release()
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		if err := r.Err(); err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		return array.NewTableFromRecords(schema, recs)
	}
}

// compareTable checks that got holds exactly the rows of recs, in order,
// without the symbol column when dropSymbol is set.
func compareTable(t *testing.T, got arrow.Table, recs []arrow.RecordBatch, dropSymbol bool) {
	t.Helper()
	want := array.NewTableFromRecords(recs[0].Schema(), recs)
	defer want.Release()
	offset := 0
	if dropSymbol {
		offset = 1
	}
	if int(got.NumCols())+offset != int(want.NumCols()) || got.NumRows() != want.NumRows() {
		t.Fatalf("read %d columns × %d rows, want %d × %d", got.NumCols(), got.NumRows(), int(want.NumCols())-offset, want.NumRows())
	}
	for i := range int(got.NumCols()) {
		g, w := got.Column(i), want.Column(i+offset)
		if g.Name() != w.Name() || !arrow.TypeEqual(g.DataType(), w.DataType()) {
			t.Errorf("column %d is %s %s, want %s %s", i, g.Name(), g.DataType(), w.Name(), w.DataType())
			continue
		}
		if !array.ChunkedEqual(g.Data(), w.Data()) {
			t.Errorf("column %s differs", g.Name())
		}
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	run := map[string]string{"source": "sample", "loader_version": "v0.1.0", "fetch_time": "2026-01-02T03:04:05Z"}
	perFile := map[string]string{"function": "TIME_SERIES_DAILY", "source": "alphavantage"}
	tests := []struct {
		name   string
		format dataset.Format
		layout dataset.Layout
		want   map[string]string
	}{
		{"parquet files", dataset.FormatParquet, dataset.LayoutFiles, merged(run, perFile)},
		{"arrow hive", dataset.FormatArrow, dataset.LayoutHive, merged(run, perFile)},
		{"parquet single", dataset.FormatParquet, dataset.LayoutSingle, merged(run, perFile)},
		{"arrow single", dataset.FormatArrow, dataset.LayoutSingle, merged(run, perFile)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := fixture.NewMem(t)
			dir := t.TempDir()
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Format: tt.format, Layout: tt.layout, Metadata: run})
			if err != nil {
				t.Fatal(err)
			}
			rec := fixture.DailyBars(mem, "AAPL", 3)
			defer rec.Release()
			f, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec, Meta: perFile})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := fileMetadata(t, filepath.Join(dir, f.Path), tt.format)
			if !maps.Equal(got, tt.want) {
				t.Errorf("metadata = %v, want exactly %v", got, tt.want)
			}
		})
	}
}

func merged(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

// fileMetadata returns the file-level key-value metadata of a Parquet file
// or the schema metadata of an Arrow file.
func fileMetadata(t *testing.T, path string, format dataset.Format) map[string]string {
	t.Helper()
	got := make(map[string]string)
	if format == dataset.FormatParquet {
		r, err := file.OpenParquetFile(path, false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, kv := range r.MetaData().KeyValueMetadata() {
			got[kv.Key] = *kv.Value
		}
		return got
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.Schema().Metadata()
	for i, k := range md.Keys() {
		got[k] = md.Values()[i]
	}
	return got
}
