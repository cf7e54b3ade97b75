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
