package alphavantage

import (
	"fmt"
	"strings"

	"github.com/seed-c7c8f39b/loader/sources"
)

// The service's functions, one per kind of series (see FunctionName).
const (
	FunctionDaily           = "TIME_SERIES_DAILY"
	FunctionAdjusted        = "TIME_SERIES_DAILY_ADJUSTED"
	FunctionWeekly          = "TIME_SERIES_WEEKLY"
	FunctionWeeklyAdjusted  = "TIME_SERIES_WEEKLY_ADJUSTED"
	FunctionMonthly         = "TIME_SERIES_MONTHLY"
	FunctionMonthlyAdjusted = "TIME_SERIES_MONTHLY_ADJUSTED"
	FunctionIntraday        = "TIME_SERIES_INTRADAY"
)

// FirstIntradayMonth is the oldest month of the service's intraday
// history: it answers a month before it with an invalid-call refusal.
var FirstIntradayMonth = sources.Month{Year: 2000, Month: 1}

// FunctionName returns the service's function for a series of kind k:
// TIME_SERIES_DAILY for the zero Kind, TIME_SERIES_WEEKLY_ADJUSTED for an
// adjusted weekly one, TIME_SERIES_INTRADAY for every intraday one (its
// interval and adjustment are parameters of the request). A Kind that
// fails Validate gets the function its Function and Adjusted would have.
func FunctionName(k sources.Kind) string {
	switch k.Function {
	case sources.Weekly:
		return pick(k.Adjusted, FunctionWeeklyAdjusted, FunctionWeekly)
	case sources.Monthly:
		return pick(k.Adjusted, FunctionMonthlyAdjusted, FunctionMonthly)
	case sources.Intraday:
		return FunctionIntraday
	}
	return pick(k.Adjusted, FunctionAdjusted, FunctionDaily)
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// layout is how the service lays out its answer for one kind of series:
// the key of the JSON series, the bar fields in wire order with their
// JSON keys, the CSV header, and whether bars are stamped by their time
// rather than their day.
type layout struct {
	kind     sources.Kind
	function string
	// info is the "1. Information" of "Meta Data".
	info      string
	seriesKey string
	// fields are the bar fields (fieldOpen…) in wire order; keys their
	// JSON keys, one for one. The CSV columns after the timestamp follow
	// the same order.
	fields    []int
	keys      []string
	csvHeader string
	intraday  bool
}

// JSON keys and CSV headers of the bar fields, as the service writes them.
var (
	keysPlain         = []string{"1. open", "2. high", "3. low", "4. close", "5. volume"}
	fieldsPlain       = []int{fieldOpen, fieldHigh, fieldLow, fieldClose, fieldVolume}
	keysDailyAdjusted = []string{"1. open", "2. high", "3. low", "4. close",
		"5. adjusted close", "6. volume", "7. dividend amount", "8. split coefficient"}
	fieldsDailyAdjusted  = []int{fieldOpen, fieldHigh, fieldLow, fieldClose, fieldAdjustedClose, fieldVolume, fieldDividend, fieldSplit}
	keysPeriodAdjusted   = keysDailyAdjusted[:7]
	fieldsPeriodAdjusted = fieldsDailyAdjusted[:7]

	csvHeaderPlain          = "timestamp,open,high,low,close,volume"
	csvHeaderDailyAdjusted  = "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient"
	csvHeaderPeriodAdjusted = "timestamp,open,high,low,close,adjusted close,volume,dividend amount"
)

// layoutOf returns the layout of kind's answers, or an error naming the
// setting of kind that is out of range.
func layoutOf(kind sources.Kind) (layout, error) {
	if err := kind.Validate(); err != nil {
		return layout{}, err
	}
	l := layout{kind: kind, function: FunctionName(kind), fields: fieldsPlain, keys: keysPlain, csvHeader: csvHeaderPlain}
	switch kind.Function {
	case sources.Weekly, sources.Monthly:
		period := "Weekly"
		if kind.Function == sources.Monthly {
			period = "Monthly"
		}
		l.info = period + " Prices (open, high, low, close) and Volumes"
		l.seriesKey = period + " Time Series"
		if kind.Adjusted {
			l.info = period + " Adjusted Prices and Volumes"
			l.seriesKey = period + " Adjusted Time Series"
			l.fields, l.keys, l.csvHeader = fieldsPeriodAdjusted, keysPeriodAdjusted, csvHeaderPeriodAdjusted
		}
	case sources.Intraday:
		l.intraday = true
		l.info = "Intraday (" + kind.Interval + ") open, high, low, close prices and volume"
		l.seriesKey = "Time Series (" + kind.Interval + ")"
	default:
		l.info = "Daily Prices (open, high, low, close) and Volumes"
		l.seriesKey = keyDailySeries
		if kind.Adjusted {
			l.info = "Daily Time Series with Splits and Dividend Events"
			l.fields, l.keys, l.csvHeader = fieldsDailyAdjusted, keysDailyAdjusted, csvHeaderDailyAdjusted
		}
	}
	return l, nil
}

// keyDailySeries is the JSON key of the daily series, adjusted or not.
const keyDailySeries = "Time Series (Daily)"

// isSeriesKey reports whether a top-level JSON key names a time series of
// some function ("Time Series (Daily)", "Weekly Adjusted Time Series",
// "Time Series (1min)").
func isSeriesKey(key string) bool {
	return strings.HasPrefix(key, "Time Series") || strings.HasSuffix(key, "Time Series")
}

// fieldOf returns the bar field of a JSON key, or -1 for a key the
// series does not have.
func (l *layout) fieldOf(key []byte) int {
	for i, k := range l.keys {
		if string(key) == k {
			return l.fields[i]
		}
	}
	return -1
}

// keyOf returns the JSON key of bar field f.
func (l *layout) keyOf(f int) string {
	for i, g := range l.fields {
		if g == f {
			return l.keys[i]
		}
	}
	return ""
}

// otherCSVHeader names the series whose CSV header line is, when it is
// the header of another kind of series than l's, or returns "".
func (l *layout) otherCSVHeader(line string) string {
	switch {
	case line == l.csvHeader:
		return ""
	case line == csvHeaderPlain:
		return "an unadjusted"
	case line == csvHeaderDailyAdjusted:
		return "the adjusted daily"
	case line == csvHeaderPeriodAdjusted:
		return "an adjusted weekly or monthly"
	}
	return ""
}

// describe names l's series in errors: "TIME_SERIES_WEEKLY",
// "TIME_SERIES_INTRADAY 5min".
func (l *layout) describe() string {
	if l.intraday {
		return fmt.Sprintf("%s %s", l.function, l.kind.Interval)
	}
	return l.function
}
