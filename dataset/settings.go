package dataset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
)

// SchemaVersion is the version of the columns loader writes: symbol, date,
// open, high, low, close, volume, the adjusted columns, then the
// transforms'. A dataset of another version must be replaced.
const SchemaVersion = 1

// Settings are what decides the contents of a dataset's files: a run with
// the same settings makes the same files, so a dataset can be brought up to
// date only by a run with its own settings. The manifest records them.
// Settings that do not change the data (the endpoint, the rate, the
// concurrency, the wire format) are not among them.
type Settings struct {
	// Source is the resolved source name, "sample" or "alphavantage".
	Source string `json:"source"`
	// Function is the service's function that fetched the series
	// (--function and --adjusted): TIME_SERIES_DAILY, TIME_SERIES_WEEKLY,
	// TIME_SERIES_MONTHLY, each with an _ADJUSTED form, or
	// TIME_SERIES_INTRADAY. A manifest without one holds daily bars.
	Function string `json:"function,omitempty"`
	// Adjusted is whether the prices are adjusted (--adjusted). The
	// daily, weekly and monthly functions' names say it too, and
	// Normalized sets it from them, so that a manifest that predates it
	// reads right; an intraday series has only this.
	Adjusted bool `json:"adjusted,omitempty"`
	// Interval is the length of an intraday bar, "5min" (--interval);
	// ExtendedHours whether the intraday bars include the pre-market and
	// after-hours sessions (--extended-hours). Both are unset for the
	// other functions.
	Interval      string `json:"interval,omitempty"`
	ExtendedHours bool   `json:"extended_hours,omitempty"`
	// OutputSize is what a request for a symbol without a complete file
	// asks for: "compact" (the newest 100 days) or "full".
	OutputSize string `json:"output_size,omitempty"`
	// Transform is the --transform list, its items trimmed; Start and End
	// the --start and --end dates, YYYY-MM-DD.
	Transform string `json:"transform,omitempty"`
	Start     string `json:"start,omitempty"`
	End       string `json:"end,omitempty"`
	// Format, Layout, Compression and RowGroupSize are those of the files;
	// the last two apply to Parquet only.
	Format       Format      `json:"format"`
	Layout       Layout      `json:"layout"`
	Compression  Compression `json:"compression,omitempty"`
	RowGroupSize int         `json:"row_group_size,omitempty"`
	// SchemaVersion is the SchemaVersion of the files' columns.
	SchemaVersion int `json:"schema_version"`
}

// Normalized returns s in the form Diff compares: defaults filled in
// (parquet, files, zstd, the current SchemaVersion), Adjusted set when
// Function names an adjusted series, the output size of an intraday range
// (whose months always come in full) "full", the transform list's items trimmed,
// and the Parquet-only settings cleared for other formats.
func (s Settings) Normalized() Settings {
	if strings.HasSuffix(s.Function, adjustedSuffix) {
		s.Adjusted = true
	}
	if FunctionOf(s.Function) == string(sources.Intraday) && s.Start != "" {
		s.OutputSize = string(sources.Full) // an intraday range comes as whole months
	}
	if s.Format == "" {
		s.Format = FormatParquet
	}
	if s.Layout == "" {
		s.Layout = LayoutFiles
	}
	if s.Format == FormatParquet {
		if s.Compression == "" {
			s.Compression = CompressionZstd
		}
	} else {
		s.Compression, s.RowGroupSize = "", 0
	}
	if s.SchemaVersion == 0 {
		s.SchemaVersion = SchemaVersion
	}
	items := strings.Split(s.Transform, ",")
	kept := items[:0]
	for _, item := range items {
		if item = strings.TrimSpace(item); item != "" {
			kept = append(kept, item)
		}
	}
	s.Transform = strings.Join(kept, ",")
	return s
}

// validate reports the first setting that no loader could have written.
func (s Settings) validate() error {
	if _, err := ParseFormat(string(s.Format)); err != nil {
		return err
	}
	if _, err := ParseLayout(string(s.Layout)); err != nil {
		return err
	}
	if s.Compression != "" {
		if _, err := ParseCompression(string(s.Compression)); err != nil {
			return err
		}
	}
	switch s.OutputSize {
	case "", "compact", "full":
	default:
		return fmt.Errorf("output size %q: want compact or full", s.OutputSize)
	}
	for _, d := range []string{s.Start, s.End} {
		if _, err := parseDay(d); err != nil {
			return err
		}
	}
	if s.Interval != "" {
		if _, err := sources.ParseInterval(s.Interval); err != nil {
			return err
		}
	}
	if s.RowGroupSize < 0 {
		return fmt.Errorf("negative row group size %d", s.RowGroupSize)
	}
	if s.SchemaVersion < 1 {
		return fmt.Errorf("schema version %d: want 1 or more", s.SchemaVersion)
	}
	return nil
}

// StartDate and EndDate return Start and End as dates, zero when unset.
func (s Settings) StartDate() time.Time { t, _ := parseDay(s.Start); return t }

// EndDate: see StartDate.
func (s Settings) EndDate() time.Time { t, _ := parseDay(s.End); return t }

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// Difference is one setting in which a run differs from a dataset.
type Difference struct {
	// Flag names the setting as `loader fetch` does ("--transform"), or
	// "schema version", which no flag sets.
	Flag string
	// Dataset and Run are the values of the dataset and of the run, as a
	// user would write them ("none" for an unset one).
	Dataset, Run string
}

// String says it as "--transform: the dataset has none, this run asks for
// sma:5".
func (d Difference) String() string {
	if d.Flag == "schema version" {
		return fmt.Sprintf("schema version: the dataset has %s, this loader writes %s", d.Dataset, d.Run)
	}
	return fmt.Sprintf("%s: the dataset has %s, this run asks for %s", d.Flag, d.Dataset, d.Run)
}

// Diff returns every setting in which run differs from the dataset's s,
// in the order of the Settings fields, both normalized first; none when a
// run with run's settings makes s's files.
func (s Settings) Diff(run Settings) []Difference {
	a, b := s.Normalized(), run.Normalized()
	var out []Difference
	add := func(flag, have, want string) {
		if have != want {
			out = append(out, Difference{Flag: flag, Dataset: orNone(have), Run: orNone(want)})
		}
	}
	add("--source", a.Source, b.Source)
	fa, fb := FunctionOf(a.Function), FunctionOf(b.Function)
	add("--function", fa, fb)
	switch {
	case a.Adjusted == b.Adjusted:
	case fa == fb && a.Function != b.Function:
		add("--adjusted", a.Function, b.Function)
	default:
		add("--adjusted", strconv.FormatBool(a.Adjusted), strconv.FormatBool(b.Adjusted))
	}
	add("--interval", a.Interval, b.Interval)
	if a.ExtendedHours != b.ExtendedHours {
		add("--extended-hours", strconv.FormatBool(a.ExtendedHours), strconv.FormatBool(b.ExtendedHours))
	}
	add("--outputsize", a.OutputSize, b.OutputSize)
	add("--transform", a.Transform, b.Transform)
	add("--start", a.Start, b.Start)
	add("--end", a.End, b.End)
	add("--format", string(a.Format), string(b.Format))
	add("--layout", string(a.Layout), string(b.Layout))
	// Of another format, the Parquet settings differ by implication.
	if a.Format == b.Format {
		add("--compression", string(a.Compression), string(b.Compression))
		if a.RowGroupSize != b.RowGroupSize {
			out = append(out, Difference{Flag: "--row-group-size", Dataset: strconv.Itoa(a.RowGroupSize), Run: strconv.Itoa(b.RowGroupSize)})
		}
	}
	if a.SchemaVersion != b.SchemaVersion {
		out = append(out, Difference{Flag: "schema version", Dataset: strconv.Itoa(a.SchemaVersion), Run: strconv.Itoa(b.SchemaVersion)})
	}
	return out
}

// adjustedSuffix ends the names of the adjusted daily, weekly and
// monthly functions.
const adjustedSuffix = "_ADJUSTED"

// FunctionOf returns the --function of a recorded service function
// name: "daily" for TIME_SERIES_DAILY and TIME_SERIES_DAILY_ADJUSTED
// (and for none, as manifests that predate the other functions record
// daily bars), "weekly", "monthly", "intraday"; for a name it does not
// know, the name.
func FunctionOf(function string) string {
	if function == "" {
		return string(sources.Daily)
	}
	name, ok := strings.CutPrefix(strings.TrimSuffix(function, adjustedSuffix), "TIME_SERIES_")
	if f, err := sources.ParseFunction(strings.ToLower(name)); ok && err == nil {
		return string(f)
	}
	return function
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// ErrSettingsDiffer marks a run refused because its settings are not the
// dataset's (see SettingsError).
var ErrSettingsDiffer = errors.New("the dataset was made with other settings")

// SettingsError is the refusal of a run whose settings differ from those of
// the dataset in Dir: updating the dataset with them would mix files made
// two ways. It matches ErrSettingsDiffer.
type SettingsError struct {
	Dir         string
	Differences []Difference
}

func (e *SettingsError) Error() string {
	parts := make([]string, len(e.Differences))
	for i, d := range e.Differences {
		parts[i] = d.String()
	}
	return fmt.Sprintf("%s: %v: %s", e.Dir, ErrSettingsDiffer, strings.Join(parts, "; "))
}

// Is matches ErrSettingsDiffer.
func (e *SettingsError) Is(target error) bool { return target == ErrSettingsDiffer }
