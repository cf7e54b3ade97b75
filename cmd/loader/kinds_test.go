package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/internal/s3test"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fetchAV runs loader fetch against the Alpha Vantage-compatible server
// at url into out, with args added.
func fetchAV(t *testing.T, url, out string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("KINDS_KEY", "kinds-key")
	return runCLI(t, append([]string{"fetch", "--source", "alphavantage", "--api-key-env", "KINDS_KEY", "--base-url", url,
		"--rate", "0", "--out", out, "--quiet"}, args...)...)
}

// holds fails unless the Parquet file of sym in out holds bars, as
// sources.NewRecord builds them for kind: the values served.
func holds(t *testing.T, out, sym string, kind sources.Kind, bars []sources.Bar) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got := readParquet(t, filepath.Join(out, sym+".parquet"), mem)
	defer got.Release()
	want := sources.NewRecord(kind, sym, bars, mem)
	defer want.Release()
	if got.NumRows() != want.NumRows() || got.NumCols() != want.NumCols() {
		t.Fatalf("%s: %d rows × %d columns, served %d × %d", sym, got.NumRows(), got.NumCols(), want.NumRows(), want.NumCols())
	}
	for c := range int(want.NumCols()) {
		if got.ColumnName(c) != want.ColumnName(c) {
			t.Errorf("%s: column %d is %s, want %s", sym, c, got.ColumnName(c), want.ColumnName(c))
		}
		if ts, ok := want.Column(c).(*array.Timestamp); ok {
			// The instants: the Parquet file keeps them, not their zone.
			if g, ok := got.Column(c).(*array.Timestamp); !ok || !slices.Equal(g.TimestampValues(), ts.TimestampValues()) {
				t.Errorf("%s: the timestamps differ from those served", sym)
			}
			continue
		}
		if !array.Equal(got.Column(c), want.Column(c)) {
			t.Errorf("%s: column %s differs from what was served", sym, want.ColumnName(c))
		}
	}
}

// TestFetchWeeklyAndMonthly fetches weekly and monthly series, adjusted
// or not, from the Alpha Vantage-compatible server: one request per
// symbol, and the values it served, sample.Periods of its daily history.
func TestFetchWeeklyAndMonthly(t *testing.T) {
	for _, kind := range []sources.Kind{
		{Function: sources.Weekly}, {Function: sources.Weekly, Adjusted: true},
		{Function: sources.Monthly}, {Function: sources.Monthly, Adjusted: true},
	} {
		t.Run(kind.String(), func(t *testing.T) {
			srv, url := avtest.Start(t, avserver.Config{})
			out := t.TempDir()
			args := []string{"--symbols", "IBM,KO", "--function", string(kind.Function)}
			if kind.Adjusted {
				args = append(args, "--adjusted")
			}
			if code, stdout, stderr := fetchAV(t, url, out, args...); code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			if n := srv.Stats().Requests; n != 2 {
				t.Errorf("%d requests, want one per symbol", n)
			}
			for _, sym := range []string{"IBM", "KO"} {
				holds(t, out, sym, kind, sample.Periods(sample.Series(sym), kind.Function))
			}
		})
	}
}

// TestFetchIntradayMonths fetches two months of intraday bars: two
// requests per symbol, each for its month, and the bars served.
func TestFetchIntradayMonths(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	out := t.TempDir()
	if code, stdout, stderr := fetchAV(t, url, out, "--symbols", "IBM,MSFT", "--function", "intraday", "--interval", "60min",
		"--start", "2025-03", "--end", "2025-04"); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	kind := sources.Kind{Function: sources.Intraday, Interval: "60min", ExtendedHours: true}
	months := []sources.Month{{Year: 2025, Month: time.March}, {Year: 2025, Month: time.April}}
	for _, sym := range []string{"IBM", "MSFT"} {
		var bars []sources.Bar
		for _, m := range months {
			if n := srv.Requests(sym, m.String()); n != 1 {
				t.Errorf("%s %s: %d requests, want 1", sym, m, n)
			}
			bars = append(bars, sample.Intraday(sym, m, kind, sample.End)...)
		}
		holds(t, out, sym, kind, bars)
	}
	if n := srv.Stats().Requests; n != 4 {
		t.Errorf("%d requests, want two per symbol", n)
	}
	if _, err := os.Stat(filepath.Join(out, fetch.StagingDir)); !os.IsNotExist(err) {
		t.Errorf("the staging directory is left behind: %v", err)
	}
	m := readManifest(t, out)
	if len(m.Symbols) != 2 || m.Symbols[0].Status != "ok" || m.Symbols[1].Status != "ok" {
		t.Errorf("manifest %+v", m.Symbols)
	}
}

// TestIntradayYearResumesAtTheMissingMonths spends a --max-requests
// budget of 5 on a year of intraday bars: the symbol fails naming the
// seven months missing, exit 75; --resume requests those seven alone and
// ends with every bar of the year.
func TestIntradayYearResumesAtTheMissingMonths(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	out := t.TempDir()
	year := []string{"--symbols", "IBM", "--function", "intraday", "--interval", "60min", "--extended-hours=false",
		"--start", "2025-01", "--end", "2025-12", "--concurrency", "1"}
	code, _, stderr := fetchAV(t, url, out, append(year, "--max-requests", "5")...)
	if code != exitTempFail || !strings.Contains(stderr, "run again after midnight US/Eastern") {
		t.Fatalf("exit %d, want %d\n%s", code, exitTempFail, stderr)
	}
	e := readManifest(t, out).Symbols[0]
	if e.Status != "failed" || !strings.Contains(e.Reason, "7 of 12 months missing (2025-06, 2025-07, 2025-08, 2025-09, 2025-10, 2025-11, 2025-12)") {
		t.Fatalf("IBM: %s, %q; want failed naming the months June to December", e.Status, e.Reason)
	}
	staged, err := os.ReadDir(filepath.Join(out, fetch.StagingDir, "IBM"))
	if err != nil || len(staged) != 5 {
		t.Fatalf("staged %v, %v; want the five months fetched", staged, err)
	}
	if code, stdout, stderr := fetchAV(t, url, out, append(year, "--resume")...); code != exitOK {
		t.Fatalf("--resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	kind := sources.Kind{Function: sources.Intraday, Interval: "60min"}
	var bars []sources.Bar
	for _, m := range sources.Months(sources.Month{Year: 2025, Month: time.January}, sources.Month{Year: 2025, Month: time.December}) {
		if n := srv.Requests("IBM", m.String()); n != 1 {
			t.Errorf("%s: %d requests over both runs, want 1", m, n)
		}
		bars = append(bars, sample.Intraday("IBM", m, kind, sample.End)...)
	}
	holds(t, out, "IBM", kind, bars)
	if e := readManifest(t, out).Symbols[0]; e.Status != "ok" {
		t.Errorf("IBM after the resume: %+v", e)
	}
}

// TestFetchIntoADatasetOfAnotherKind refuses, exit 2 before any request,
// a fetch whose function, interval or extended hours are not the
// dataset's, naming the flag.
func TestFetchIntoADatasetOfAnotherKind(t *testing.T) {
	out := t.TempDir()
	intraday := []string{"fetch", "--source", "sample", "--symbols", "IBM", "--out", out, "--quiet", "--function", "intraday"}
	if code, _, stderr := runCLI(t, append(intraday, "--interval", "60min")...); code != exitOK {
		t.Fatalf("first fetch: exit %d\n%s", code, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--interval", "5min"}, "--interval: the dataset has 60min, this run asks for 5min"},
		{[]string{"--interval", "60min", "--extended-hours=false"}, "--extended-hours: the dataset has true, this run asks for false"},
		{[]string{"--interval", "60min", "--adjusted"}, "--adjusted: the dataset has false, this run asks for true"},
		{[]string{"--interval", "60min", "--start", "2025-12"}, "--start: the dataset has none, this run asks for 2025-12-01"},
	} {
		code, _, stderr := runCLI(t, append(intraday, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	code, _, stderr := runCLI(t, "fetch", "--source", "sample", "--symbols", "IBM", "--out", out, "--quiet", "--function", "weekly")
	if want := "--function: the dataset has intraday, this run asks for weekly"; code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("weekly: exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}

// TestUpdateIntradayDataset updates an intraday dataset after the
// server's history went on into the next month: it requests the month of
// the last stored bar and the new one, and appends the new bars.
func TestUpdateIntradayDataset(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{LastDay: time.Date(2025, time.November, 26, 0, 0, 0, 0, time.UTC)})
	out := t.TempDir()
	if code, _, stderr := fetchAV(t, url, out, "--symbols", "IBM", "--function", "intraday", "--interval", "30min",
		"--start", "2025-11-01", "--end", "2025-12-31"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s", code, stderr)
	}
	srv.Advance(5)
	code, stdout, stderr := runCLI(t, "update", out, "--api-key-env", "KINDS_KEY", "--base-url", url, "--rate", "0", "--verbose")
	if code != exitOK {
		t.Fatalf("update: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for month, want := range map[string]int64{"2025-11": 2, "2025-12": 2} {
		if n := srv.Requests("IBM", month); n != want {
			t.Errorf("%s: %d requests over fetch and update, want %d", month, n, want)
		}
	}
	kind := sources.Kind{Function: sources.Intraday, Interval: "30min", ExtendedHours: true}
	var bars []sources.Bar
	for _, m := range []sources.Month{{Year: 2025, Month: time.November}, {Year: 2025, Month: time.December}} {
		bars = append(bars, sample.Intraday("IBM", m, kind, srv.LastDay())...)
	}
	holds(t, out, "IBM", kind, bars)
	if last := bars[len(bars)-1].Date; last.Month() != time.December {
		t.Fatalf("the served history ends %s, not in December", last)
	}
	if !strings.Contains(stdout, "appended") {
		t.Errorf("the report does not say IBM was appended to:\n%s", stdout)
	}
}

// TestIntradayResumeOnObjectStore interrupts an intraday range written to
// a real S3 server with --max-requests: the months fetched are staged as
// objects under the prefix, not data; --resume requests the rest and
// removes them.
func TestIntradayResumeOnObjectStore(t *testing.T) {
	s3 := s3test.Start(t, "bucket")
	s3.Setenv(t)
	srv, url := avtest.Start(t, avserver.Config{})
	prefix := "s3://bucket/intraday"
	months := []string{"--symbols", "IBM", "--function", "intraday", "--interval", "60min",
		"--start", "2025-01", "--end", "2025-04", "--concurrency", "1"}
	if code, _, stderr := fetchAV(t, url, prefix, append(months, "--max-requests", "3")...); code != exitTempFail {
		t.Fatalf("exit %d, want %d\n%s", code, exitTempFail, stderr)
	}
	var staged []string
	for _, key := range prefixKeys(t, prefix) {
		if strings.HasPrefix(key, fetch.StagingDir+"/") {
			staged = append(staged, key)
		}
	}
	if want := []string{"_months/IBM/2025-01.arrow", "_months/IBM/2025-02.arrow", "_months/IBM/2025-03.arrow"}; !slices.Equal(staged, want) {
		t.Fatalf("staged %v, want %v", staged, want)
	}
	if code, _, stderr := fetchAV(t, url, prefix, append(months, "--resume")...); code != exitOK {
		t.Fatalf("--resume: exit %d\n%s", code, stderr)
	}
	keys := prefixKeys(t, prefix)
	for _, key := range keys {
		if strings.HasPrefix(key, fetch.StagingDir+"/") {
			t.Errorf("%s left behind", key)
		}
	}
	if !slices.Contains(keys, "IBM.parquet") {
		t.Errorf("keys %v lack IBM.parquet", keys)
	}
	for _, m := range []string{"2025-01", "2025-02", "2025-03", "2025-04"} {
		if n := srv.Requests("IBM", m); n != 1 {
			t.Errorf("%s: %d requests over both runs, want 1", m, n)
		}
	}
}
