package alphavantage

import (
	"testing"
	"time"
)

// FuzzParseWireDate checks the decoders' date parser against time.Parse:
// both accept the same YYYY-MM-DD strings within minWireYear..maxWireYear,
// and agree on the day.
func FuzzParseWireDate(f *testing.F) {
	for _, s := range []string{"2024-01-02", "1900-01-01", "2100-12-31", "1899-12-31", "2101-01-01",
		"2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-01-32",
		"2024-1-02", "2024/01/02", "+024-01-02", "2024-01-0x", "", "99999-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := parseWireDate([]byte(s))
		want, werr := time.Parse(time.DateOnly, s)
		inRange := werr == nil && len(s) == 10 && want.Year() >= minWireYear && want.Year() <= maxWireYear
		if (err == nil) != inRange {
			t.Fatalf("parseWireDate(%q): %v; time.Parse: %v, %v", s, err, want, werr)
		}
		if err == nil && int64(days) != want.Unix()/86400 {
			t.Fatalf("parseWireDate(%q) = day %d, time.Parse says %d", s, days, want.Unix()/86400)
		}
	})
}
