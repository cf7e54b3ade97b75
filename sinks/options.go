package sinks

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Format is the file format a [Writer] produces.
type Format string

// The formats. The zero value means [FormatParquet].
const (
	// FormatParquet writes Apache Parquet, compressed by Options.Compression.
	FormatParquet Format = "parquet"
	// FormatArrow writes the Arrow IPC file format (".arrow"), which is also
	// Feather v2. Its buffers are uncompressed so that readers can map the
	// file into memory.
	FormatArrow Format = "arrow"
	// FormatCSV writes comma-separated values with a header row, dates as
	// YYYY-MM-DD, floats in their shortest exact decimal form and nulls as
	// empty fields. CSV carries no file-level metadata.
	FormatCSV Format = "csv"
)

// Ext returns the file name extension of f, without the dot.
func (f Format) Ext() string { return string(f) }

// ParseFormat returns the Format named s ("parquet", "arrow" or "csv",
// case-insensitive).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatParquet, FormatArrow, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("sinks: unknown format %q (want parquet, arrow or csv)", s)
}

// Layout is how a [Writer] arranges files in its directory.
type Layout string

// The layouts. The zero value means [LayoutFiles].
const (
	// LayoutFiles writes one file per symbol: DIR/AAPL.parquet.
	LayoutFiles Layout = "files"
	// LayoutSingle appends every symbol to one file, DIR/data.parquet,
	// which appears when the Writer is closed.
	LayoutSingle Layout = "single"
	// LayoutHive writes one directory per symbol, DIR/symbol=AAPL/part-0.parquet,
	// which DuckDB, Spark, Polars and pyarrow read as a dataset partitioned
	// by symbol. The files leave the symbol column out: the directory name
	// carries it, as Spark and pyarrow themselves write partitions.
	LayoutHive Layout = "hive"
)

// SupportsResume reports whether a run in layout l can resume an earlier
// one by keeping the files that are already complete. The single layout
// cannot: its one file is written whole when the run ends, so an
// interrupted run leaves nothing to keep, and a finished one holds every
// symbol in a file that cannot be appended to.
func (l Layout) SupportsResume() bool { return l != LayoutSingle }

// ParseLayout returns the Layout named s ("files", "single" or "hive",
// case-insensitive).
func ParseLayout(s string) (Layout, error) {
	switch l := Layout(strings.ToLower(s)); l {
	case LayoutFiles, LayoutSingle, LayoutHive:
		return l, nil
	}
	return "", fmt.Errorf("sinks: unknown layout %q (want files, single or hive)", s)
}

// Compression is the codec of Parquet column chunks. It applies to
// [FormatParquet] only.
type Compression string

// The codecs. The zero value means [CompressionZstd].
const (
	CompressionZstd   Compression = "zstd"
	CompressionSnappy Compression = "snappy"
	CompressionNone   Compression = "none"
)

// ParseCompression returns the Compression named s ("zstd", "snappy" or
// "none", case-insensitive; "uncompressed" is a synonym of "none").
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(strings.ToLower(s)); c {
	case CompressionZstd, CompressionSnappy, CompressionNone:
		return c, nil
	case "uncompressed":
		return CompressionNone, nil
	}
	return "", fmt.Errorf("sinks: unknown compression %q (want zstd, snappy or none)", s)
}

// Options configure a [Writer]. Only Dir is required.
type Options struct {
	// Dir is the output directory; New creates it.
	Dir string
	// Format defaults to FormatParquet.
	Format Format
	// Layout defaults to LayoutFiles.
	Layout Layout
	// Compression defaults to CompressionZstd.
	Compression Compression
	// RowGroupSize caps the rows of a Parquet row group; 0 leaves one row
	// group per written record (the Parquet library's cap is 64Mi rows).
	RowGroupSize int
	// Allocator holds the Parquet and Arrow writers' buffers; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Metadata is written into every Parquet and Arrow file, as Parquet
	// key-value metadata and Arrow schema metadata: for example source,
	// function, output_size, fetch_time, loader_version. Write's meta is
	// added to it per file. Nothing else is written there, so it must never
	// hold a secret such as an API key.
	Metadata map[string]string
}

// withDefaults returns o with every zero field set to its default, or an
// error naming the first invalid field.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, fmt.Errorf("sinks: no output directory")
	}
	if o.Format == "" {
		o.Format = FormatParquet
	}
	if o.Layout == "" {
		o.Layout = LayoutFiles
	}
	if o.Compression == "" {
		o.Compression = CompressionZstd
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	var err error
	if o.Format, err = ParseFormat(string(o.Format)); err != nil {
		return o, err
	}
	if o.Layout, err = ParseLayout(string(o.Layout)); err != nil {
		return o, err
	}
	if o.Compression, err = ParseCompression(string(o.Compression)); err != nil {
		return o, err
	}
	if o.RowGroupSize < 0 {
		return o, fmt.Errorf("sinks: negative row group size %d", o.RowGroupSize)
	}
	return o, nil
}
