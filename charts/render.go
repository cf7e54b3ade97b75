package charts

import (
	"fmt"
	"image/color"
	"io"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/seed-c7c8f39b/loader/sources"
)

// Format is an image format a chart can be rendered in.
type Format string

// The supported image formats.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// Style sets the look of a chart. The zero Style is a 1200x700 PNG of every
// bar, with 20- and 50-bar moving averages.
type Style struct {
	// Start and End bound the dates shown, inclusive; zero means open.
	// Only their calendar dates count: of intraday bars, the whole days
	// in the exchange's zone. The moving averages still use the bars
	// before Start, so they are drawn from the first bar shown.
	Start, End time.Time
	Format     Format
	// Width and Height are the image size in pixels (at 96 dpi for PNG).
	Width, Height int
	// MovingAverages are the windows, in bars (trading days, for daily
	// bars), of the moving averages drawn over the close.
	MovingAverages []int
}

func (s Style) withDefaults() Style {
	if s.Format == "" {
		s.Format = PNG
	}
	if s.Width <= 0 {
		s.Width = 1200
	}
	if s.Height <= 0 {
		s.Height = 700
	}
	if s.MovingAverages == nil {
		s.MovingAverages = []int{20, 50}
	}
	return s
}

const (
	dpi = 96
	// volumeShare is the part of the chart's height the volume panel takes.
	volumeShare = 0.28
	margin      = vg.Length(8) // points around the whole chart
)

// pixels converts a size in pixels to plot lengths at dpi.
func pixels(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }

var (
	closeColor         = color.RGBA{R: 0x1f, G: 0x4e, B: 0x99, A: 0xff}
	volumeColor        = color.RGBA{R: 0x8c, G: 0xa9, B: 0xd3, A: 0xff}
	volumeAverageColor = color.RGBA{R: 0x1f, G: 0x3a, B: 0x66, A: 0xff}
	gridColor          = color.Gray{Y: 0xdd}
	maColors           = []color.Color{
		color.RGBA{R: 0xe6, G: 0x7e, B: 0x22, A: 0xff},
		color.RGBA{R: 0x2e, G: 0x9e, B: 0x4f, A: 0xff},
		color.RGBA{R: 0x8e, G: 0x44, B: 0xad, A: 0xff},
	}
)

// Render draws s as a chart — the close with its moving averages above,
// the volume below, on one time axis — and writes it to w in style's
// format. The moving averages use every bar of s; only the bars on the
// dates [style.Start, style.End] are shown, and a series with none is an
// error.
func Render(w io.Writer, s *Series, style Style) error {
	style = style.withDefaults()
	lo, hi := s.between(style.Start, style.End)
	if lo == hi {
		return fmt.Errorf("chart %s: no rows between %s and %s", s.Symbol, day(style.Start), day(style.End))
	}
	width, height := pixels(style.Width), pixels(style.Height)
	inner := height - 2*margin
	ax := axisOf(s)
	price, err := pricePlot(s, ax, lo, hi, style, inner*(1-volumeShare))
	if err != nil {
		return fmt.Errorf("chart %s: %w", s.Symbol, err)
	}
	volume, err := volumePlot(s, ax, lo, hi, style, inner*volumeShare)
	if err != nil {
		return fmt.Errorf("chart %s: %w", s.Symbol, err)
	}

	var canvas vg.CanvasWriterTo
	switch style.Format {
	case PNG:
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))}
	case SVG:
		canvas = vgsvg.New(width, height)
	default:
		return fmt.Errorf("chart %s: unknown format %q (want png or svg)", s.Symbol, style.Format)
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	dc = draw.Crop(dc, margin, -margin, margin, -margin)
	split := dc.Min.Y + (dc.Max.Y-dc.Min.Y)*volumeShare
	top := draw.Crop(dc, 0, 0, split-dc.Min.Y, 0)
	bottom := draw.Crop(dc, 0, 0, 0, split-dc.Max.Y)
	top, bottom = alignX(price, top, volume, bottom)
	price.Draw(top)
	volume.Draw(bottom)

	if _, err := canvas.WriteTo(w); err != nil {
		return fmt.Errorf("chart %s: write %s: %w", s.Symbol, style.Format, err)
	}
	return nil
}

// alignX narrows whichever canvas has the wider data area so that both
// plots' data areas start and end at the same x: the panels share a date
// axis even though their y tick labels differ in width.
func alignX(a *plot.Plot, ca draw.Canvas, b *plot.Plot, cb draw.Canvas) (draw.Canvas, draw.Canvas) {
	da, db := a.DataCanvas(ca), b.DataCanvas(cb)
	if d := da.Min.X - db.Min.X; d > 0 {
		cb = draw.Crop(cb, d, 0, 0, 0)
	} else {
		ca = draw.Crop(ca, -d, 0, 0, 0)
	}
	if d := da.Max.X - db.Max.X; d > 0 {
		ca = draw.Crop(ca, 0, -d, 0, 0)
	} else {
		cb = draw.Crop(cb, 0, d, 0, 0)
	}
	return ca, cb
}

// day formats t as a date, or "any date" for an open bound.
func day(t time.Time) string {
	if t.IsZero() {
		return "any date"
	}
	return t.Format(time.DateOnly)
}

// axis is how the bars of a series stand along the x axis of its chart.
type axis struct {
	xs    []float64   // every bar's x
	ticks plot.Ticker // marks and labels xs
	// bars names the bars' length ("daily", "weekly", "monthly",
	// "5-minute"), unit what a moving average counts ("day", "week",
	// "month", "bar").
	bars, unit string
}

// axisOf lays out s's bars: at their dates as Unix seconds, or intraday
// (s.Zone set) one per step, so that the hours between sessions take no
// room.
func axisOf(s *Series) axis {
	xs := make([]float64, s.Len())
	if s.Zone != nil {
		for i := range xs {
			xs[i] = float64(i)
		}
		bars := barLength(s.Dates)
		return axis{xs: xs, ticks: barTicks{dates: s.Dates, zone: s.Zone}, bars: bars, unit: "bar"}
	}
	for i, d := range s.Dates {
		xs[i] = float64(d.Unix())
	}
	bars, unit := periodOf(s.Dates)
	return axis{xs: xs, ticks: dateTicks{}, bars: bars, unit: unit}
}

// periodOf names the period of bars dated dates by the usual distance
// between two: "daily" (a weekend apart at most), "weekly" or "monthly";
// "daily" when there are too few to tell.
func periodOf(dates []time.Time) (bars, unit string) {
	var gaps []float64
	for i := 1; i < len(dates); i++ {
		gaps = append(gaps, dates[i].Sub(dates[i-1]).Hours()/24)
	}
	if len(gaps) == 0 {
		return "daily", "day"
	}
	slices.Sort(gaps)
	switch median := gaps[len(gaps)/2]; {
	case median <= 4:
		return "daily", "day"
	case median <= 10:
		return "weekly", "week"
	}
	return "monthly", "month"
}

// barLength names the length of intraday bars stamped at times: the
// shortest distance between two, "5-minute" or "hourly"; "intraday" when
// there are too few to tell.
func barLength(times []time.Time) string {
	var step time.Duration
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d > 0 && (step == 0 || d < step) {
			step = d
		}
	}
	switch {
	case step == 0:
		return "intraday"
	case step == time.Hour:
		return "hourly"
	case step%time.Minute == 0:
		return fmt.Sprintf("%d-minute", int(step/time.Minute))
	}
	return step.String()
}

func pricePlot(s *Series, ax axis, lo, hi int, style Style, panel vg.Length) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title(s, ax, lo, hi)
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.Y.Label.Text = sources.ColClose
	p.Y.Tick.Marker = priceTicks{}
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.X.Tick.Marker = ax.ticks
	p.HideX() // the volume panel below carries the dates
	p.Add(grid(), dateGrid{ax.ticks})
	legend(p)

	xs := ax.xs
	buckets := style.Width // about one per pixel column
	line, err := plotter.NewLine(xy(decimate(xs[lo:hi], s.Close[lo:hi], buckets)))
	if err != nil {
		return nil, fmt.Errorf("close: %w", err)
	}
	line.Color, line.Width = closeColor, vg.Points(1)
	low, high := slices.Min(s.Close[lo:hi]), slices.Max(s.Close[lo:hi])
	p.Add(line)
	p.Legend.Add(sources.ColClose, line)
	for i, window := range style.MovingAverages {
		// ma[j] averages the window bars ending at row j+window-1.
		ma := movingAverage(s.Close, window)
		from := max(lo, window-1)
		if from >= hi {
			continue // too few bars for this average
		}
		shown := ma[from-window+1 : hi-window+1]
		l, err := plotter.NewLine(xy(decimate(xs[from:hi], shown, buckets)))
		if err != nil {
			return nil, fmt.Errorf("%d-%s average: %w", window, ax.unit, err)
		}
		low, high = min(low, slices.Min(shown)), max(high, slices.Max(shown))
		l.Color, l.Width = maColors[i%len(maColors)], vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%d-%s average", window, ax.unit), l)
	}
	headroom(p, low, high, panel)
	return p, nil
}

func volumePlot(s *Series, ax axis, lo, hi int, style Style, panel vg.Length) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = sources.ColVolume
	p.Y.Tick.Marker = volumeTicks{}
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.X.Tick.Marker = ax.ticks
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Add(grid(), dateGrid{ax.ticks})
	legend(p)

	xs := ax.xs
	buckets := style.Width // about one per pixel column
	area, err := plotter.NewLine(xy(peaks(xs[lo:hi], s.Volume[lo:hi], buckets)))
	if err != nil {
		return nil, fmt.Errorf("volume: %w", err)
	}
	area.Color, area.Width = volumeColor, vg.Points(0.5)
	area.FillColor = volumeColor
	area.StepStyle = plotter.MidStep
	p.Add(area)
	p.Legend.Add(ax.bars+" volume", area)
	// Over years of daily bars (or months of intraday ones) the fill is a
	// dense band; the average shows the trend in it.
	const window = 50
	if from := max(lo, window-1); from < hi {
		ma := movingAverage(s.Volume, window)
		l, err := plotter.NewLine(xy(decimate(xs[from:hi], ma[from-window+1:hi-window+1], buckets)))
		if err != nil {
			return nil, fmt.Errorf("volume average: %w", err)
		}
		l.Color, l.Width = volumeAverageColor, vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%d-%s average", window, ax.unit), l)
	}
	headroom(p, 0, slices.Max(s.Volume[lo:hi]), panel)
	return p, nil
}

// legend puts p's legend in the top left corner, where headroom keeps the
// data out of its way.
func legend(p *plot.Plot) {
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.Padding = vg.Points(1)
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), -vg.Points(2)
}

// headroom sets p's y range to [low, high] plus room above for its
// legend, so that the legend never covers the data. panel is the height
// of the canvas p will be drawn on; the room is the legend's share of it.
// A panel too small to spare the room drops its legend instead.
func headroom(p *plot.Plot, low, high float64, panel vg.Length) {
	span := high - low
	if span == 0 {
		span = 1
	}
	p.Y.Min, p.Y.Max = low, high
	const axesAndTitle = vg.Length(45) // points of the panel that are not data area
	legend := p.Legend.Rectangle(draw.Canvas{}).Size().Y - p.Legend.YOffs
	data := panel - axesAndTitle
	if data < 3*legend {
		p.Legend = plot.NewLegend()
		return
	}
	share := float64(legend / data)
	p.Y.Max += span * share / (1 - share)
}

// title names the symbol, the bars' length, the dates (or intraday, the
// times) shown and, for sample data, that the prices are not real.
func title(s *Series, ax axis, lo, hi int) string {
	first, last := day(s.Dates[lo]), day(s.Dates[hi-1])
	if s.Zone != nil {
		const minute = "2006-01-02 15:04"
		first, last = s.Dates[lo].In(s.Zone).Format(minute), s.Dates[hi-1].In(s.Zone).Format(minute)+" "+s.Zone.String()
	}
	t := fmt.Sprintf("%s — %s close, %s to %s", s.Symbol, ax.bars, first, last)
	if s.Synthetic {
		t += "  (synthetic sample data)"
	}
	return t
}

// grid draws horizontal grid lines; dateGrid draws the vertical ones.
func grid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal.Color = gridColor
	return g
}

// dateGrid draws a vertical line at every labelled tick of its time axis.
// It exists because plotter.Grid takes its ticks from the x axis, which
// the price panel hides.
type dateGrid struct{ ticks plot.Ticker }

// Plot implements plot.Plotter.
func (g dateGrid) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	style := draw.LineStyle{Color: gridColor, Width: vg.Points(0.5)}
	for _, t := range g.ticks.Ticks(p.X.Min, p.X.Max) {
		if t.IsMinor() {
			continue
		}
		x := trX(t.Value)
		c.StrokeLine2(style, x, c.Min.Y, x, c.Max.Y)
	}
}

func xy(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	return pts
}
