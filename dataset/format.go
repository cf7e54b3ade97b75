package dataset

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the file format of a dataset's data files, named by their
// extension.
type Format string

// The formats. The zero value means [FormatParquet].
const (
	// FormatParquet is Apache Parquet, compressed by a [Compression].
	FormatParquet Format = "parquet"
	// FormatArrow is the Arrow IPC file format (".arrow"), which is also
	// Feather v2. Its buffers are uncompressed so that readers can map the
	// file into memory.
	FormatArrow Format = "arrow"
	// FormatCSV is comma-separated values with a header row, dates as
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
	return "", fmt.Errorf("unknown format %q (want parquet, arrow or csv)", s)
}

// FormatOf returns the format of path from its extension, and false for a
// file that is not a data file. It knows the other extensions readers
// accept too: .pq, .ipc and .feather.
func FormatOf(path string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet", ".pq":
		return FormatParquet, true
	case ".arrow", ".ipc", ".feather":
		return FormatArrow, true
	case ".csv":
		return FormatCSV, true
	}
	return "", false
}

// Layout is how a dataset arranges its files in its directory.
type Layout string

// The layouts. The zero value means [LayoutFiles].
const (
	// LayoutFiles is one file per symbol: DIR/AAPL.parquet.
	LayoutFiles Layout = "files"
	// LayoutSingle is every symbol in one file, DIR/data.parquet, which
	// appears when its writer is closed.
	LayoutSingle Layout = "single"
	// LayoutHive is one directory per symbol, DIR/symbol=AAPL/part-0.parquet,
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

// Path returns the path, relative to the dataset's directory and with '/'
// separators, of the file that holds symbol in format f: "AAPL.parquet",
// "symbol=AAPL/part-0.parquet" or, in the single layout, "data.parquet".
// It fails for a symbol [FileName] rejects.
func (l Layout) Path(symbol string, f Format) (string, error) {
	name, err := FileName(symbol)
	if err != nil {
		return "", err
	}
	switch l {
	case LayoutSingle:
		return "data." + f.Ext(), nil
	case LayoutHive:
		return PartitionKey + "=" + name + "/part-0." + f.Ext(), nil
	default:
		return name + "." + f.Ext(), nil
	}
}

// ParseLayout returns the Layout named s ("files", "single" or "hive",
// case-insensitive).
func ParseLayout(s string) (Layout, error) {
	switch l := Layout(strings.ToLower(s)); l {
	case LayoutFiles, LayoutSingle, LayoutHive:
		return l, nil
	}
	return "", fmt.Errorf("unknown layout %q (want files, single or hive)", s)
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
	return "", fmt.Errorf("unknown compression %q (want zstd, snappy or none)", s)
}
