package dataset_test

import (
	"errors"
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

func TestSettingsNormalized(t *testing.T) {
	csv := dataset.Settings{Format: dataset.FormatCSV, Compression: dataset.CompressionSnappy, RowGroupSize: 10, Transform: " returns ,, sma:5 "}.Normalized()
	want := dataset.Settings{Format: dataset.FormatCSV, Layout: dataset.LayoutFiles, Transform: "returns,sma:5", SchemaVersion: dataset.SchemaVersion}
	if csv != want {
		t.Errorf("Normalized = %+v, want %+v: the Parquet settings mean nothing for CSV", csv, want)
	}
}

func TestSettingsError(t *testing.T) {
	err := error(&dataset.SettingsError{Dir: "data", Differences: base.Diff(dataset.Settings{Source: "sample"})})
	if !errors.Is(err, dataset.ErrSettingsDiffer) || !strings.Contains(err.Error(), "data: ") ||
		!strings.Contains(err.Error(), "--source: the dataset has alphavantage, this run asks for sample; --adjusted") {
		t.Errorf("SettingsError = %q", err)
	}
}
