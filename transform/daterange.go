package transform

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/sources"
)

// DateRange keeps the rows whose date lies in [start, end], both
// inclusive. A zero start or end leaves that side open. Only the calendar
// dates of start and end count, each read in its own location.
//
// The time axis is the record's date column ([sources.ColDate]), or for
// an intraday series its timestamp column ([sources.ColTimestamp]): then
// start keeps the bars from 00:00 of its date, and end the bars through
// the end of its date (before 00:00 of the next), in the column's zone —
// the exchange's, for the series loader writes.
//
// The result is a zero-copy slice of the input, found by binary search: the
// rows must be sorted ascending by their time, as every source guarantees.
// Applying it fails when start is after end, or when the time column is
// missing, not date32 (nor a timestamp) or holds a null.
func DateRange(start, end time.Time) Func {
	spec := fmt.Sprintf("date range %s..%s", dayString(start), dayString(end))
	first, last := day(start), day(end)
	return func(rec arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		if !start.IsZero() && !end.IsZero() && first > last {
			return nil, fmt.Errorf("%s: start is after end", spec)
		}
		if ts, ok := timestampColumn(rec); ok {
			return timestampRange(rec, ts, start, end, spec)
		}
		col, err := column(rec, sources.ColDate)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		dates, ok := col.(*array.Date32)
		if !ok {
			return nil, fmt.Errorf("%s: column %q is %s, not date32", spec, sources.ColDate, col.DataType())
		}
		if dates.NullN() > 0 {
			return nil, fmt.Errorf("%s: column %q has %d null rows", spec, sources.ColDate, dates.NullN())
		}
		ds := dates.Date32Values()
		lo, hi := 0, len(ds)
		if !start.IsZero() {
			lo = sort.Search(len(ds), func(i int) bool { return ds[i] >= first })
		}
		if !end.IsZero() {
			hi = sort.Search(len(ds), func(i int) bool { return ds[i] > last })
		}
		// Unsorted input breaks the search; an empty result beats a panic.
		return rec.NewSlice(int64(lo), int64(max(lo, hi))), nil
	}
}

// timestampRange is DateRange over the timestamp column ts of rec.
func timestampRange(rec arrow.RecordBatch, ts *array.Timestamp, start, end time.Time, spec string) (arrow.RecordBatch, error) {
	typ := ts.DataType().(*arrow.TimestampType)
	zone, err := typ.GetZone()
	if err != nil {
		return nil, fmt.Errorf("%s: column %q: %w", spec, sources.ColTimestamp, err)
	}
	if ts.NullN() > 0 {
		return nil, fmt.Errorf("%s: column %q has %d null rows", spec, sources.ColTimestamp, ts.NullN())
	}
	// midnight is the first instant of t's calendar date in zone, in the
	// column's unit.
	midnight := func(t time.Time, days int) arrow.Timestamp {
		y, m, d := t.Date()
		v, _ := arrow.TimestampFromTime(time.Date(y, m, d+days, 0, 0, 0, 0, zone), typ.Unit)
		return v
	}
	vs := ts.TimestampValues()
	lo, hi := 0, len(vs)
	if !start.IsZero() {
		from := midnight(start, 0)
		lo = sort.Search(len(vs), func(i int) bool { return vs[i] >= from })
	}
	if !end.IsZero() {
		until := midnight(end, 1)
		hi = sort.Search(len(vs), func(i int) bool { return vs[i] >= until })
	}
	return rec.NewSlice(int64(lo), int64(max(lo, hi))), nil
}

// timestampColumn returns rec's timestamp sources.ColTimestamp, if it has
// one.
func timestampColumn(rec arrow.RecordBatch) (*array.Timestamp, bool) {
	col, err := column(rec, sources.ColTimestamp)
	if err != nil {
		return nil, false
	}
	ts, ok := col.(*array.Timestamp)
	return ts, ok
}

// ErrEmptyRange marks a series that has no row in the date range asked
// for (see Build): a range after its last day, before its first, or
// between two of its rows.
var ErrEmptyRange = errors.New("no data in the range")

// nonEmpty returns cut, the DateRange of start and end, failing with
// ErrEmptyRange where it would return no row.
func nonEmpty(start, end time.Time, cut Func) Func {
	return func(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		out, err := cut(rec, mem)
		if err != nil || out.NumRows() > 0 {
			return out, err
		}
		out.Release()
		span := "the series is empty"
		if ts, ok := timestampColumn(rec); ok && ts.Len() > 0 {
			span = fmt.Sprintf("the series runs %s … %s", timestampString(ts, 0), timestampString(ts, ts.Len()-1))
		} else if dates, ok := dateColumn(rec); ok && dates.Len() > 0 {
			span = fmt.Sprintf("the series runs %s … %s", dates.Value(0).FormattedString(), dates.Value(dates.Len()-1).FormattedString())
		}
		return nil, fmt.Errorf("%w %s: %s", ErrEmptyRange, rangeString(start, end), span)
	}
}

// rangeString says which dates start and end keep: "2030-01-01 …",
// "… 2005-12-31" or "2024-01-01 … 2024-06-30".
func rangeString(start, end time.Time) string {
	switch {
	case end.IsZero():
		return dayString(start) + " …"
	case start.IsZero():
		return "… " + dayString(end)
	}
	return dayString(start) + " … " + dayString(end)
}

// dateColumn returns rec's date32 sources.ColDate, if it has one.
func dateColumn(rec arrow.RecordBatch) (*array.Date32, bool) {
	col, err := column(rec, sources.ColDate)
	if err != nil {
		return nil, false
	}
	dates, ok := col.(*array.Date32)
	return dates, ok
}

// timestampString is row i of ts in its zone, to the minute, with the
// zone's abbreviation: "2024-06-03 09:30 EDT".
func timestampString(ts *array.Timestamp, i int) string {
	toTime, err := ts.DataType().(*arrow.TimestampType).GetToTimeFunc()
	if err != nil {
		return ts.ValueStr(i)
	}
	return toTime(ts.Value(i)).Format("2006-01-02 15:04 MST")
}

// day is t's calendar date in t's own location.
func day(t time.Time) arrow.Date32 {
	y, m, d := t.Date()
	return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// dayString is t's calendar date, or "" for the zero time (an open end).
func dayString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
