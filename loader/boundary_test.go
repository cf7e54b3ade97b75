package loader_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/sources"
)

func TestParseBoundary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Time{}, false},
		{"2024-06-14", time.Date(2024, time.June, 14, 0, 0, 0, 0, time.UTC), false},
		{"2024-06-14T12:00:00-04:00", time.Date(2024, time.June, 14, 12, 0, 0, 0, sources.Exchange), false},
		{"2024-06-14T16:00:00Z", time.Date(2024, time.June, 14, 12, 0, 0, 0, sources.Exchange), false},
		{"2024-06-14T12:00:00", time.Date(2024, time.June, 14, 12, 0, 0, 0, sources.Exchange), false},
		{"2024-06-14 12:00", time.Date(2024, time.June, 14, 12, 0, 0, 0, sources.Exchange), false},
		// Winter: the exchange is 5 hours behind UTC.
		{"2024-01-10T09:30", time.Date(2024, time.January, 10, 14, 30, 0, 0, time.UTC), false},
		{"2024-13-01", time.Time{}, true},
		{"14/06/2024", time.Time{}, true},
		{"2024-06-14T25:00", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := loader.ParseBoundary(tt.in)
		if tt.err {
			if err == nil || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseBoundary(%q) = %s, %v; want an error naming it", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseBoundary(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
