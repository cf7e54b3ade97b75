// Package inspect describes the data files `loader fetch` writes, for
// `loader inspect`: format, schema, rows, the time range of every symbol,
// Parquet row groups and compression, key-value metadata, and the first and
// last rows. It reads Parquet, Arrow IPC and CSV files and whole output
// directories in any layout of package dataset.
//
// A report on one file looks like this (abridged):
//
//	AAPL.parquet
//	  format          parquet
//	  rows            5218
//	  schema          symbol utf8, date date32, open float64, ..., volume int64
//	  symbols         1
//	    AAPL          5218 rows  2006-01-02 .. 2025-12-31
//	  row groups      1
//	    #0            5218 rows  ZSTD  168.2 kB compressed, 280.7 kB uncompressed
//	  metadata        2 keys
//	    function      TIME_SERIES_DAILY
//	    source        sample (synthetic data)
//	  column  first       last
//	  symbol  AAPL        AAPL
//	  date    2006-01-02  2025-12-31
//	  close   90.0535     298.407
//
// The time range is the dates of a daily, weekly or monthly series, and
// the first and last bar's times of an intraday one, to the minute in the
// exchange's zone:
//
//	IBM       1560 rows  2024-06-03 09:30 .. 2024-06-28 15:55 America/New_York
//
// Its rows are the series' bars, whatever their length.
package inspect

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

// Path writes a report on the file or output directory at path to w: one
// block per data file (a directory's in name order, named relative to it),
// then for a directory a total with every symbol's rows and date range
// across its files. A directory with a manifest is a dataset: only the
// files it lists are described and counted, and those it does not list
// are named apart, as not part of it (see dataset.Files). Errors name the
// file that could not be read.
func Path(ctx context.Context, w io.Writer, path string, mem memory.Allocator) error {
	if store.IsURL(path) {
		return objects(ctx, w, path, mem)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	if !info.IsDir() {
		_, err := file(ctx, w, localEntry(path, path), mem)
		return err
	}
	paths, err := dataset.Files(path)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	unlisted, err := dataset.Unlisted(path)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	if len(paths) == 0 && len(unlisted) == 0 {
		return fmt.Errorf("inspect %s: no .parquet, .arrow or .csv files", path)
	}
	entries := make([]entry, len(paths))
	for i, p := range paths {
		name, err := filepath.Rel(path, p)
		if err != nil {
			name = p
		}
		entries[i] = localEntry(p, name)
	}
	if err := files(ctx, w, entries, mem); err != nil {
		return err
	}
	if len(unlisted) > 0 {
		fmt.Fprintf(w, "not part of the dataset (its manifest does not list them): %s\n", plural(len(unlisted), "file"))
		for _, p := range unlisted {
			name, err := filepath.Rel(path, p)
			if err != nil {
				name = p
			}
			fmt.Fprintf(w, "  %s\n", filepath.ToSlash(name))
		}
	}
	return nil
}

// entry is one data file to report on.
type entry struct {
	path, name string // path names it in errors; name titles its block
	read       func(context.Context, memory.Allocator) (*tablefile.File, error)
}

func localEntry(path, name string) entry {
	return entry{path: path, name: name, read: func(ctx context.Context, mem memory.Allocator) (*tablefile.File, error) {
		return tablefile.Read(ctx, path, mem)
	}}
}

// files writes the block of every entry, then the total.
func files(ctx context.Context, w io.Writer, entries []entry, mem memory.Allocator) error {
	total := map[string]*span{}
	var rows int64
	for _, e := range entries {
		spans, err := file(ctx, w, e, mem)
		if err != nil {
			return err
		}
		fmt.Fprintln(w)
		for sym, s := range spans {
			rows += s.rows
			if t, ok := total[sym]; ok {
				t.add(s)
			} else {
				total[sym] = s
			}
		}
	}
	fmt.Fprintf(w, "total: %s, %d rows, %s\n", plural(len(entries), "file"), rows, plural(len(total), "symbol"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeSpans(tw, "  ", total)
	return tw.Flush()
}

// file writes the report on one file, titled e.name, and returns its spans
// by symbol.
func file(ctx context.Context, w io.Writer, e entry, mem memory.Allocator) (map[string]*span, error) {
	path, name := e.path, e.name
	f, err := e.read(ctx, mem)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	defer f.Release()
	spans, err := symbolSpans(f)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}

	fmt.Fprintln(w, name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  format\t%s\n", f.Format)
	fmt.Fprintf(tw, "  rows\t%d\n", f.NumRows())
	var fields []string
	for _, fd := range f.Schema.Fields() {
		fields = append(fields, fd.Name+" "+fd.Type.String())
	}
	fmt.Fprintf(tw, "  schema\t%s\n", strings.Join(fields, ", "))
	fmt.Fprintf(tw, "  symbols\t%d\n", len(spans))
	writeSpans(tw, "    ", spans)
	if f.Format == dataset.FormatParquet {
		groups, err := f.RowGroups()
		if err != nil {
			return nil, fmt.Errorf("inspect: %w", err)
		}
		fmt.Fprintf(tw, "  row groups\t%d\n", len(groups))
		for i, g := range groups {
			fmt.Fprintf(tw, "    #%d\t%d rows\t%s\t%s compressed, %s uncompressed\n", i, g.Rows,
				strings.Join(g.Compression, ","), bytes(g.CompressedBytes), bytes(g.UncompressedBytes))
		}
	}
	if len(f.Meta) == 0 {
		fmt.Fprintf(tw, "  metadata\tnone\n")
	} else {
		fmt.Fprintf(tw, "  metadata\t%d keys\n", len(f.Meta))
	}
	for _, k := range slices.Sorted(maps.Keys(f.Meta)) {
		v := f.Meta[k]
		if k == "ARROW:schema" { // base64 of a flatbuffer: its size says enough
			v = fmt.Sprintf("(%d bytes, the Arrow schema)", len(v))
		}
		fmt.Fprintf(tw, "    %s\t%s\n", k, v)
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	if f.NumRows() > 0 {
		if err := firstLast(w, f); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", path, err)
		}
	}
	return spans, nil
}

// firstLast writes the first and last rows side by side, a line per
// column, which stays readable however many columns there are.
func firstLast(w io.Writer, f *tablefile.File) error {
	var first, last arrow.RecordBatch
	for _, r := range f.Records {
		if r.NumRows() > 0 {
			if first == nil {
				first = r
			}
			last = r
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  column\tfirst\tlast")
	for i, fd := range f.Schema.Fields() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", fd.Name, valueAt(first.Column(i), 0), valueAt(last.Column(i), last.NumRows()-1))
	}
	return tw.Flush()
}

// valueAt formats the value at row i of arr.
func valueAt(arr arrow.Array, i int64) string {
	if arr.IsNull(int(i)) {
		return "null"
	}
	return arr.ValueStr(int(i))
}

// span is one symbol's rows and time range: the dates of a daily, weekly
// or monthly series, the bars' instants of an intraday one.
type span struct {
	rows        int64
	first, last time.Time
	dated       bool
	// zone is the intraday bars' time zone, in which the range is shown;
	// nil for a series of dates.
	zone *time.Location
}

func (s *span) addTime(t time.Time) {
	if !s.dated {
		s.first, s.last, s.dated = t, t, true
		return
	}
	if t.Before(s.first) {
		s.first = t
	}
	if t.After(s.last) {
		s.last = t
	}
}

func (s *span) add(o *span) {
	s.rows += o.rows
	if o.dated {
		s.addTime(o.first)
		s.addTime(o.last)
		if s.zone == nil {
			s.zone = o.zone
		}
	}
}

// timeRange says what s spans: "2006-01-02 .. 2025-12-31" for dates,
// "2024-06-03 09:30 .. 2024-06-28 15:55 America/New_York" for intraday
// bars, in their zone.
func (s *span) timeRange() string {
	switch {
	case !s.dated:
		return "no dates"
	case s.zone == nil:
		return s.first.Format(time.DateOnly) + " .. " + s.last.Format(time.DateOnly)
	}
	const minute = "2006-01-02 15:04"
	return s.first.In(s.zone).Format(minute) + " .. " + s.last.In(s.zone).Format(minute) + " " + s.zone.String()
}

func writeSpans(w io.Writer, indent string, spans map[string]*span) {
	for _, sym := range slices.Sorted(maps.Keys(spans)) {
		s := spans[sym]
		fmt.Fprintf(w, "%s%s\t%d rows\t%s\n", indent, sym, s.rows, s.timeRange())
	}
}

// timeColumn reads the time of row i of a record's time column.
type timeColumn struct {
	valid func(int) bool
	at    func(int) time.Time
	zone  *time.Location
}

// timeAxis returns the reader of rec's time column, the column at idx
// (negative for none): nil when there is none.
func timeAxis(rec arrow.RecordBatch, idx int) (*timeColumn, error) {
	if idx < 0 {
		return nil, nil
	}
	switch col := rec.Column(idx).(type) {
	case *array.Date32:
		return &timeColumn{valid: col.IsValid, at: func(i int) time.Time { return col.Value(i).ToTime() }}, nil
	case *array.Timestamp:
		typ := col.DataType().(*arrow.TimestampType)
		toTime, err := typ.GetToTimeFunc()
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", rec.ColumnName(idx), err)
		}
		zone, _ := typ.GetZone() // never nil; its error GetToTimeFunc has just reported
		return &timeColumn{valid: col.IsValid, at: func(i int) time.Time { return toTime(col.Value(i)) }, zone: zone}, nil
	}
	return nil, fmt.Errorf("column %s is %s, want date32 or timestamp", rec.ColumnName(idx), rec.Column(idx).DataType())
}

// symbolSpans counts f's rows and time range per symbol: the symbol
// column's, else the file's (see tablefile.File.Symbol).
func symbolSpans(f *tablefile.File) (map[string]*span, error) {
	symbolCol := -1
	if idx := f.Schema.FieldIndices(sources.ColSymbol); len(idx) > 0 {
		symbolCol = idx[0]
	}
	timeCol := -1
	if idx := f.Schema.FieldIndices(sources.ColTimestamp); len(idx) > 0 {
		timeCol = idx[0]
	} else if idx := f.Schema.FieldIndices(sources.ColDate); len(idx) > 0 {
		timeCol = idx[0]
	}
	spans := map[string]*span{}
	for _, rec := range f.Records {
		var sym *array.String
		if symbolCol >= 0 {
			var ok bool
			if sym, ok = rec.Column(symbolCol).(*array.String); !ok {
				return nil, fmt.Errorf("column symbol is %s, want utf8", rec.Column(symbolCol).DataType())
			}
		}
		times, err := timeAxis(rec, timeCol)
		if err != nil {
			return nil, err
		}
		for i := range int(rec.NumRows()) {
			name := f.Symbol
			if sym != nil && sym.IsValid(i) {
				name = sym.Value(i)
			}
			s := spans[name]
			if s == nil {
				s = &span{}
				spans[name] = s
			}
			s.rows++
			if times != nil && times.valid(i) {
				s.addTime(times.at(i))
				s.zone = times.zone
			}
		}
	}
	return spans, nil
}

// bytes formats a byte count in kB or MB (powers of 1000).
func bytes(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// plural formats n with noun, adding an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
