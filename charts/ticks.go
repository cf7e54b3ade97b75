package charts

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// dateTicks marks a time axis whose values are Unix seconds at calendar
// boundaries — years, months or days, whichever gives at most about ten
// labels — instead of at round numbers of seconds.
type dateTicks struct{}

// Ticks implements plot.Ticker.
func (dateTicks) Ticks(min, max float64) []plot.Tick {
	from, to := time.Unix(int64(min), 0).UTC(), time.Unix(int64(max), 0).UTC()
	days := to.Sub(from).Hours() / 24
	switch {
	case days >= 2*365:
		step := pickStep(days/365.25, []int{1, 2, 5, 10, 20, 50})
		minor := 12 // months between minor ticks
		if step == 1 {
			minor = 3
		}
		return calendarTicks(from, to, func(t time.Time) time.Time {
			return time.Date(t.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
		}, func(t time.Time) time.Time { return t.AddDate(0, minor, 0) },
			func(t time.Time) (string, bool) {
				return t.Format("2006"), t.Month() == time.January && t.Year()%step == 0
			})
	case days >= 60:
		step := pickStep(days/30.44, []int{1, 2, 3, 6})
		return calendarTicks(from, to, func(t time.Time) time.Time {
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		}, func(t time.Time) time.Time { return t.AddDate(0, 1, 0) },
			func(t time.Time) (string, bool) {
				return t.Format("Jan 2006"), int(t.Month()-1)%step == 0
			})
	default:
		step := pickStep(days, []int{1, 2, 7, 14})
		return calendarTicks(from, to, func(t time.Time) time.Time {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}, func(t time.Time) time.Time { return t.AddDate(0, 0, 1) },
			func(t time.Time) (string, bool) {
				return t.Format("2006-01-02"), t.YearDay()%step == 0
			})
	}
}

// pickStep returns the smallest step from steps that splits span into at
// most ten labelled intervals.
func pickStep(span float64, steps []int) int {
	for _, s := range steps {
		if span/float64(s) <= 10 {
			return s
		}
	}
	return steps[len(steps)-1]
}

// calendarTicks walks from the boundary at or before from to to, labelling
// the ticks major reports as major and leaving the rest minor.
func calendarTicks(from, to time.Time, floor, next func(time.Time) time.Time, major func(time.Time) (string, bool)) []plot.Tick {
	var ticks []plot.Tick
	for t := floor(from); !t.After(to); t = next(t) {
		if t.Before(from) {
			continue
		}
		tick := plot.Tick{Value: float64(t.Unix())}
		if label, ok := major(t); ok {
			tick.Label = label
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// barTicks marks an axis of intraday bars whose values are the bars'
// indices in dates (their timestamps, in zone): the first bar of every
// day, labelled "Jun 03", of which every second, fifth, … when there are
// many days; over more than about three months, the first bar of every
// month ("Jun 2024"); within one day, the bars on the hour ("10:00").
type barTicks struct {
	dates []time.Time
	zone  *time.Location
}

// Ticks implements plot.Ticker.
func (b barTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := int(math.Max(0, math.Ceil(min))), int(math.Min(float64(len(b.dates)-1), math.Floor(max)))
	if lo > hi {
		return nil
	}
	local := func(i int) time.Time { return b.dates[i].In(b.zone) }
	// starts are the indices of the first bar of each day in [lo, hi].
	var starts []int
	for i := lo; i <= hi; i++ {
		if i == 0 || !sameDay(local(i), local(i-1)) {
			starts = append(starts, i)
		}
	}
	// labelled returns a tick at every bar of at, labelled with layout at
	// every step-th of them, the step the smallest of steps that keeps the
	// labels apart.
	labelled := func(at []int, steps []int, layout string) []plot.Tick {
		step := pickStep(float64(len(at)), steps)
		ticks := make([]plot.Tick, len(at))
		for k, i := range at {
			ticks[k].Value = float64(i)
			if k%step == 0 {
				ticks[k].Label = local(i).Format(layout)
			}
		}
		return ticks
	}
	switch days := len(starts); {
	case days <= 1:
		var hours []int
		for i := lo; i <= hi; i++ {
			if local(i).Minute() == 0 {
				hours = append(hours, i)
			}
		}
		return labelled(hours, []int{1, 2, 3, 4, 6}, "15:04")
	case days <= 66:
		return labelled(starts, []int{1, 2, 5, 10}, "Jan 02")
	default:
		var months []int
		for _, i := range starts {
			if i == 0 || local(i).Month() != local(i-1).Month() {
				months = append(months, i)
			}
		}
		return labelled(months, []int{1, 2, 3, 6, 12}, "Jan 2006")
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// volumeTicks marks a volume axis with plot's default positions and labels
// such as "1.5M" that stay short however large the volumes are.
type volumeTicks struct{}

// Ticks implements plot.Ticker.
func (volumeTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if !ticks[i].IsMinor() {
			ticks[i].Label = humanize(ticks[i].Value)
		}
	}
	return ticks
}

// humanize formats n with a k, M or B suffix and at most one decimal.
func humanize(n float64) string {
	for _, u := range []struct {
		size   float64
		suffix string
	}{{1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(n) >= u.size {
			return trimZero(fmt.Sprintf("%.1f", n/u.size)) + u.suffix
		}
	}
	return trimZero(fmt.Sprintf("%.1f", n))
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

// priceTicks marks a price axis with plot's default positions and labels
// without trailing zeros ("750", not "750.00").
type priceTicks struct{}

// Ticks implements plot.Ticker.
func (priceTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if !ticks[i].IsMinor() {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 6, 64)
		}
	}
	return ticks
}
