package dataset_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
)

// base is the settings of a plain dataset, as `loader fetch` records them.
var base = dataset.Settings{Source: "alphavantage", Function: "TIME_SERIES_DAILY", OutputSize: "full",
	Format: dataset.FormatParquet, Layout: dataset.LayoutFiles, Compression: dataset.CompressionZstd}

func TestSettingsDiff(t *testing.T) {
	tests := []struct {
		name   string
		change func(*dataset.Settings)
		want   []string
	}{
		{"same", func(*dataset.Settings) {}, nil},
		{"defaults are the same", func(s *dataset.Settings) { s.Format, s.Layout, s.Compression, s.SchemaVersion = "", "", "", 0 }, nil},
		{"spaces in the transform list", func(s *dataset.Settings) { s.Transform = " , " }, nil},
		{"transform", func(s *dataset.Settings) { s.Transform = "sma:5" },
			[]string{"--transform: the dataset has none, this run asks for sma:5"}},
		{"adjusted", func(s *dataset.Settings) { s.Function = "TIME_SERIES_DAILY_ADJUSTED" },
			[]string{"--adjusted: the dataset has TIME_SERIES_DAILY, this run asks for TIME_SERIES_DAILY_ADJUSTED"}},
		{"adjusted recorded both ways", func(s *dataset.Settings) { s.Adjusted = true }, []string{
			"--adjusted: the dataset has false, this run asks for true"}},
		{"weekly", func(s *dataset.Settings) { s.Function = "TIME_SERIES_WEEKLY" },
			[]string{"--function: the dataset has daily, this run asks for weekly"}},
		{"monthly adjusted", func(s *dataset.Settings) { s.Function = "TIME_SERIES_MONTHLY_ADJUSTED" }, []string{
			"--function: the dataset has daily, this run asks for monthly",
			"--adjusted: the dataset has false, this run asks for true",
		}},
		{"intraday", func(s *dataset.Settings) {
			s.Function, s.Interval, s.ExtendedHours = "TIME_SERIES_INTRADAY", "5min", true
		}, []string{
			"--function: the dataset has daily, this run asks for intraday",
			"--interval: the dataset has none, this run asks for 5min",
			"--extended-hours: the dataset has false, this run asks for true",
		}},
		{"every difference, in flag order", func(s *dataset.Settings) {
			s.Source, s.OutputSize, s.Start, s.End, s.Format, s.Layout = "sample", "compact", "2020-01-02", "2024-12-31", dataset.FormatCSV, dataset.LayoutHive
		}, []string{
			"--source: the dataset has alphavantage, this run asks for sample",
			"--outputsize: the dataset has full, this run asks for compact",
			"--start: the dataset has none, this run asks for 2020-01-02",
			"--end: the dataset has none, this run asks for 2024-12-31",
			"--format: the dataset has parquet, this run asks for csv",
			"--layout: the dataset has files, this run asks for hive",
		}},
		{"row groups and codec", func(s *dataset.Settings) { s.RowGroupSize, s.Compression = 1000, dataset.CompressionSnappy }, []string{
			"--compression: the dataset has zstd, this run asks for snappy",
			"--row-group-size: the dataset has 0, this run asks for 1000",
		}},
		{"schema", func(s *dataset.Settings) { s.SchemaVersion = 9 },
			[]string{"schema version: the dataset has 1, this loader writes 9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := base
			tt.change(&run)
			var got []string
			for _, d := range base.Diff(run) {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Diff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestIntradayRangeOutputSize: the months of an intraday range always
// come in full, so its output size is no difference; without a range it
// chooses the bars.
func TestIntradayRangeOutputSize(t *testing.T) {
	full := dataset.Settings{Source: "alphavantage", Function: "TIME_SERIES_INTRADAY", Interval: "5min", OutputSize: "full"}
	compact := full
	compact.OutputSize = "compact"
	if d := full.Diff(compact); len(d) != 1 {
		t.Errorf("recent intraday bars, full against compact: differences %v, want the output size", d)
	}
	full.Start, compact.Start = "2024-01-01", "2024-01-01"
	if d := full.Diff(compact); len(d) != 0 {
		t.Errorf("an intraday range, full against compact: differences %v, want none", d)
	}
}

func TestSettingsNormalized(t *testing.T) {
	csv := dataset.Settings{Format: dataset.FormatCSV, Compression: dataset.CompressionSnappy, RowGroupSize: 10, Transform: " returns ,, sma:5 "}.Normalized()
	want := dataset.Settings{Format: dataset.FormatCSV, Layout: dataset.LayoutFiles, Transform: "returns,sma:5", SchemaVersion: dataset.SchemaVersion}
	if csv != want {
		t.Errorf("Normalized = %+v, want %+v: the Parquet settings mean nothing for CSV", csv, want)
	}
}

func TestSettingsError(t *testing.T) {
	err := error(&dataset.SettingsError{Dir: "data", Differences: base.Diff(dataset.Settings{Source: "sample", Function: "TIME_SERIES_WEEKLY"})})
	if !errors.Is(err, dataset.ErrSettingsDiffer) || !strings.Contains(err.Error(), "data: ") ||
		!strings.Contains(err.Error(), "--source: the dataset has alphavantage, this run asks for sample; --function: the dataset has daily, this run asks for weekly") {
		t.Errorf("SettingsError = %q", err)
	}
}

func TestSettingsOfIntraday(t *testing.T) {
	intraday := dataset.Settings{Source: "sample", Function: "TIME_SERIES_INTRADAY", Interval: "5min", ExtendedHours: true,
		Format: dataset.FormatParquet, Layout: dataset.LayoutFiles}
	tests := []struct {
		name   string
		change func(*dataset.Settings)
		want   []string
	}{
		{"same", func(*dataset.Settings) {}, nil},
		{"interval", func(s *dataset.Settings) { s.Interval = "1min" },
			[]string{"--interval: the dataset has 5min, this run asks for 1min"}},
		{"regular hours", func(s *dataset.Settings) { s.ExtendedHours = false },
			[]string{"--extended-hours: the dataset has true, this run asks for false"}},
		{"adjusted", func(s *dataset.Settings) { s.Adjusted = true },
			[]string{"--adjusted: the dataset has false, this run asks for true"}},
		{"daily", func(s *dataset.Settings) { s.Function, s.Interval, s.ExtendedHours = "TIME_SERIES_DAILY", "", false }, []string{
			"--function: the dataset has intraday, this run asks for daily",
			"--interval: the dataset has 5min, this run asks for none",
			"--extended-hours: the dataset has true, this run asks for false",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := intraday
			tt.change(&run)
			var got []string
			for _, d := range intraday.Diff(run) {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Diff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestSettingsRecordedBeforeTheFunctions loads the manifest of a loader
// that knew only daily series, without adjusted, interval and extended
// hours: it reads as daily, adjusted as its function says, and a run
// with the same settings spelled by this loader finds no difference.
func TestSettingsRecordedBeforeTheFunctions(t *testing.T) {
	dir := t.TempDir()
	old := `{"manifest_version": 2, "started": "2026-06-01T10:00:00Z",
	"settings": {"source": "sample", "function": "TIME_SERIES_DAILY_ADJUSTED", "output_size": "full",
	"format": "parquet", "layout": "files", "compression": "zstd", "schema_version": 1},
	"totals": {"symbols": 0}, "symbols": []}`
	if err := os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Settings()
	if dataset.FunctionOf(got.Function) != "daily" || !got.Adjusted || got.Interval != "" || got.ExtendedHours {
		t.Fatalf("settings %+v: want adjusted daily bars", got)
	}
	run := dataset.Settings{Source: "sample", Function: "TIME_SERIES_DAILY_ADJUSTED", Adjusted: true, OutputSize: "full"}
	if diffs := got.Diff(run); len(diffs) > 0 {
		t.Errorf("Diff = %v, want none", diffs)
	}
}

func TestFunctionOf(t *testing.T) {
	for name, want := range map[string]string{
		"": "daily", "TIME_SERIES_DAILY": "daily", "TIME_SERIES_DAILY_ADJUSTED": "daily",
		"TIME_SERIES_WEEKLY_ADJUSTED": "weekly", "TIME_SERIES_MONTHLY": "monthly", "TIME_SERIES_INTRADAY": "intraday",
		"FX_DAILY": "FX_DAILY", "TIME_SERIES_HOURLY": "TIME_SERIES_HOURLY",
	} {
		if got := dataset.FunctionOf(name); got != want {
			t.Errorf("FunctionOf(%q) = %q, want %q", name, got, want)
		}
	}
}
