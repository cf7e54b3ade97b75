package loader

import (
	"fmt"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
)

// ParseBoundary parses a split boundary (DatasetConfig.TrainEnd or
// ValEnd) as `loader batches` and the Python package take it:
//
//	2024-06-14                 a date (UTC midnight): the split ends with that day
//	2024-06-14T12:00:00-04:00  an instant, RFC 3339 with its offset (or Z)
//	2024-06-14T12:00[:00]      a time of exchange (sources.Exchange) clock,
//	2024-06-14 12:00[:00]      as the service stamps intraday bars
//
// The empty string is the zero time: no boundary.
func ParseBoundary(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, sources.Exchange); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a date YYYY-MM-DD, an RFC 3339 time such as 2024-06-14T12:00:00-04:00, or an exchange time YYYY-MM-DDTHH:MM", s)
}
