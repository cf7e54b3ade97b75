package fetch

import (
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/transform"
)

// Settings returns the settings of a dataset that the source configuration
// decides, for the source name OpenSource resolved it to: the source, the
// series (function, adjusted, interval, extended hours) and the output
// size. The sample source always answers in full, whatever OutputSize
// says, and so do weekly and monthly series, which come whole; the other
// settings are the caller's.
func (c SourceConfig) Settings(name string) dataset.Settings {
	s := dataset.Settings{
		Source:        name,
		Function:      alphavantage.FunctionName(c.Kind),
		Adjusted:      c.Kind.Adjusted,
		Interval:      c.Kind.Interval,
		ExtendedHours: c.Kind.ExtendedHours,
		OutputSize:    c.OutputSize,
	}
	switch {
	case name == SourceSample, c.Kind.IsPeriod():
		s.OutputSize = string(sources.Full)
	case s.OutputSize == "":
		s.OutputSize = alphavantage.DefaultOutput
	}
	return s
}

// WithSettings returns c set to fetch what a dataset of settings s holds:
// its source, series and output size. What does not shape the data (the
// endpoint, key, rate, concurrency, retries, timeout) stays c's.
func (c SourceConfig) WithSettings(s dataset.Settings) SourceConfig {
	c.Name = s.Source
	c.Kind = KindOf(s)
	c.OutputSize = s.OutputSize
	return c
}

// KindOf returns the kind of series a dataset of settings s holds; a
// manifest that records no function holds daily bars.
func KindOf(s dataset.Settings) sources.Kind {
	s = s.Normalized()
	return sources.Kind{
		Function:      sources.Function(dataset.FunctionOf(s.Function)),
		Adjusted:      s.Adjusted,
		Interval:      s.Interval,
		ExtendedHours: s.ExtendedHours,
	}
}

// RangeOf returns the range of an intraday dataset of settings s, and
// none for other series, whose range is among their transforms.
func RangeOf(s dataset.Settings) Range {
	if !KindOf(s).IsIntraday() {
		return Range{}
	}
	return Range{Start: s.StartDate(), End: s.EndDate()}
}

// Transform returns the transforms of s followed by its date range, or nil
// when it has neither (see transform.Build). The date range of an
// intraday dataset is not among them: Run trims its bars itself, by
// exchange date, as it merges their months.
func Transform(s dataset.Settings) (transform.Func, error) {
	if KindOf(s).IsIntraday() {
		return transform.Build(s.Transform, time.Time{}, time.Time{})
	}
	return transform.Build(s.Transform, s.StartDate(), s.EndDate())
}
