package alphavantage

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Limits that keep decoding a hostile or broken body in bounded memory.
const (
	// MaxWireRows is the most bars DecodeJSON and DecodeCSV accept: the
	// full daily history of the oldest listed stock is under 30,000, a
	// month of 1min bars with extended hours about 23 × 960 = 22,080, and
	// so are the last 30 days of them.
	MaxWireRows = 100_000
	// MaxWireToken is the longest key, value or CSV line in bytes; the
	// longest the service sends is a message of about 350 bytes.
	MaxWireToken = 4096
)

// Dates outside these years are rejected as corrupt.
const (
	minWireYear = 1900
	maxWireYear = 2100
)

// ErrTooManyRows is wrapped by the decoders when a body holds more than
// MaxWireRows bars.
var ErrTooManyRows = errors.New("too many rows")

// Field indexes of a bar, in the wire order of the adjusted daily series;
// the other series use some of them, in this order (see layout).
const (
	fieldOpen = iota
	fieldHigh
	fieldLow
	fieldClose
	fieldAdjustedClose
	fieldVolume
	fieldDividend
	fieldSplit
	numFields
)

// wireRows collects decoded bars column by column in wire order, before
// they are sorted into an Arrow record. Collecting into plain slices keeps
// the Arrow allocator untouched until the body has decoded cleanly, so no
// error path can leak Arrow memory.
type wireRows struct {
	// at is each bar's day (days since 1970-01-01) or, intraday, its
	// instant (microseconds since the epoch).
	at     []int64
	price  [numFields][]float64 // indexed by field; price[fieldVolume] unused
	volume []int64
}

var wireRowsPool = sync.Pool{New: func() any { return new(wireRows) }}

func getWireRows() *wireRows {
	rows := wireRowsPool.Get().(*wireRows)
	rows.at = rows.at[:0]
	for f := range rows.price {
		rows.price[f] = rows.price[f][:0]
	}
	rows.volume = rows.volume[:0]
	return rows
}

func (r *wireRows) release() {
	// Keep a month of 1min bars pooled, but don't pin memory from one
	// outsized body.
	if cap(r.at) > 32<<10 {
		*r = wireRows{}
	}
	wireRowsPool.Put(r)
}

// bar holds one bar being decoded; seen has bit f set once field f is.
type bar struct {
	at    int64
	value [numFields]float64
	vol   int64
	seen  uint16
}

// add appends b, whose fields are those of l.
func (r *wireRows) add(b *bar, l *layout) {
	r.at = append(r.at, b.at)
	r.volume = append(r.volume, b.vol)
	for _, f := range l.fields {
		if f != fieldVolume {
			r.price[f] = append(r.price[f], b.value[f])
		}
	}
}

// sortDedupe puts the rows in ascending time order with unique times. A
// time repeated with the very same bar is kept once; repeated with other
// values, it is an error naming it as l writes it: the body contradicts
// itself, and no choice between the bars would be true. The wire's own
// descending order, and an ascending one, cost no sort.
func (r *wireRows) sortDedupe(l *layout) error {
	n := len(r.at)
	ascending, descending := true, true
	for i := 1; i < n; i++ {
		ascending = ascending && r.at[i-1] < r.at[i]
		descending = descending && r.at[i-1] > r.at[i]
	}
	switch {
	case ascending:
		return nil
	case descending:
		slices.Reverse(r.at)
		slices.Reverse(r.volume)
		for f := range r.price {
			slices.Reverse(r.price[f])
		}
		return nil
	}

	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(a, b int32) int { return cmp.Compare(r.at[a], r.at[b]) })
	keep := perm[:0]
	for i, p := range perm {
		if i > 0 && r.at[p] == r.at[perm[i-1]] {
			if !r.sameBar(p, perm[i-1]) {
				return fmt.Errorf("%s %s appears twice with different values", l.timeWord(), l.formatTime(r.at[p]))
			}
			continue
		}
		keep = append(keep, p)
	}
	r.at = gather(r.at, keep)
	r.volume = gather(r.volume, keep)
	for f := range r.price {
		if len(r.price[f]) == n {
			r.price[f] = gather(r.price[f], keep)
		}
	}
	return nil
}

// sameBar reports whether rows a and b hold the same values.
func (r *wireRows) sameBar(a, b int32) bool {
	if r.volume[a] != r.volume[b] {
		return false
	}
	for f := range r.price {
		if len(r.price[f]) == len(r.at) && r.price[f][a] != r.price[f][b] {
			return false
		}
	}
	return true
}

// gather returns the values of s at idx, in idx order.
func gather[T any](s []T, idx []int32) []T {
	out := make([]T, len(idx))
	for i, p := range idx {
		out[i] = s[p]
	}
	return out
}

// record builds the l.kind.Schema() record of the rows with mem. It
// fills exact-size buffers rather than going through array builders,
// which grow to the next power of two and copy value by value.
func (r *wireRows) record(symbol string, l *layout, mem memory.Allocator) arrow.RecordBatch {
	n := len(r.at)
	schema := l.kind.Schema()
	cols := make([]arrow.Array, 0, schema.NumFields())
	for _, f := range schema.Fields() {
		var col arrow.Array
		switch f.Name {
		case sources.ColSymbol:
			col = symbolArray(mem, symbol, n)
		case sources.ColDate:
			col = dateArray(mem, r.at)
		case sources.ColTimestamp:
			col = fixedArray(mem, f.Type, r.at)
		case sources.ColVolume:
			col = fixedArray(mem, f.Type, r.volume)
		default:
			col = fixedArray(mem, f.Type, r.price[columnField(f.Name)])
		}
		cols = append(cols, col)
	}
	rec := array.NewRecordBatch(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// columnField returns the bar field of a price column of a series.
func columnField(column string) int {
	switch column {
	case sources.ColOpen:
		return fieldOpen
	case sources.ColHigh:
		return fieldHigh
	case sources.ColLow:
		return fieldLow
	case sources.ColClose:
		return fieldClose
	case sources.ColAdjustedClose:
		return fieldAdjustedClose
	case sources.ColDividend:
		return fieldDividend
	}
	return fieldSplit
}

// fixedArray returns an array of type dt holding a copy of values.
func fixedArray[T int32 | int64 | float64](mem memory.Allocator, dt arrow.DataType, values []T) arrow.Array {
	buf := memory.NewResizableBuffer(mem)
	defer buf.Release()
	src := arrow.GetBytes(values)
	buf.Resize(len(src))
	copy(buf.Bytes(), src)
	data := array.NewData(dt, len(values), []*memory.Buffer{nil, buf}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// dateArray returns days, which fit in int32, as a date32 array: narrowed
// straight into the array's buffer.
func dateArray(mem memory.Allocator, days []int64) arrow.Array {
	buf := memory.NewResizableBuffer(mem)
	defer buf.Release()
	buf.Resize(arrow.Date32Traits.BytesRequired(len(days)))
	out := arrow.Date32Traits.CastFromBytes(buf.Bytes())
	for i, d := range days {
		out[i] = arrow.Date32(d)
	}
	data := array.NewData(arrow.FixedWidthTypes.Date32, len(days), []*memory.Buffer{nil, buf}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// symbolArray returns a string array of n times symbol.
func symbolArray(mem memory.Allocator, symbol string, n int) arrow.Array {
	offsets := memory.NewResizableBuffer(mem)
	defer offsets.Release()
	offsets.Resize((n + 1) * 4)
	off := arrow.GetData[int32](offsets.Bytes())
	for i := range off {
		off[i] = int32(i * len(symbol))
	}
	values := memory.NewResizableBuffer(mem)
	defer values.Release()
	values.Resize(n * len(symbol))
	b := values.Bytes()
	for i := 0; i < len(b); i += copy(b[i:], symbol) {
	}
	data := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, offsets, values}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseWireFloat parses a non-negative decimal such as "166.5000" or, less
// commonly, "1.5e2". It accepts no sign, no hex, no "NaN" or "Inf", and
// rejects values that overflow float64.
func parseWireFloat(s []byte) (float64, error) {
	if v, n, ok := scanDecimal(s); ok && n == len(s) {
		return v, nil
	}
	return parseWireFloatSlow(s)
}

// scanDecimal is the fast path of parseWireFloat: it parses the prefix of
// s of the form digits[.digits] and reports its length n. ok is false
// when that prefix is empty or has more than 15 digits. With at most 15
// digits the mantissa and the power of ten are exact float64s and one
// IEEE division rounds correctly, so v equals strconv.ParseFloat's.
func scanDecimal(s []byte) (v float64, n int, ok bool) {
	var mant uint64
	i := 0
	for ; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
	}
	digits, frac := i, 0
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s); i++ {
			c := s[i] - '0'
			if c > 9 {
				break
			}
			mant = mant*10 + uint64(c)
			frac++
		}
	}
	if digits += frac; digits == 0 || digits > 15 {
		return 0, i, false
	}
	return float64(mant) / pow10[frac], i, true
}

func parseWireFloatSlow(s []byte) (float64, error) {
	if len(s) > 0 && s[0] == '-' {
		return 0, fmt.Errorf("negative value %q", s)
	}
	if !isDecimal(s) {
		return 0, errNumber(s)
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %q out of range", s)
	}
	return v, nil
}

// isDecimal reports whether s is digits, an optional fraction and an
// optional exponent: the JSON number grammar without a sign.
func isDecimal(s []byte) bool {
	i, mantDigits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, mantDigits = i+1, mantDigits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, mantDigits = i+1, mantDigits+1
		}
	}
	if mantDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		expStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == expStart {
			return false
		}
	}
	return i == len(s)
}

// parseWireInt parses a non-negative decimal integer such as a volume.
func parseWireInt(s []byte) (int64, error) {
	if v, n, ok := scanInt(s); ok && n == len(s) {
		return v, nil
	}
	if len(s) > 0 && s[0] == '-' {
		return 0, fmt.Errorf("negative value %q", s)
	}
	return 0, fmt.Errorf("bad integer %q", s)
}

// scanInt parses the digits that prefix s and reports how many there are.
// ok is false when there are none or more than 18, which could overflow.
func scanInt(s []byte) (v int64, n int, ok bool) {
	for ; n < len(s); n++ {
		c := s[n] - '0'
		if c > 9 {
			break
		}
		v = v*10 + int64(c)
	}
	return v, n, n > 0 && n <= 18
}

func errNumber(s []byte) error {
	if len(s) > 0 && s[0] == '-' {
		return fmt.Errorf("negative value %q", s)
	}
	return fmt.Errorf("bad number %q", s)
}

// parseWireDate parses YYYY-MM-DD into days since 1970-01-01, accepting
// years minWireYear..maxWireYear and only days that exist.
func parseWireDate(s []byte) (int32, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("bad date %q (want YYYY-MM-DD)", s)
	}
	var n [8]int
	for i, j := range [8]int{0, 1, 2, 3, 5, 6, 8, 9} {
		c := s[j]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad date %q (want YYYY-MM-DD)", s)
		}
		n[i] = int(c - '0')
	}
	y := n[0]*1000 + n[1]*100 + n[2]*10 + n[3]
	m := n[4]*10 + n[5]
	d := n[6]*10 + n[7]
	if y < minWireYear || y > maxWireYear {
		return 0, fmt.Errorf("date %q out of range %d..%d", s, minWireYear, maxWireYear)
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, fmt.Errorf("bad date %q (no such day)", s)
	}
	return daysFromCivil(y, m, d), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm), without going through time.Time.
func daysFromCivil(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400 // years here are positive
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}
