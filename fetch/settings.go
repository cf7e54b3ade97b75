package fetch

import (
	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/transform"
)

// Settings returns the settings of a dataset that the source configuration
// decides, for the source name OpenSource resolved it to: the source, the
// function and the output size. The sample source always answers in full,
// whatever OutputSize says; the other settings are the caller's.
func (c SourceConfig) Settings(name string) dataset.Settings {
	s := dataset.Settings{Source: name, Function: alphavantage.FunctionDaily, OutputSize: c.OutputSize}
	if c.Adjusted {
		s.Function = alphavantage.FunctionAdjusted
	}
	switch {
	case name == SourceSample:
		s.OutputSize = string(sources.Full)
	case s.OutputSize == "":
		s.OutputSize = alphavantage.DefaultOutput
	}
	return s
}

// WithSettings returns c set to fetch what a dataset of settings s holds:
// its source, function and output size. What does not shape the data (the
// endpoint, key, rate, concurrency, retries, timeout) stays c's.
func (c SourceConfig) WithSettings(s dataset.Settings) SourceConfig {
	c.Name = s.Source
	c.Adjusted = s.Function == alphavantage.FunctionAdjusted
	c.OutputSize = s.OutputSize
	return c
}

// Transform returns the transforms of s followed by its date range, or nil
// when it has neither (see transform.Build).
func Transform(s dataset.Settings) (transform.Func, error) {
	return transform.Build(s.Transform, s.StartDate(), s.EndDate())
}
