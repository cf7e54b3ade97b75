package fetch

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// The names SourceConfig.Name takes.
const (
	SourceAuto         = "auto"
	SourceSample       = "sample"
	SourceAlphaVantage = "alphavantage"
)

// ErrNoAPIKey is returned by OpenSource for Alpha Vantage without a key.
var ErrNoAPIKey = errors.New("alphavantage needs an API key")

// SourceConfig chooses and configures the source of a run, with the
// meanings `loader fetch` gives its flags: zero is a real value, not a
// default.
type SourceConfig struct {
	// Name is SourceSample, SourceAlphaVantage or SourceAuto (Alpha
	// Vantage when APIKey is set, the synthetic sample data otherwise).
	Name string
	// APIKey is the Alpha Vantage key; it never appears in an error.
	APIKey string
	// Kind is the series to fetch (both sources): daily (the zero
	// value), weekly, monthly or intraday bars, adjusted or not.
	Kind sources.Kind

	// The rest configure Alpha Vantage only, but Validate checks them
	// with every source. The sample source always gives its whole
	// synthetic history, as if OutputSize were "full".
	BaseURL    string
	OutputSize string
	DataType   string
	// Concurrency bounds the requests in flight.
	Concurrency int
	// Rate is the most requests per minute; 0 means no limit.
	Rate float64
	// Timeout bounds one request, body included.
	Timeout time.Duration
	// Retries is how often a failed request is retried; 0 means never.
	Retries int
	// MaxWait bounds the time one symbol may wait for rate limits and
	// Retry-After; 0 means the client's default.
	MaxWait time.Duration
	// MaxRequests budgets the requests of the run; 0 means no budget.
	MaxRequests int
	Logger      *slog.Logger
}

// SettingError is a SourceConfig setting out of range. Field names it as
// the struct does, so that a command line can name its own flag.
type SettingError struct {
	Field string // "OutputSize"
	Value any    // what it held
	Want  string // what it may hold: "compact or full"
}

// Error says what the setting held and what it may hold:
// "OutputSize "huge": want compact or full".
func (e *SettingError) Error() string {
	if s, ok := e.Value.(string); ok {
		return fmt.Sprintf("%s %q: want %s", e.Field, s, e.Want)
	}
	return fmt.Sprintf("%s %v: want %s", e.Field, e.Value, e.Want)
}

// Validate returns a *SettingError for the first setting out of range,
// whichever source Name selects: a value that would be refused with one
// source is refused with every source, so that a configuration does not
// work or fail depending on whether an API key happens to be set.
func (cfg SourceConfig) Validate() error {
	if err := validateKind(cfg.Kind); err != nil {
		return err
	}
	switch cfg.OutputSize {
	case "", "compact", "full":
	default:
		return &SettingError{"OutputSize", cfg.OutputSize, "compact or full"}
	}
	switch cfg.DataType {
	case "", "json", "csv":
	default:
		return &SettingError{"DataType", cfg.DataType, "json or csv"}
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &SettingError{"BaseURL", cfg.BaseURL, "an http:// or https:// URL"}
		}
	}
	if !(cfg.Rate >= 0) || math.IsInf(cfg.Rate, 1) {
		return &SettingError{"Rate", cfg.Rate, "a number of requests per minute, or 0 for no limit"}
	}
	if cfg.Timeout < 0 {
		return &SettingError{"Timeout", cfg.Timeout, "a positive duration"}
	}
	if cfg.Retries < 0 {
		return &SettingError{"Retries", cfg.Retries, "0 (no retries) or more"}
	}
	return nil
}

// validateKind returns a *SettingError naming the field of k out of
// range: Kind.Function, Kind.Interval or Kind.ExtendedHours.
func validateKind(k sources.Kind) error {
	f, err := sources.ParseFunction(string(k.Function))
	if err != nil {
		return &SettingError{"Kind.Function", string(k.Function), sources.FunctionNames()}
	}
	intervals := strings.Join(sources.Intervals, ", ")
	switch {
	case f == sources.Intraday && k.Interval == "":
		return &SettingError{"Kind.Interval", k.Interval, "one of " + intervals + " for intraday bars"}
	case f == sources.Intraday:
		if _, err := sources.ParseInterval(k.Interval); err != nil {
			return &SettingError{"Kind.Interval", k.Interval, "one of " + intervals}
		}
	case k.Interval != "":
		return &SettingError{"Kind.Interval", k.Interval, "none: only intraday bars have an interval, not " + string(f) + " ones"}
	case k.ExtendedHours:
		return &SettingError{"Kind.ExtendedHours", k.ExtendedHours, "false: only intraday bars have extended hours, not " + string(f) + " ones"}
	}
	return nil
}

// Resolved returns the source Name names, with SourceAuto resolved:
// SourceAlphaVantage when APIKey is set, SourceSample otherwise.
func (cfg SourceConfig) Resolved() string {
	if cfg.Name != SourceAuto {
		return cfg.Name
	}
	if cfg.APIKey != "" {
		return SourceAlphaVantage
	}
	return SourceSample
}

// OpenSource returns the source cfg names, and that name with "auto"
// resolved. The caller closes the source. A setting out of range gives a
// *SettingError (see Validate).
func OpenSource(cfg SourceConfig) (sources.Source, string, error) {
	if err := cfg.Validate(); err != nil {
		return nil, cfg.Name, err
	}
	name := cfg.Resolved()
	switch name {
	case SourceSample:
		return sample.Source{Kind: cfg.Kind}, name, nil
	case SourceAlphaVantage:
		if cfg.APIKey == "" {
			return nil, name, ErrNoAPIKey
		}
		rate := cfg.Rate
		if rate == 0 {
			rate = math.Inf(1)
		}
		retries := cfg.Retries
		if retries == 0 {
			retries = -1 // the client's "none"; its zero means its default
		}
		av, err := alphavantage.New(alphavantage.Config{
			BaseURL:     cfg.BaseURL,
			APIKey:      cfg.APIKey,
			Kind:        cfg.Kind,
			OutputSize:  cfg.OutputSize,
			DataType:    cfg.DataType,
			Concurrency: cfg.Concurrency,
			Rate:        rate,
			Timeout:     cfg.Timeout,
			Retries:     retries,
			MaxWait:     cfg.MaxWait,
			MaxRequests: cfg.MaxRequests,
			Logger:      cfg.Logger,
		})
		if err != nil {
			return nil, name, err
		}
		return av, name, nil
	}
	return nil, name, fmt.Errorf("unknown source %q (want auto, sample or alphavantage)", cfg.Name)
}
