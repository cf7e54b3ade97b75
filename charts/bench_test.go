package charts_test

import (
	"io"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/seed-c7c8f39b/loader/charts"
)

// sampleSeries returns the full synthetic series of symbol as a Series.
func sampleSeries(symbol string) *charts.Series {
	bars := sample.Series(symbol)
	s := &charts.Series{Symbol: symbol, Synthetic: true}
	for _, b := range bars {
		s.Dates = append(s.Dates, b.Date)
		s.Close = append(s.Close, b.Close)
		s.Volume = append(s.Volume, float64(b.Volume))
	}
	return s
}

func BenchmarkRender(b *testing.B) {
	s := sampleSeries("AAPL")
	for _, format := range []charts.Format{charts.PNG, charts.SVG} {
		b.Run(string(format), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := charts.Render(io.Discard, s, charts.Style{Format: format}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
