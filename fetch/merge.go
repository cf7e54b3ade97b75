package fetch

import (
	"fmt"
	"sort"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/transform"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// compactMargin is how many business days short of sources.CompactBars a
// stored history must end for a compact answer to be sure to overlap it:
// the service's last trading day may be ahead of the local calendar.
const compactMargin = 5

// withinCompact reports whether a stored history that ends on last (as
// YYYY-MM-DD) ends within the compact window of a request made at now: the
// newest sources.CompactBars trading days. Trading days are never more
// than business days, so counting business days errs on the safe side.
func withinCompact(last string, now time.Time) bool {
	day, err := time.Parse(time.DateOnly, last)
	if err != nil {
		return false
	}
	return businessDays(day, now) <= sources.CompactBars-compactMargin
}

// businessDays counts the Mondays to Fridays after from, up to and
// including to's calendar date.
func businessDays(from, to time.Time) int {
	y, m, d := to.Date()
	end := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	n := 0
	for day := from.AddDate(0, 0, 1); !day.After(end); day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}

// overlap compares a fresh answer with the stored record of the same
// symbol. The answer's bars up to the stored history's last one (by
// date, or by timestamp for intraday bars) must be exactly the stored
// history's newest bars, identical in every column the answer has. It
// returns the index of the answer's first new row, or why the history
// changed: the symbol must then be fetched whole again.
func overlap(stored, fresh arrow.RecordBatch) (from int, why string) {
	sa, err := timeAxis(stored)
	if err != nil {
		return 0, "the stored file: " + err.Error()
	}
	fa, err := timeAxis(fresh)
	if err != nil {
		return 0, "the answer: " + err.Error()
	}
	if sa.name != fa.name {
		return 0, fmt.Sprintf("the stored file's time column is %s, the answer's %s", sa.name, fa.name)
	}
	sd, fd, at := sa.keys, fa.keys, sa.format
	if len(sd) == 0 {
		return 0, "the stored file has no rows"
	}
	if len(fd) == 0 {
		return 0, "the answer has no rows"
	}
	// The answer's bars before the stored history's first are not
	// compared: --start cut them, or a compact dataset began after them.
	last := sd[len(sd)-1]
	lo := sort.Search(len(fd), func(i int) bool { return fd[i] >= sd[0] })
	n := sort.Search(len(fd), func(i int) bool { return fd[i] > last })
	if n == lo {
		return 0, fmt.Sprintf("no bar to compare: the stored history runs %s to %s, the answer %s to %s",
			at(sd[0]), at(last), at(fd[0]), at(fd[len(fd)-1]))
	}
	first := sort.Search(len(sd), func(i int) bool { return sd[i] >= fd[lo] })
	if first > 0 && lo > 0 {
		return 0, fmt.Sprintf("%s is stored but not in the answer", at(sd[first-1]))
	}
	for i := range max(n-lo, len(sd)-first) {
		switch {
		case i >= n-lo:
			return 0, fmt.Sprintf("%s is stored but not in the answer", at(sd[first+i]))
		case first+i >= len(sd):
			return 0, fmt.Sprintf("%s is in the answer but not stored", at(fd[lo+i]))
		case sd[first+i] < fd[lo+i]:
			return 0, fmt.Sprintf("%s is stored but not in the answer", at(sd[first+i]))
		case sd[first+i] > fd[lo+i]:
			return 0, fmt.Sprintf("%s is in the answer but not stored", at(fd[lo+i]))
		}
	}
	for c, field := range fresh.Schema().Fields() {
		if field.Name == fa.name {
			continue
		}
		idx := stored.Schema().FieldIndices(field.Name)
		if len(idx) == 0 {
			return 0, fmt.Sprintf("the stored file has no %s column", field.Name)
		}
		old, got := stored.Column(idx[0]), fresh.Column(c)
		if !arrow.TypeEqual(old.DataType(), got.DataType()) {
			return 0, fmt.Sprintf("the stored %s column is %s, the answer's %s", field.Name, old.DataType(), got.DataType())
		}
		k := int64(n - lo)
		if array.SliceEqual(old, int64(first), int64(first)+k, got, int64(lo), int64(lo)+k) {
			continue
		}
		for i := range k {
			if !array.SliceEqual(old, int64(first)+i, int64(first)+i+1, got, int64(lo)+i, int64(lo)+i+1) {
				return 0, fmt.Sprintf("%s of %s changed from %s to %s", field.Name, at(fd[lo+int(i)]), value(old, first+int(i)), value(got, lo+int(i)))
			}
		}
	}
	return n, ""
}

// sameRow reports whether row i of a holds the values of row j of b in
// every column of b.
func sameRow(a arrow.RecordBatch, i int64, b arrow.RecordBatch, j int64) bool {
	for c, field := range b.Schema().Fields() {
		idx := a.Schema().FieldIndices(field.Name)
		if len(idx) == 0 || !array.SliceEqual(a.Column(idx[0]), i, i+1, b.Column(c), j, j+1) {
			return false
		}
	}
	return true
}

// merged returns the answer's columns, the stored rows followed by the
// answer's rows from from on, built with mem.
func merged(stored, fresh arrow.RecordBatch, from int, mem memory.Allocator) (arrow.RecordBatch, error) {
	schema := fresh.Schema()
	cols := make([]arrow.Array, 0, schema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, f := range schema.Fields() {
		old := stored.Column(stored.Schema().FieldIndices(f.Name)[0])
		tail := array.NewSlice(fresh.Column(i), int64(from), fresh.NumRows())
		c, err := array.Concatenate([]arrow.Array{old, tail}, mem)
		tail.Release()
		if err != nil {
			return nil, fmt.Errorf("append column %s: %w", f.Name, err)
		}
		cols = append(cols, c)
	}
	return array.NewRecordBatch(schema, cols, stored.NumRows()+fresh.NumRows()-int64(from)), nil
}

// spliced applies fn to the merged record and returns the rows the stored
// record already holds followed by fn's rows dated after them, with the
// number of those; nil when fn keeps no new row (a --end before them). The
// stored rows keep the values fn gave them when their file was written —
// with --start, those of a series that reached further back — which for
// the built-in transforms, each computed from a row and those before it,
// are what fn gives them over the merged record too. Should the stored
// columns not be fn's (a file changed by hand), the merged record's rows
// are all recomputed instead.
func spliced(stored, merged arrow.RecordBatch, fn transform.Func, mem memory.Allocator) (arrow.RecordBatch, int, error) {
	out, err := fn(merged, mem)
	if err != nil {
		return nil, 0, err
	}
	defer out.Release()
	sa, err := timeAxis(stored)
	if err != nil || len(sa.keys) == 0 {
		return nil, 0, fmt.Errorf("the stored file: %v", err)
	}
	oa, err := timeAxis(out)
	if err != nil {
		return nil, 0, err
	}
	sd, od := sa.keys, oa.keys
	from := sort.Search(len(od), func(i int) bool { return od[i] > sd[len(sd)-1] })
	if from == len(od) {
		return nil, 0, nil
	}
	days := len(od) - from
	if !sameColumns(stored.Schema(), out.Schema()) {
		out.Retain()
		return out, days, nil
	}
	cols := make([]arrow.Array, 0, out.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i := range int(out.NumCols()) {
		tail := array.NewSlice(out.Column(i), int64(from), out.NumRows())
		c, err := array.Concatenate([]arrow.Array{stored.Column(i), tail}, mem)
		tail.Release()
		if err != nil {
			return nil, 0, fmt.Errorf("append column %s: %w", out.ColumnName(i), err)
		}
		cols = append(cols, c)
	}
	return array.NewRecordBatch(out.Schema(), cols, stored.NumRows()+int64(days)), days, nil
}

// sameColumns reports whether a and b have the same column names and
// types, in the same order; nullability and metadata may differ, as they
// do after a round trip through a file.
func sameColumns(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}

// axis is the time column of a record: its name (date or timestamp),
// its values as integers ascending, how to name one in a message, and the
// exchange date of one as UTC midnight (see sources.DayOf).
type axis struct {
	name   string
	keys   []int64
	format func(int64) string
	day    func(int64) time.Time
}

// timeAxis returns rec's time axis (see sources.TimeAxis), which must be
// without nulls and strictly ascending.
func timeAxis(rec arrow.RecordBatch) (axis, error) {
	idx, _, err := sources.TimeAxis(rec.Schema())
	if err != nil {
		return axis{}, err
	}
	a := axis{name: rec.Schema().Field(idx).Name, keys: make([]int64, rec.NumRows())}
	col := rec.Column(idx)
	if col.NullN() > 0 {
		return axis{}, fmt.Errorf("the %s column has nulls", a.name)
	}
	switch col := col.(type) {
	case *array.Timestamp:
		unit := col.DataType().(*arrow.TimestampType).Unit
		for i, v := range col.TimestampValues() {
			a.keys[i] = int64(v)
		}
		a.format = func(k int64) string {
			return arrow.Timestamp(k).ToTime(unit).In(sources.Exchange).Format(time.DateTime)
		}
		a.day = func(k int64) time.Time { return sources.DayOf(arrow.Timestamp(k).ToTime(unit)) }
	case *array.Date32:
		for i, v := range col.Date32Values() {
			a.keys[i] = int64(v)
		}
		a.format = func(k int64) string { return arrow.Date32(k).FormattedString() }
		a.day = func(k int64) time.Time { return arrow.Date32(k).ToTime() }
	default:
		return axis{}, fmt.Errorf("the %s column is %s", a.name, col.DataType())
	}
	for i := 1; i < len(a.keys); i++ {
		if a.keys[i] <= a.keys[i-1] {
			return axis{}, fmt.Errorf("%s not ascending at %s", a.name, a.format(a.keys[i]))
		}
	}
	return a, nil
}

// span returns the exchange dates of rec's first and last bars, as
// calendar dates in UTC (how a manifest records them); zero when rec has
// no rows or no time axis.
func span(rec arrow.RecordBatch) (first, last time.Time) {
	a, err := timeAxis(rec)
	if err != nil || len(a.keys) == 0 {
		return time.Time{}, time.Time{}
	}
	return a.day(a.keys[0]), a.day(a.keys[len(a.keys)-1])
}

// value formats row i of col for a message.
func value(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return "null"
	}
	return col.ValueStr(i)
}
