package dataset_test

import (
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
)

func TestParseNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		parse   func(string) (string, error)
		want    string
		wantErr string
	}{
		{"parquet", parseFormat, "parquet", ""},
		{"Arrow", parseFormat, "arrow", ""},
		{"CSV", parseFormat, "csv", ""},
		{"feather", parseFormat, "", `unknown format "feather" (want parquet, arrow or csv)`},
		{"", parseFormat, "", `unknown format ""`},
		{"files", parseLayout, "files", ""},
		{"SINGLE", parseLayout, "single", ""},
		{"hive", parseLayout, "hive", ""},
		{"tree", parseLayout, "", `unknown layout "tree" (want files, single or hive)`},
		{"zstd", parseCompression, "zstd", ""},
		{"Snappy", parseCompression, "snappy", ""},
		{"none", parseCompression, "none", ""},
		{"uncompressed", parseCompression, "none", ""},
		{"gzip", parseCompression, "", `unknown compression "gzip" (want zstd, snappy or none)`},
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
	f, err := dataset.ParseFormat(s)
	return string(f), err
}

func parseLayout(s string) (string, error) {
	l, err := dataset.ParseLayout(s)
	return string(l), err
}

func parseCompression(s string) (string, error) {
	c, err := dataset.ParseCompression(s)
	return string(c), err
}
