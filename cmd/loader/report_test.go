package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// startServer serves the sample data on 127.0.0.1 as cfg says, until the
// test ends, and returns its query URL.
func startServer(t *testing.T, cfg avserver.Config) string {
	t.Helper()
	srv, err := avserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String() + "/query"
}

func symbolList(prefix string, n int) []string {
	syms := make([]string, n)
	for i := range syms {
		syms[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return syms
}

type reportDoc struct {
	Symbols []struct{ Symbol, Status, Reason string }
}

func readReport(t *testing.T, path string) reportDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r reportDoc
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// TestReportAtScale checks the end-of-run table of many symbols: a
// summary instead of a line per ok symbol, every line with --verbose,
// failures and totals only with --quiet, and the full list in the manifest
// and --report whatever the table shows.
func TestReportAtScale(t *testing.T) {
	syms := symbolList("S", listLimit+1)
	tests := []struct {
		name      string
		flags     []string
		lines     int // lines on stdout, at most
		listed    bool
		unlisted  bool // says the ok symbols are not listed
		hasStages bool
	}{
		{"default", nil, 12, false, true, true},
		{"verbose", []string{"--verbose"}, len(syms) + 12, true, false, true},
		{"quiet", []string{"--quiet"}, 1, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, report := filepath.Join(dir, "out"), filepath.Join(dir, "run.json")
			// A week of rows a symbol keeps the run cheap.
			code, stdout, stderr := runCLI(t, append([]string{"fetch", "--symbols", strings.Join(syms, ","), "--start", "2025-12-24", "--format", "csv",
				"--out", out, "--report", report}, tt.flags...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if n := strings.Count(stdout, "\n"); n > tt.lines {
				t.Errorf("%d lines on stdout, want at most %d:\n%s", n, tt.lines, stdout)
			}
			if got := strings.Contains(stdout, "S001  6 rows"); got != tt.listed {
				t.Errorf("lists the ok symbols: %v, want %v:\n%s", got, tt.listed, stdout)
			}
			if got := strings.Contains(stdout, fmt.Sprintf("%d symbols ok, not listed: --verbose lists every symbol", len(syms))); got != tt.unlisted {
				t.Errorf("says the ok symbols are not listed: %v, want %v:\n%s", got, tt.unlisted, stdout)
			}
			if got := strings.Contains(stdout, "bottleneck"); got != tt.hasStages {
				t.Errorf("shows the stages: %v, want %v:\n%s", got, tt.hasStages, stdout)
			}
			if !strings.Contains(stdout, fmt.Sprintf("%d symbols (%d ok, 0 failed, 0 skipped)", len(syms), len(syms))) {
				t.Errorf("no totals:\n%s", stdout)
			}
			if n := len(readReport(t, report).Symbols); n != len(syms) {
				t.Errorf("--report lists %d symbols, want %d", n, len(syms))
			}
			if n := len(readManifest(t, out).Symbols); n != len(syms) {
				t.Errorf("the manifest lists %d symbols, want %d", n, len(syms))
			}
		})
	}
}

// TestReportFailures checks how the table shows what did not end ok: a
// long reason on one cut line that pads no other line and stays whole in
// the manifest and --report, and the symbols one fatal error skipped on
// one line naming the cause.
func TestReportFailures(t *testing.T) {
	t.Setenv("ALPHAVANTAGE_API_KEY", "report-test-key")
	t.Run("a long reason", func(t *testing.T) {
		url := startServer(t, avserver.Config{})
		dir := t.TempDir()
		out, report := filepath.Join(dir, "out"), filepath.Join(dir, "run.json")
		// An implausible symbol gets the service's long invalid-call refusal.
		code, stdout, stderr := runCLI(t, "fetch", "--source", "alphavantage", "--base-url", url, "--rate", "0",
			"--symbols", "AAPL,NOTATICKER99,MSFT", "--out", out, "--report", report, "--quiet")
		if code != exitFailure {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var failed string
		for line := range strings.Lines(stdout) {
			if strings.HasSuffix(strings.TrimSuffix(line, "\n"), " ") {
				t.Errorf("line padded with spaces: %q", line)
			}
			if strings.HasPrefix(line, "NOTATICKER99") {
				failed = strings.TrimSuffix(line, "\n")
			}
		}
		if !strings.HasSuffix(failed, "…") || len([]rune(failed)) > reasonWidth+40 {
			t.Errorf("failure line %q: want it cut to one line", failed)
		}
		whole := readReport(t, report).Symbols[1].Reason
		if len(whole) <= reasonWidth || !strings.Contains(whole, "Invalid API call") || strings.Contains(whole, "…") {
			t.Errorf("--report reason %q: want it whole", whole)
		}
		m, err := os.ReadFile(filepath.Join(out, "_manifest.json"))
		if err != nil || !strings.Contains(string(m), "for TIME_SERIES_DAILY.") {
			t.Errorf("manifest does not keep the whole reason: %v", err)
		}
	})
	t.Run("skipped for one cause", func(t *testing.T) {
		url := startServer(t, avserver.Config{APIKey: "another-key"})
		syms := symbolList("K", 21)
		code, stdout, stderr := runCLI(t, "fetch", "--source", "alphavantage", "--base-url", url, "--rate", "0", "--concurrency", "1",
			"--symbols", strings.Join(syms, ","), "--out", t.TempDir())
		if code != exitFailure {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := "20 symbols skipped: not fetched: the run stopped when K000 failed: the API key was refused (K001, K002, K003, K004, K005 and 15 more)"
		if !strings.Contains(stdout, want) || strings.Count(stdout, "invalid or missing API key") != 1 {
			t.Errorf("stdout lacks %q, or repeats the service's message:\n%s", want, stdout)
		}
		if !strings.Contains(stderr, "loader: the run stopped: the API key was refused: fetch K000:") {
			t.Errorf("stderr %q", stderr)
		}
	})
}
