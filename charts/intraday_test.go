package charts_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/charts"
	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// kindBars returns symbol's sample bars of kind: intraday those of June
// 2024, regular hours; else those of 2015 to 2024. The caller releases it.
func kindBars(symbol string, kind sources.Kind) (arrow.RecordBatch, int) {
	var bars []sources.Bar
	if kind.IsIntraday() {
		bars = sample.Intraday(symbol, sources.Month{Year: 2024, Month: time.June}, kind, sample.End)
	} else {
		for _, b := range sample.Periods(sample.History(symbol, time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)), kind.Function) {
			if b.Date.Year() >= 2015 {
				bars = append(bars, b)
			}
		}
	}
	return sources.NewRecord(kind, symbol, bars, memory.NewGoAllocator()), len(bars)
}

// closePoints returns the number of points of the close line of an SVG
// chart: the longest path stroked in the close colour (the other is the
// legend's sample).
func closePoints(t *testing.T, svg string) int {
	t.Helper()
	points := 0
	for _, path := range regexp.MustCompile(`<path d="([^"]*)" style="fill:none;stroke:#1F4E99[;"]`).FindAllStringSubmatch(svg, -1) {
		points = max(points, strings.Count(path[1], "L")+1)
	}
	if points == 0 {
		t.Fatal("no close line in the SVG")
	}
	return points
}

// TestRenderKinds renders a chart of each kind of series as SVG and checks
// its title, its axis labels, its legend's units and that the close line
// has a point per bar.
func TestRenderKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		kind  sources.Kind
		style charts.Style
		want  []string // texts of the chart
		not   []string // texts it must not have
		bars  int      // points of the close line; 0: every bar of the series
	}{
		{"intraday", sources.Kind{Function: sources.Intraday, Interval: "30min"}, charts.Style{},
			[]string{"IBM — 30-minute close, 2024-06-03 09:30 to 2024-06-28 15:30 America/New_York", "Jun 03", "Jun 27", "30-minute volume", "20-bar average"},
			[]string{"day average", "2024-06-03<", "Jun 2024"}, 0},
		{"one intraday day", sources.Kind{Function: sources.Intraday, Interval: "5min"},
			charts.Style{Start: time.Date(2024, 6, 12, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 6, 12, 0, 0, 0, 0, time.UTC)},
			[]string{"IBM — 5-minute close, 2024-06-12 09:30 to 2024-06-12 15:55 America/New_York", ">10:00<", ">15:00<"},
			[]string{"Jun 11", "Jun 13"}, 78},
		{"weekly", sources.Kind{Function: sources.Weekly, Adjusted: true}, charts.Style{},
			[]string{"IBM — weekly close, 2015-01-02 to 2024-12-31", "20-week average", "weekly volume", ">2016<"},
			[]string{"day average", "daily"}, 0},
		{"monthly", sources.Kind{Function: sources.Monthly}, charts.Style{},
			[]string{"IBM — monthly close, 2015-01-30 to 2024-12-31", "50-month average", "monthly volume"},
			[]string{"day average", "daily"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, out := t.TempDir(), t.TempDir()
			rec, n := kindBars("IBM", tt.kind)
			write(t, in, dataset.FormatParquet, dataset.LayoutFiles, rec)
			style := tt.style
			style.Format = charts.SVG
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			paths, err := charts.RenderDir(context.Background(), in, out, charts.Options{Style: style, Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(paths[0])
			if err != nil {
				t.Fatal(err)
			}
			svg := string(data)
			for _, want := range tt.want {
				if !strings.Contains(svg, want) {
					t.Errorf("SVG lacks %q", want)
				}
			}
			for _, not := range tt.not {
				if strings.Contains(svg, not) {
					t.Errorf("SVG has %q", not)
				}
			}
			want := tt.bars
			if want == 0 {
				want = n
			}
			if got := closePoints(t, svg); got != want {
				t.Errorf("close line of %d points, want %d", got, want)
			}
		})
	}
}
