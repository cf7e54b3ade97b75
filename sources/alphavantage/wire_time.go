package alphavantage

import (
	"fmt"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
)

// wireZone is the time zone the service names in "Meta Data" for US
// exchanges, whose location is sources.Exchange. An answer that names no
// zone before its series (CSV never does) is read in it.
const wireZone = "US/Eastern"

// zoneLocation returns the location of a "Time Zone" of "Meta Data". The
// service names US/Eastern for every US symbol; UTC and America/New_York
// are taken too, any other zone is an error naming it.
func zoneLocation(zone []byte) (*time.Location, error) {
	switch string(zone) {
	case wireZone, sources.ExchangeZone:
		return sources.Exchange, nil
	case "UTC":
		return time.UTC, nil
	}
	return nil, fmt.Errorf("time zone %q: want %s", truncateForError(zone), wireZone)
}

// parseTime parses a bar's key (JSON) or first field (CSV): a date
// YYYY-MM-DD into days since 1970-01-01, or for an intraday series a
// timestamp "YYYY-MM-DD HH:MM:SS" of the wall clock of clock's location
// into microseconds since the epoch.
func (l *layout) parseTime(s []byte, clock *wallClock) (int64, error) {
	if !l.intraday {
		d, err := parseWireDate(s)
		return int64(d), err
	}
	return parseWireTimestamp(s, clock)
}

// wallClock turns the wall-clock times of a location into instants. It
// keeps the offset of the last day it converted, when that day has a
// single one (all but two days a year), so that the bars of one day, up
// to 960 of them, cost one time.Date rather than one each.
type wallClock struct {
	loc *time.Location
	// day (days since 1970-01-01) is the day cached, in loc, when known;
	// steady reports that its offset, offset seconds east of UTC, holds
	// all day.
	day    int32
	known  bool
	steady bool
	offset int64
}

func newWallClock(loc *time.Location) wallClock { return wallClock{loc: loc} }

// setLocation makes loc the clock's location.
func (c *wallClock) setLocation(loc *time.Location) { *c = newWallClock(loc) }

// parseWireTimestamp parses "YYYY-MM-DD HH:MM:SS", a wall-clock time in
// clock's location, into microseconds since the epoch, accepting years
// minWireYear..maxWireYear and only times that exist there (not the hour
// skipped when daylight saving time begins). A time repeated when it ends
// is read as the first of the two, as time.Date does; the service's bars
// never fall in that hour.
func parseWireTimestamp(s []byte, clock *wallClock) (int64, error) {
	if len(s) != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return 0, fmt.Errorf("bad timestamp %q (want YYYY-MM-DD HH:MM:SS)", truncateForError(s))
	}
	days, err := parseWireDate(s[:10])
	if err != nil {
		return 0, fmt.Errorf("bad timestamp %q: %w", s, err)
	}
	var clk [3]int
	for i, j := range [3]int{11, 14, 17} {
		hi, lo := s[j]-'0', s[j+1]-'0'
		if hi > 9 || lo > 9 {
			return 0, fmt.Errorf("bad timestamp %q (want YYYY-MM-DD HH:MM:SS)", s)
		}
		clk[i] = int(hi)*10 + int(lo)
	}
	if clk[0] > 23 || clk[1] > 59 || clk[2] > 59 {
		return 0, fmt.Errorf("bad timestamp %q (no such time)", s)
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := time.Month(int(s[5]-'0')*10 + int(s[6]-'0'))
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if !clock.known || clock.day != days {
		start := time.Date(y, m, d, 0, 0, 0, 0, clock.loc)
		end := time.Date(y, m, d, 23, 59, 59, 0, clock.loc)
		_, startOffset := start.Zone()
		_, endOffset := end.Zone()
		clock.day, clock.known, clock.offset = days, true, int64(startOffset)
		clock.steady = startOffset == endOffset && end.Sub(start) == 86399*time.Second && start.Day() == d
	}
	secs := int64(clk[0]*3600 + clk[1]*60 + clk[2])
	if clock.steady {
		return (int64(days)*86400 + secs - clock.offset) * 1e6, nil
	}
	t := time.Date(y, m, d, clk[0], clk[1], clk[2], 0, clock.loc)
	if t.Day() != d || t.Hour() != clk[0] || t.Minute() != clk[1] {
		return 0, fmt.Errorf("bad timestamp %q (no such time in %s)", s, clock.loc)
	}
	return t.UnixMicro(), nil
}

// timeWord names what stamps l's bars, in errors.
func (l *layout) timeWord() string {
	if l.intraday {
		return "timestamp"
	}
	return "date"
}

// formatTime writes a bar's time as the wire does: a date, or an
// intraday timestamp in exchange time.
func (l *layout) formatTime(at int64) string {
	if l.intraday {
		return string(appendTimestamp(nil, time.UnixMicro(at)))
	}
	return string(appendDate(nil, arrow.Date32(at).ToTime()))
}

// appendTimestamp appends t, in exchange time, as YYYY-MM-DD HH:MM:SS.
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.In(sources.Exchange)
	b = appendDate(b, t)
	h, m, s := t.Clock()
	return append(b, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
}
