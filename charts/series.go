package charts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/seed-c7c8f39b/loader/internal/tablefile"
	"github.com/seed-c7c8f39b/loader/sources"
)

// Series is what a chart shows of one symbol: the closes and volumes of
// its bars, daily, weekly, monthly or intraday. Dates must be ascending,
// and Close and Volume as long as Dates.
type Series struct {
	Symbol string
	// Dates are the bars' dates (UTC midnight), or with Zone set the
	// intraday bars' timestamps.
	Dates  []time.Time
	Close  []float64
	Volume []float64
	// Zone is set for intraday bars: the time zone (the exchange's) in
	// which their times are shown and a day begins and ends.
	Zone *time.Location
	// Synthetic is true when the file's metadata says the data came from
	// the built-in sample generator, directly or through `loader serve`,
	// so the chart can say so.
	Synthetic bool
}

// Len returns the number of bars in s.
func (s *Series) Len() int { return len(s.Dates) }

// between returns the index range [lo, hi) of the bars of s on the dates
// [start, end] (for intraday bars, the days of Zone: from 00:00 of
// start's date through the end of end's); a zero bound is open. Only the
// calendar dates of start and end count.
func (s *Series) between(start, end time.Time) (lo, hi int) {
	zone := s.Zone
	if zone == nil {
		zone = time.UTC
	}
	midnight := func(t time.Time, days int) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d+days, 0, 0, 0, 0, zone)
	}
	hi = len(s.Dates)
	if !start.IsZero() {
		lo, _ = slices.BinarySearchFunc(s.Dates, midnight(start, 0), time.Time.Compare)
	}
	if !end.IsZero() {
		hi, _ = slices.BinarySearchFunc(s.Dates, midnight(end, 1), time.Time.Compare)
	}
	return lo, max(lo, hi)
}

// seriesOf splits f's rows by symbol into series, keeping rows whose date
// (or intraday timestamp) and close are not null. The symbol comes from the symbol column or, when
// a file lacks it (as in the hive layout), from the file (see
// tablefile.File.Symbol).
func seriesOf(f *tablefile.File) (map[string]*Series, error) {
	column := func(name string) (int, error) {
		idx := f.Schema.FieldIndices(name)
		if len(idx) == 0 {
			return 0, fmt.Errorf("%s: no %q column", f.Path, name)
		}
		return idx[0], nil
	}
	dateCol, intraday, err := sources.TimeAxis(f.Schema)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	closeCol, err := column(sources.ColClose)
	if err != nil {
		return nil, err
	}
	volumeCol, err := column(sources.ColVolume)
	if err != nil {
		return nil, err
	}
	symbolCol, symErr := column(sources.ColSymbol)
	source := strings.ToLower(f.Meta["source"])
	synthetic := strings.Contains(source, "sample") || strings.Contains(source, "synthetic")

	out := map[string]*Series{}
	for _, rec := range f.Records {
		d, zone, err := times(rec.Column(dateCol), intraday)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		cl, ok := rec.Column(closeCol).(*array.Float64)
		if !ok {
			return nil, fmt.Errorf("%s: column close is %s, want float64", f.Path, rec.Column(closeCol).DataType())
		}
		vol, err := numbers(rec.Column(volumeCol))
		if err != nil {
			return nil, fmt.Errorf("%s: column volume: %w", f.Path, err)
		}
		var sym *array.String
		if symErr == nil {
			if sym, ok = rec.Column(symbolCol).(*array.String); !ok {
				return nil, fmt.Errorf("%s: column symbol is %s, want utf8", f.Path, rec.Column(symbolCol).DataType())
			}
		}
		for i := range cl.Len() {
			if rec.Column(dateCol).IsNull(i) || cl.IsNull(i) {
				continue
			}
			name := f.Symbol
			if sym != nil && sym.IsValid(i) {
				name = sym.Value(i)
			}
			s := out[name]
			if s == nil {
				s = &Series{Symbol: name, Synthetic: synthetic, Zone: zone}
				out[name] = s
			}
			s.Dates = append(s.Dates, d(i))
			s.Close = append(s.Close, cl.Value(i))
			s.Volume = append(s.Volume, vol(i))
		}
	}
	return out, nil
}

// times returns a reader of the time column col's values: a date32
// column's dates, or, intraday, a timestamp column's instants in the
// column's zone, which it returns too.
func times(col arrow.Array, intraday bool) (func(int) time.Time, *time.Location, error) {
	if !intraday {
		d, ok := col.(*array.Date32)
		if !ok {
			return nil, nil, fmt.Errorf("column %s is %s, want date32", sources.ColDate, col.DataType())
		}
		return func(i int) time.Time { return d.Value(i).ToTime() }, nil, nil
	}
	ts, ok := col.(*array.Timestamp)
	if !ok {
		return nil, nil, fmt.Errorf("column %s is %s, want a timestamp", sources.ColTimestamp, col.DataType())
	}
	typ := ts.DataType().(*arrow.TimestampType)
	toTime, err := typ.GetToTimeFunc()
	if err != nil {
		return nil, nil, fmt.Errorf("column %s: %w", sources.ColTimestamp, err)
	}
	zone, _ := typ.GetZone() // never nil; its error GetToTimeFunc has just reported
	return func(i int) time.Time { return toTime(ts.Value(i)) }, zone, nil
}

// numbers returns a reader of arr's values as float64, nulls as 0, for the
// integer or float columns a volume may be stored in.
func numbers(arr arrow.Array) (func(int) float64, error) {
	switch a := arr.(type) {
	case *array.Int64:
		return func(i int) float64 {
			if a.IsNull(i) {
				return 0
			}
			return float64(a.Value(i))
		}, nil
	case *array.Float64:
		return func(i int) float64 {
			if a.IsNull(i) {
				return 0
			}
			return a.Value(i)
		}, nil
	}
	return nil, fmt.Errorf("type %s, want int64 or float64", arr.DataType())
}

// merge appends the rows of b to a, for a symbol whose rows are spread
// over several files.
func merge(a, b *Series) {
	a.Dates = append(a.Dates, b.Dates...)
	a.Close = append(a.Close, b.Close...)
	a.Volume = append(a.Volume, b.Volume...)
	a.Synthetic = a.Synthetic || b.Synthetic
	if a.Zone == nil {
		a.Zone = b.Zone
	}
}

// sortByDate puts s's rows in date order, which files written by `loader
// fetch` already have but a merge of several files may not.
func sortByDate(s *Series) {
	if slices.IsSortedFunc(s.Dates, time.Time.Compare) {
		return
	}
	a := s
	idx := make([]int, len(a.Dates))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return a.Dates[i].Compare(a.Dates[j]) })
	a.Dates = permute(a.Dates, idx)
	a.Close = permute(a.Close, idx)
	a.Volume = permute(a.Volume, idx)
}

func permute[T any](xs []T, idx []int) []T {
	out := make([]T, len(xs))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}

// movingAverage returns the simple moving average of xs over window bars:
// out[i] averages xs[i-window+1..i], and is only defined from
// i = window-1 on, so out has len(xs)-window+1 values (none if xs is
// shorter than window).
func movingAverage(xs []float64, window int) []float64 {
	if window < 1 || len(xs) < window {
		return nil
	}
	out := make([]float64, 0, len(xs)-window+1)
	sum := 0.0
	for i, x := range xs {
		sum += x
		if i >= window {
			sum -= xs[i-window]
		}
		if i >= window-1 {
			out = append(out, sum/float64(window))
		}
	}
	return out
}
