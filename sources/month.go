package sources

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Month is a calendar month of exchange time: the unit in which the
// service serves intraday history (`month=YYYY-MM`), and so the unit of
// resume and update of an intraday dataset.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the month, in exchange time, that t falls in.
func MonthOf(t time.Time) Month {
	t = t.In(Exchange)
	return Month{t.Year(), t.Month()}
}

// MonthOfDay returns the month of the calendar date day, whatever its
// location; MonthOf is for instants.
func MonthOfDay(day time.Time) Month { return Month{day.Year(), day.Month()} }

// DayOf returns the exchange date (in Exchange time) that the instant t
// falls on, as UTC midnight: how manifests and state rows record the first
// and last days of an intraday series.
func DayOf(t time.Time) time.Time {
	y, m, d := t.In(Exchange).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseMonth parses "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// String returns "YYYY-MM", as the service's month parameter takes it.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Start returns the first instant of m in exchange time.
func (m Month) Start() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, Exchange) }

// Next returns the month after m.
func (m Month) Next() Month { return MonthOf(m.Start().AddDate(0, 1, 0)) }

// Before reports whether m comes before o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || m.Year == o.Year && m.Month < o.Month
}

// Months returns the months from first through last, oldest first; none
// when last is before first.
func Months(first, last Month) []Month {
	var months []Month
	for m := first; !last.Before(m); m = m.Next() {
		months = append(months, m)
	}
	return months
}

// MonthSource is a Source of intraday bars whose history comes one
// calendar month per request. A job fetching a date range asks it for
// every month the range touches, so that each month is one request and
// one unit of resume.
type MonthSource interface {
	Source
	// FetchMonth returns symbol's bars of month, in full, built with
	// mem. Errors name the symbol and the month.
	FetchMonth(ctx context.Context, symbol string, month Month, mem memory.Allocator) (Series, error)
}
