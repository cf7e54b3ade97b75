package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorsBeforeAnyOutput checks that every mistake in a command
// line exits 2 before any output or work, with one message that names the
// flag, argument or variable at fault, points to the command's --help,
// and carries no internal package prefix.
func TestUsageErrorsBeforeAnyOutput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
		help string
	}{
		{"positional symbols", []string{"fetch", "AAPL", "MSFT"}, nil, `fetch takes no arguments, got "AAPL MSFT": give symbols with --symbols`, "loader fetch --help"},
		{"negative row group size", []string{"fetch", "--symbols", "X", "--row-group-size", "-5"}, nil, "--row-group-size -5: want 0", "loader fetch --help"},
		{"split without train end", []string{"batches", "--split", "val"}, nil, "--split val needs --train-end", "loader batches --help"},
		{"test split without val end", []string{"batches", "--split", "test", "--train-end", "2020-01-01"}, nil, "--split test needs --train-end and --val-end", "loader batches --help"},
		{"plot positional directory", []string{"plot", "DIR"}, nil, `plot takes no arguments, got "DIR": name the directory of fetched files with --in DIR`, "loader plot --help"},
		{"unknown command", []string{"fletch"}, nil, `unknown command "fletch": did you mean "fetch"?`, "loader --help"},
		{"inspect two paths", []string{"inspect", "a", "b"}, nil, "inspect takes one PATH, got 2 arguments", "loader inspect --help"},
		{"format", []string{"fetch", "--symbols", "X", "--source", "sample", "--format", "xml"}, nil, `--format: unknown format "xml"`, "loader fetch --help"},
		{"datatype with the sample source", []string{"fetch", "--symbols", "X", "--source", "sample", "--datatype", "xml"}, nil, `--datatype "xml": want json or csv`, "loader fetch --help"},
		{"outputsize with the sample source", []string{"fetch", "--symbols", "X", "--source", "sample", "--outputsize", "huge"}, nil, `--outputsize "huge": want compact or full`, "loader fetch --help"},
		{"compression with csv", []string{"fetch", "--symbols", "X", "--format", "csv", "--compression", "snappy"}, nil, "--compression applies to Parquet files only, not to --format csv", "loader fetch --help"},
		{"row groups with arrow", []string{"fetch", "--symbols", "X", "--format", "arrow", "--row-group-size", "100"}, nil, "--row-group-size applies to Parquet files only", "loader fetch --help"},
		{"negative retries", []string{"fetch", "--symbols", "X", "--retries", "-1"}, nil, "--retries -1: want 0 (no retries) or more", "loader fetch --help"},
		{"negative rate", []string{"fetch", "--symbols", "X", "--rate", "-1"}, nil, "--rate -1: want a number of requests per minute, or 0 for no limit", "loader fetch --help"},
		{"zero timeout", []string{"fetch", "--symbols", "X", "--timeout", "0s"}, nil, "--timeout 0s: want a positive duration", "loader fetch --help"},
		{"negative grace", []string{"fetch", "--symbols", "X", "--grace", "-1s"}, nil, "--grace -1s: must not be negative", "loader fetch --help"},
		{"base URL", []string{"fetch", "--symbols", "X", "--base-url", "ftp://example.com/query"}, nil, `--base-url "ftp://example.com/query": want an http:// or https:// URL`, "loader fetch --help"},
		{"format from the environment", []string{"fetch", "--symbols", "X"}, map[string]string{"LOADER_FORMAT": "bogus"}, `$LOADER_FORMAT: unknown format "bogus"`, "loader fetch --help"},
		{"retries from the environment", []string{"fetch", "--symbols", "X"}, map[string]string{"LOADER_RETRIES": "-2"}, "$LOADER_RETRIES -2: want 0", "loader fetch --help"},
		{"out names a file", []string{"fetch", "--symbols", "X", "--out", file}, nil, "--out " + file + ": is a file, not a directory", "loader fetch --help"},
		{"report in a missing directory", []string{"fetch", "--symbols", "X", "--report", filepath.Join(file+".d", "r.json")}, nil, "--report " + filepath.Join(file+".d", "r.json") + ": cannot write there", "loader fetch --help"},
		{"report names a directory", []string{"fetch", "--symbols", "X", "--report", t.TempDir()}, nil, ": is a directory", "loader fetch --help"},
		{"function", []string{"fetch", "--symbols", "X", "--function", "hourly"}, nil, `--function "hourly": want daily, weekly, monthly or intraday`, "loader fetch --help"},
		{"function from the environment", []string{"fetch", "--symbols", "X"}, map[string]string{"LOADER_FUNCTION": "hourly"}, `$LOADER_FUNCTION "hourly": want daily`, "loader fetch --help"},
		{"interval without intraday", []string{"fetch", "--symbols", "X", "--interval", "5min"}, nil, `--interval "5min": want none: only intraday bars have an interval, not daily ones`, "loader fetch --help"},
		{"interval of weekly bars", []string{"fetch", "--symbols", "X", "--function", "weekly", "--interval", "5min"}, nil, `--interval "5min": want none: only intraday bars have an interval, not weekly ones`, "loader fetch --help"},
		{"interval the service lacks", []string{"fetch", "--symbols", "X", "--function", "intraday", "--interval", "2min"}, nil, `--interval "2min": want one of 1min, 5min, 15min, 30min, 60min`, "loader fetch --help"},
		{"intraday without interval", []string{"fetch", "--symbols", "X", "--function", "intraday"}, nil, `--interval "": want one of 1min, 5min, 15min, 30min, 60min for intraday bars`, "loader fetch --help"},
		{"extended hours of daily bars", []string{"fetch", "--symbols", "X", "--extended-hours=false"}, nil, "--extended-hours applies to --function intraday only, not to daily bars", "loader fetch --help"},
		{"start after end", []string{"fetch", "--symbols", "X", "--start", "2024-06-01", "--end", "2024-05-31"}, nil, `--end "2024-05-31": want a day on or after the start, 2024-06-01`, "loader fetch --help"},
		{"intraday start after end", []string{"fetch", "--symbols", "X", "--function", "intraday", "--interval", "5min", "--start", "2024-06", "--end", "2024-05"}, nil, `--end "2024-05": want a day on or after the start, 2024-06-01`, "loader fetch --help"},
		{"month range too long", []string{"fetch", "--symbols", "X", "--function", "intraday", "--interval", "5min", "--start", "1999-01", "--end", "2024-12"}, nil, `--start "1999-01": want a range of at most 300 months (25 years), not 312`, "loader fetch --help"},
		{"month of daily bars", []string{"fetch", "--symbols", "X", "--start", "2024-05"}, nil, `--start "2024-05": want a date YYYY-MM-DD`, "loader fetch --help"},
		{"bad month", []string{"fetch", "--symbols", "X", "--function", "intraday", "--interval", "5min", "--start", "2024-13"}, nil, `--start "2024-13": want a date YYYY-MM-DD or a month YYYY-MM`, "loader fetch --help"},
		{"intraday end without start", []string{"fetch", "--symbols", "X", "--function", "intraday", "--interval", "5min", "--end", "2024-05"}, nil, `--end "2024-05": want a start too`, "loader fetch --help"},
		{"serve flag", []string{"serve", "--fail-503", "2"}, nil, "--fail-503 2: want a share between 0 and 1", "loader serve --help"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			out := filepath.Join(t.TempDir(), "out")
			args := tt.args
			if args[0] == "fetch" && !strings.Contains(strings.Join(args, " "), "--out") {
				args = append(args, "--out", out)
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tt.want)
			}
			if !strings.Contains(stderr, "Run '"+tt.help+"' for usage.") {
				t.Errorf("stderr %q does not point to %s", stderr, tt.help)
			}
			if stdout != "" || strings.Count(stderr, "\n") != 2 {
				t.Errorf("output before the error:\nstdout %q\nstderr %q", stdout, stderr)
			}
			for _, prefix := range []string{"sinks:", "alphavantage:", "server:", "faults:", "fetch:", "TrainEnd"} {
				if strings.Contains(stderr, prefix) {
					t.Errorf("stderr %q carries %q", stderr, prefix)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Error("a usage error created the output directory")
			}
		})
	}
}

// TestFlagsWithoutEffectWarn checks that the flags for Alpha Vantage alone
// are accepted with the sample source, which ignores them, with one
// warning that names them and where they came from.
func TestFlagsWithoutEffectWarn(t *testing.T) {
	t.Setenv("LOADER_RATE", "5")
	code, _, stderr := runCLI(t, "fetch", "--source", "sample", "--symbols", "IBM", "--outputsize", "full", "--out", t.TempDir(), "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "loader: --outputsize, $LOADER_RATE: no effect with the sample source, which always gives its whole history"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	os.Unsetenv("LOADER_RATE")
	code, _, stderr = runCLI(t, "fetch", "--source", "sample", "--symbols", "IBM", "--out", t.TempDir(), "--quiet")
	if code != exitOK || strings.Contains(stderr, "no effect") {
		t.Errorf("exit %d, stderr %q: a warning without an idle flag", code, stderr)
	}
	_, help, _ := runCLI(t, "fetch", "--help")
	for _, want := range []string{"always gives its whole history", "are usage errors", "--verbose", "SIGHUP"} {
		if !strings.Contains(help, want) {
			t.Errorf("fetch --help does not say %q", want)
		}
	}
}

func TestVersionAndWording(t *testing.T) {
	code, stdout, _ := runCLI(t, "--version")
	if code != exitOK || stdout != "loader "+version+"\n" {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
	code, stdout, stderr := runCLI(t, "fetch", "--symbols", "IBM", "--out", t.TempDir(), "--quiet")
	if code != exitOK || !strings.Contains(stdout, "1 symbol (1 ok, 0 failed, 0 skipped)") {
		t.Errorf("exit %d, stdout %q, stderr %q: want \"1 symbol\"", code, stdout, stderr)
	}
}

// TestSymbolsAsSpreadsheetsWriteThem checks a symbols file saved by Excel
// (a byte-order mark, CRLF, a header line) and a list with a trailing
// comma.
func TestSymbolsAsSpreadsheetsWriteThem(t *testing.T) {
	list := filepath.Join(t.TempDir(), "universe.csv")
	if err := os.WriteFile(list, []byte("\ufeffTicker\r\nAAPL\r\nmsft\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "fetch", "--symbols-file", list, "--symbols", "IBM,", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "3 symbols (3 ok") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "skipped its first line, a column header") || !strings.Contains(stderr, "line=Ticker") {
		t.Errorf("stderr does not note the header: %q", stderr)
	}
	for _, f := range []string{"IBM.parquet", "AAPL.parquet", "MSFT.parquet"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestStartAfterTheLastDay checks that a range with no data is said so,
// in the report and the manifest, as a skip that does not fail the run.
func TestStartAfterTheLastDay(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "fetch", "--symbols", "AAPL", "--start", "2030-01-01", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "AAPL  skipped  transform AAPL: no data in the range 2030-01-01 …: the series runs 2006-01-02 … 2025-12-31"
	if !strings.Contains(stdout, want) || !strings.Contains(stdout, "1 symbol (0 ok, 0 failed, 1 skipped)") {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if !strings.Contains(stderr, "nothing written: no symbol has data between --start and --end") {
		t.Errorf("stderr %q", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "AAPL.parquet")); !os.IsNotExist(err) {
		t.Error("an empty file was written")
	}
	m := readManifest(t, out)
	if len(m.Symbols) != 1 || m.Symbols[0].Status != "skipped" {
		t.Errorf("manifest %+v", m)
	}
}

// TestEmptyShardDoesNothing checks that a shard holding none of the
// symbols says so and does nothing, instead of printing an empty report.
func TestEmptyShardDoesNothing(t *testing.T) {
	empty := 0
	for _, shard := range []string{"0/2", "1/2"} {
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := runCLI(t, "fetch", "--symbols", "AAPL", "--shard", shard, "--out", out)
		if code != exitOK {
			t.Fatalf("--shard %s: exit %d: %s", shard, code, stderr)
		}
		if !strings.Contains(stderr, "nothing to fetch") {
			continue
		}
		empty++
		if stdout != "" || strings.Contains(stderr, "no stages ran") {
			t.Errorf("--shard %s printed a report: %q %q", shard, stdout, stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("--shard %s created the output directory", shard)
		}
	}
	if empty != 1 {
		t.Fatalf("%d of 2 shards of one symbol said they were empty, want 1", empty)
	}
}
