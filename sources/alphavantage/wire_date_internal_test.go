package alphavantage

import (
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
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

// FuzzParseWireTimestamp checks the decoders' timestamp parser against
// time.ParseInLocation in exchange time: both accept the same
// "YYYY-MM-DD HH:MM:SS" wall-clock times that exist there, within
// minWireYear..maxWireYear, and agree on the instant, whether the clock
// comes fresh or holds the day of the input before.
func FuzzParseWireTimestamp(f *testing.F) {
	for _, s := range []string{"2024-03-08 19:55:00", "2024-03-11 04:00:00", "2024-03-10 02:30:00", "2024-03-10 03:30:00",
		"2024-11-03 01:30:00", "2024-11-03 02:30:00", "2024-03-08 24:00:00", "2024-03-08 23:60:00", "2024-03-08 23:59:60",
		"2024-03-08T19:55:00", "2024-03-08 9:55:00", "2024-03-08 19:55:00.5", "2024-02-30 10:00:00", "1899-12-31 23:59:59",
		"2100-12-31 23:59:59", "2024-03-08", ""} {
		f.Add(s)
	}
	held := newWallClock(sources.Exchange)
	f.Fuzz(func(t *testing.T, s string) {
		fresh := newWallClock(sources.Exchange)
		micros, err := parseWireTimestamp([]byte(s), &fresh)
		heldMicros, heldErr := parseWireTimestamp([]byte(s), &held)
		if micros != heldMicros || (err == nil) != (heldErr == nil) {
			t.Fatalf("parseWireTimestamp(%q): %d, %v with a fresh clock; %d, %v with the clock of the inputs before", s, micros, err, heldMicros, heldErr)
		}
		want, werr := time.ParseInLocation(time.DateTime, s, sources.Exchange)
		valid := werr == nil && len(s) == 19 && want.Year() >= minWireYear && want.Year() <= maxWireYear &&
			want.Format(time.DateTime) == s
		if (err == nil) != valid {
			t.Fatalf("parseWireTimestamp(%q): %v; time.ParseInLocation: %v, %v", s, err, want, werr)
		}
		if err == nil && micros != want.UnixMicro() {
			t.Fatalf("parseWireTimestamp(%q) = %d µs, time.ParseInLocation says %d", s, micros, want.UnixMicro())
		}
	})
}
