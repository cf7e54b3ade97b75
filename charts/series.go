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

// Series is what a chart shows of one symbol: daily closes and volumes.
// Dates must be ascending, and Close and Volume as long as Dates.
type Series struct {
	Symbol string
	Dates  []time.Time
	Close  []float64
	Volume []float64
	// Synthetic is true when the file's metadata says the data came from
	// the built-in sample generator, directly or through `loader serve`,
	// so the chart can say so.
	Synthetic bool
}

// Len returns the number of days in s.
func (s *Series) Len() int { return len(s.Dates) }

// between returns the index range [lo, hi) of the days of s in
// [start, end]; a zero bound is open.
func (s *Series) between(start, end time.Time) (lo, hi int) {
	hi = len(s.Dates)
	if !start.IsZero() {
		lo, _ = slices.BinarySearchFunc(s.Dates, start, time.Time.Compare)
	}
	if !end.IsZero() {
		hi, _ = slices.BinarySearchFunc(s.Dates, end.AddDate(0, 0, 1), time.Time.Compare)
	}
	return lo, max(lo, hi)
}

// seriesOf splits f's rows by symbol into series, keeping rows whose date
// and close are not null. The symbol comes from the symbol column or, when
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
	dateCol, err := column(sources.ColDate)
	if err != nil {
		return nil, err
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
		d, ok := rec.Column(dateCol).(*array.Date32)
		if !ok {
			return nil, fmt.Errorf("%s: column date is %s, want date32", f.Path, rec.Column(dateCol).DataType())
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
		for i := range d.Len() {
			if d.IsNull(i) || cl.IsNull(i) {
				continue
			}
			name := f.Symbol
			if sym != nil && sym.IsValid(i) {
				name = sym.Value(i)
			}
			s := out[name]
			if s == nil {
				s = &Series{Symbol: name, Synthetic: synthetic}
				out[name] = s
			}
			s.Dates = append(s.Dates, d.Value(i).ToTime())
			s.Close = append(s.Close, cl.Value(i))
			s.Volume = append(s.Volume, vol(i))
		}
	}
	return out, nil
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

// movingAverage returns the simple moving average of xs over window days:
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
