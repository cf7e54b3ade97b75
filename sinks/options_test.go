package sinks_test

import (
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sinks"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		parse   func(string) (string, error)
		want    string
		wantErr string
	}{
		{"parquet", parseFormat, "parquet", ""},
		{"Arrow", parseFormat, "arrow", ""},
		{"CSV", parseFormat, "csv", ""},
		{"feather", parseFormat, "", `sinks: unknown format "feather" (want parquet, arrow or csv)`},
		{"", parseFormat, "", `unknown format ""`},
		{"files", parseLayout, "files", ""},
		{"SINGLE", parseLayout, "single", ""},
		{"hive", parseLayout, "hive", ""},
		{"tree", parseLayout, "", `sinks: unknown layout "tree" (want files, single or hive)`},
		{"zstd", parseCompression, "zstd", ""},
		{"Snappy", parseCompression, "snappy", ""},
		{"none", parseCompression, "none", ""},
		{"uncompressed", parseCompression, "none", ""},
		{"gzip", parseCompression, "", `sinks: unknown compression "gzip" (want zstd, snappy or none)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("parse(%q) = %q, %v, want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parse(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func parseFormat(s string) (string, error) {
	f, err := sinks.ParseFormat(s)
	return string(f), err
}

func parseLayout(s string) (string, error) {
	l, err := sinks.ParseLayout(s)
	return string(l), err
}

func parseCompression(s string) (string, error) {
	c, err := sinks.ParseCompression(s)
	return string(c), err
}

func TestOptionsDefaults(t *testing.T) {
	w, err := sinks.New(sinks.Options{Dir: t.TempDir(), Format: "CSV"})
	if err != nil {
		t.Fatal(err)
	}
	got := w.Options()
	if got.Format != sinks.FormatCSV || got.Layout != sinks.LayoutFiles || got.Compression != sinks.CompressionZstd {
		t.Errorf("Options() = %+v, want csv, files, zstd", got)
	}
	if p, _ := w.Path("AAPL"); p != "AAPL.csv" {
		t.Errorf("Path(AAPL) = %q, want AAPL.csv", p)
	}
}
