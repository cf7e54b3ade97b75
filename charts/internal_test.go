package charts

import (
	"slices"
	"testing"
	"time"
)

func TestMovingAverage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		xs     []float64
		window int
		want   []float64
	}{
		{[]float64{1, 2, 3, 4, 5}, 2, []float64{1.5, 2.5, 3.5, 4.5}},
		{[]float64{1, 2, 3}, 3, []float64{2}},
		{[]float64{1, 2}, 3, nil},
		{[]float64{4, 8}, 1, []float64{4, 8}},
	}
	for _, tt := range tests {
		if got := movingAverage(tt.xs, tt.window); !slices.Equal(got, tt.want) {
			t.Errorf("movingAverage(%v, %d) = %v, want %v", tt.xs, tt.window, got, tt.want)
		}
	}
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDateTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"twenty years", "2006-01-02", "2025-12-31", []string{"2008", "2010", "2012", "2014", "2016", "2018", "2020", "2022", "2024"}},
		{"three years", "2022-03-01", "2025-02-01", []string{"2023", "2024", "2025"}},
		{"five months", "2025-08-01", "2025-12-31", []string{"Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025"}},
		{"a week", "2025-08-01", "2025-08-06", []string{"2025-08-01", "2025-08-02", "2025-08-03", "2025-08-04", "2025-08-05", "2025-08-06"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tick := range (dateTicks{}).Ticks(float64(date(tt.from).Unix()), float64(date(tt.to).Unix())) {
				if !tick.IsMinor() {
					got = append(got, tick.Label)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("labels = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHumanize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    float64
		want string
	}{
		{0, "0"}, {950, "950"}, {1500, "1.5k"}, {2e6, "2M"}, {12.5e6, "12.5M"}, {3e9, "3B"},
	}
	for _, tt := range tests {
		if got := humanize(tt.n); got != tt.want {
			t.Errorf("humanize(%v) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestBetween(t *testing.T) {
	t.Parallel()
	s := &Series{Dates: []time.Time{date("2024-01-02"), date("2024-01-03"), date("2024-01-05")}}
	tests := []struct {
		start, end time.Time
		lo, hi     int
	}{
		{time.Time{}, time.Time{}, 0, 3},
		{date("2024-01-03"), time.Time{}, 1, 3},
		{time.Time{}, date("2024-01-03"), 0, 2},
		{date("2024-01-04"), date("2024-01-04"), 2, 2},
		{date("2025-01-01"), time.Time{}, 3, 3},
	}
	for _, tt := range tests {
		if lo, hi := s.between(tt.start, tt.end); lo != tt.lo || hi != tt.hi {
			t.Errorf("between(%v, %v) = %d, %d; want %d, %d", tt.start, tt.end, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestDecimate(t *testing.T) {
	t.Parallel()
	xs := []float64{0, 1, 2, 3, 4, 5, 6, 7}
	ys := []float64{5, 9, 1, 4, 4, 2, 8, 3}
	tests := []struct {
		buckets      int
		wantX, wantY []float64
	}{
		{4, xs, ys}, // 8 points fit in 2 per bucket: unchanged
		{2, []float64{1, 2, 5, 6}, []float64{9, 1, 2, 8}},
		{1, []float64{1, 2}, []float64{9, 1}},
	}
	for _, tt := range tests {
		gotX, gotY := decimate(xs, ys, tt.buckets)
		if !slices.Equal(gotX, tt.wantX) || !slices.Equal(gotY, tt.wantY) {
			t.Errorf("decimate(%d buckets) = %v, %v; want %v, %v", tt.buckets, gotX, gotY, tt.wantX, tt.wantY)
		}
	}
}

func TestPeaks(t *testing.T) {
	t.Parallel()
	xs := []float64{0, 1, 2, 3, 4, 5}
	ys := []float64{5, 9, 1, 4, 4, 2}
	gotX, gotY := peaks(xs, ys, 3)
	if want := []float64{0, 2, 4}; !slices.Equal(gotX, want) {
		t.Errorf("x = %v, want %v", gotX, want)
	}
	if want := []float64{9, 4, 4}; !slices.Equal(gotY, want) {
		t.Errorf("y = %v, want %v", gotY, want)
	}
	if gotX, _ := peaks(xs, ys, 10); !slices.Equal(gotX, xs) {
		t.Errorf("peaks with more buckets than points changed the x values: %v", gotX)
	}
}

// intradayStamps returns the stamps of bars every step from 09:30 to 16:00 New
// York time on every weekday from first through last.
func intradayStamps(t *testing.T, first, last string, step time.Duration) []time.Time {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for d := date(first); !d.After(date(last)); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		open := time.Date(d.Year(), d.Month(), d.Day(), 9, 30, 0, 0, ny)
		for at := open; at.Before(open.Add(390 * time.Minute)); at = at.Add(step) {
			out = append(out, at)
		}
	}
	return out
}

func TestBarTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, first, last string
		step              time.Duration
		want              []string
	}{
		{"one day", "2024-06-12", "2024-06-12", 30 * time.Minute, []string{"10:00", "11:00", "12:00", "13:00", "14:00", "15:00"}},
		{"a week", "2024-06-10", "2024-06-14", time.Hour, []string{"Jun 10", "Jun 11", "Jun 12", "Jun 13", "Jun 14"}},
		{"a month", "2024-06-03", "2024-06-28", 5 * time.Minute, []string{"Jun 03", "Jun 05", "Jun 07", "Jun 11", "Jun 13", "Jun 17", "Jun 19", "Jun 21", "Jun 25", "Jun 27"}},
		{"half a year", "2024-01-02", "2024-06-28", time.Hour, []string{"Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024", "May 2024", "Jun 2024"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stamps := intradayStamps(t, tt.first, tt.last, tt.step)
			ticks := barTicks{dates: stamps, zone: stamps[0].Location()}
			var got []string
			for _, tick := range ticks.Ticks(0, float64(len(stamps)-1)) {
				if !tick.IsMinor() {
					got = append(got, tick.Label)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("labels = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBarNames(t *testing.T) {
	t.Parallel()
	if got := barLength(intradayStamps(t, "2024-06-10", "2024-06-11", 5*time.Minute)); got != "5-minute" {
		t.Errorf("5-minute bars named %q", got)
	}
	if got := barLength(intradayStamps(t, "2024-06-10", "2024-06-11", time.Hour)); got != "hourly" {
		t.Errorf("hourly bars named %q", got)
	}
	days := func(step, n int) []time.Time {
		var out []time.Time
		for i := range n {
			out = append(out, date("2024-01-05").AddDate(0, 0, step*i))
		}
		return out
	}
	for _, tt := range []struct {
		dates []time.Time
		want  string
	}{{days(1, 10), "daily"}, {days(7, 10), "weekly"}, {days(30, 10), "monthly"}, {days(1, 1), "daily"}} {
		if got, _ := periodOf(tt.dates); got != tt.want {
			t.Errorf("bars %d days apart named %q, want %q", int(tt.dates[len(tt.dates)-1].Sub(tt.dates[0]).Hours()/24), got, tt.want)
		}
	}
}

// TestBetweenIntraday checks that the dates of a range are the days of
// the series' zone.
func TestBetweenIntraday(t *testing.T) {
	t.Parallel()
	stamps := intradayStamps(t, "2024-06-10", "2024-06-14", time.Hour)
	s := &Series{Dates: stamps, Zone: stamps[0].Location()}
	lo, hi := s.between(date("2024-06-11"), date("2024-06-12"))
	if lo != 7 || hi != 21 {
		t.Errorf("between(June 11, June 12) = %d, %d; want 7, 21 (the 7 bars of each day)", lo, hi)
	}
}
