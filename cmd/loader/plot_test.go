package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotRendersFetchedFiles(t *testing.T) {
	data, charts := t.TempDir(), t.TempDir()
	if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL,MSFT", "--out", data, "--quiet"); code != exitOK {
		t.Fatalf("fetch exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "plot", "--in", data, "--out", charts, "--symbols", "msft",
		"--start", "2025-01-01", "--width", "400", "--height", "300", "--workers", "1")
	if code != exitOK {
		t.Fatalf("plot exit %d: %s", code, stderr)
	}
	path := filepath.Join(charts, "MSFT.png")
	if strings.TrimSpace(stdout) != path {
		t.Errorf("stdout = %q, want the chart path %s", stdout, path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
		t.Errorf("size %dx%d, want 400x300", b.Dx(), b.Dy())
	}
}

func TestPlotUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero workers", []string{"--workers", "0"}, "--workers must be at least 1"},
		{"bad format", []string{"--format", "gif"}, `unknown chart format "gif"`},
		{"bad date", []string{"--start", "2024-13-01"}, "--start"},
		{"start after end", []string{"--start", "2025-01-01", "--end", "2024-01-01"}, "is after --end"},
		{"tiny image", []string{"--width", "10"}, "at least 100 pixels"},
		{"bad symbol", []string{"--symbols", "A A"}, "--symbols"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"plot", "--in", t.TempDir(), "--out", t.TempDir()}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestPlotMissingInputFails(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	code, _, stderr := runCLI(t, "plot", "--in", missing, "--out", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, missing) {
		t.Errorf("exit %d, stderr %q; want %d naming %s", code, stderr, exitFailure, missing)
	}
}

// TestPlotIntraday renders an intraday dataset's chart for the days of
// --start and --end, in exchange time.
func TestPlotIntraday(t *testing.T) {
	data, charts := t.TempDir(), t.TempDir()
	writeIntraday(t, data, "IBM")
	code, _, stderr := runCLI(t, "plot", "--in", data, "--out", charts, "--start", "2024-06-10", "--end", "2024-06-11", "--format", "svg")
	if code != exitOK {
		t.Fatalf("plot exit %d: %s", code, stderr)
	}
	svg, err := os.ReadFile(filepath.Join(charts, "IBM.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IBM — 30-minute close, 2024-06-10 09:30 to 2024-06-11 15:30 America/New_York", ">Jun 10<", ">Jun 11<"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}
