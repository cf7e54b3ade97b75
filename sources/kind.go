package sources

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the exchange zone, on systems without a zone database

	"github.com/apache/arrow-go/v18/arrow"
)

// Function is how long one bar of a series lasts.
type Function string

// The functions, as `--function` names them.
const (
	Daily    Function = "daily"
	Weekly   Function = "weekly"
	Monthly  Function = "monthly"
	Intraday Function = "intraday"
)

// Functions lists every Function, in the order help texts give them.
var Functions = []Function{Daily, Weekly, Monthly, Intraday}

// Intervals lists the intraday intervals the service has, shortest first.
var Intervals = []string{"1min", "5min", "15min", "30min", "60min"}

// FunctionNames names the Functions as help texts and errors do: "daily,
// weekly, monthly or intraday".
func FunctionNames() string {
	names := make([]string, len(Functions))
	for i, f := range Functions {
		names[i] = string(f)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ParseFunction returns the Function named s; "" is Daily.
func ParseFunction(s string) (Function, error) {
	if s == "" {
		return Daily, nil
	}
	if f := Function(s); slices.Contains(Functions, f) {
		return f, nil
	}
	return "", fmt.Errorf("function %q: want %s", s, FunctionNames())
}

// ParseInterval returns the length of the intraday interval named s
// ("5min").
func ParseInterval(s string) (time.Duration, error) {
	if !slices.Contains(Intervals, s) {
		return 0, fmt.Errorf("interval %q: want %s", s, strings.Join(Intervals, ", "))
	}
	var minutes int
	fmt.Sscanf(s, "%dmin", &minutes)
	return time.Duration(minutes) * time.Minute, nil
}

// Kind is what a series holds: which bars, and which columns.
type Kind struct {
	// Function is the length of a bar; Daily when empty.
	Function Function
	// Interval is the length of an intraday bar ("5min"); empty for the
	// other functions.
	Interval string
	// Adjusted selects the adjusted series. For daily, weekly and
	// monthly bars it adds the adjusted_close and dividend columns (and,
	// daily, split_coefficient); intraday bars keep their columns and
	// have their prices adjusted for splits and dividends instead.
	Adjusted bool
	// ExtendedHours, intraday only, includes the pre-market and
	// after-hours bars (4:00 to 20:00 Eastern), not only the regular
	// session (9:30 to 16:00).
	ExtendedHours bool
}

// Validate returns an error naming the first setting of k out of range.
func (k Kind) Validate() error {
	f, err := ParseFunction(string(k.Function))
	if err != nil {
		return err
	}
	switch {
	case f == Intraday:
		_, err = ParseInterval(k.Interval)
		return err
	case k.Interval != "":
		return fmt.Errorf("interval %q: only intraday series have one, not %s", k.Interval, f)
	case k.ExtendedHours:
		return fmt.Errorf("extended hours: only intraday series have them, not %s", f)
	}
	return nil
}

// IsPeriod reports whether k's bars are those of a calendar period,
// weekly or monthly: the whole history comes in one request, whatever
// the output size, and the newest bar, its period's so far, changes until
// the period ends.
func (k Kind) IsPeriod() bool { return k.Function == Weekly || k.Function == Monthly }

// IsIntraday reports whether k's bars are stamped by their time, in
// the ColTimestamp column, rather than by their day.
func (k Kind) IsIntraday() bool { return k.Function == Intraday }

// String names k as a run's settings would: "daily", "weekly adjusted",
// "intraday 5min extended-hours".
func (k Kind) String() string {
	s := string(k.Function)
	if s == "" {
		s = string(Daily)
	}
	if k.Interval != "" {
		s += " " + k.Interval
	}
	if k.Adjusted {
		s += " adjusted"
	}
	if k.ExtendedHours {
		s += " extended-hours"
	}
	return s
}

// Schema returns the schema of k's series:
//
//	daily            symbol, date, open, high, low, close, volume
//	                 [, adjusted_close, dividend, split_coefficient]
//	weekly, monthly  symbol, date, open, high, low, close, volume
//	                 [, adjusted_close, dividend]
//	intraday         symbol, timestamp, open, high, low, close, volume
//
// where the bracketed columns are the adjusted series' and timestamp is
// [TimestampType].
func (k Kind) Schema() *arrow.Schema {
	switch {
	case k.IsIntraday():
		return intradaySchema
	case !k.Adjusted:
		return dailySchema
	case k.IsPeriod():
		return periodAdjustedSchema
	}
	return adjustedSchema
}

// ExchangeZone is the time zone of the exchanges whose bars the service
// stamps in "US/Eastern": intraday timestamps carry it.
const ExchangeZone = "America/New_York"

// TimestampType is the type of the ColTimestamp column: instants in
// microseconds, carrying ExchangeZone, so that DuckDB, Polars and pyarrow
// read the right instants and show them in exchange time.
var TimestampType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: ExchangeZone}

// Exchange is ExchangeZone's location.
var Exchange = mustLoadLocation(ExchangeZone)

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("sources: time zone %s: %v (import time/tzdata where the system has no zone database)", name, err))
	}
	return loc
}

// TimeAxis returns the index of schema's time column, date (date32) or
// timestamp (a timestamp type), and whether it is the timestamp one. It
// is an error for schema to have neither.
func TimeAxis(schema *arrow.Schema) (int, bool, error) {
	for i, f := range schema.Fields() {
		switch {
		case f.Name == ColDate && f.Type.ID() == arrow.DATE32:
			return i, false, nil
		case f.Name == ColTimestamp && f.Type.ID() == arrow.TIMESTAMP:
			return i, true, nil
		}
	}
	return -1, false, fmt.Errorf("no %s (date32) or %s (timestamp) column", ColDate, ColTimestamp)
}
