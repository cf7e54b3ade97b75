package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
)

// TestPlainProgressAndReport runs a fetch slow enough to report progress,
// with stderr going to a file, and checks the plain progress lines and the
// end-of-run report with its stage table and bottleneck sentence.
func TestPlainProgressAndReport(t *testing.T) {
	url := startSlowServer(t)
	t.Setenv("ALPHAVANTAGE_API_KEY", "progress-test-key")
	defer func(old time.Duration) { progressInterval = old }(progressInterval)
	progressInterval = 20 * time.Millisecond

	dir := t.TempDir()
	stderrFile, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderrFile.Close()
	var stdout strings.Builder
	report := filepath.Join(dir, "run.json")
	code := run(t.Context(), []string{"fetch", "--source", "alphavantage", "--base-url", url, "--rate", "0",
		"--symbols", "A,B,C,D,E,F,G,H,I,J,K,L", "--concurrency", "2", "--out", filepath.Join(dir, "out"),
		"--report", report}, &stdout, stderrFile)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	logged, _ := os.ReadFile(stderrFile.Name())
	progressLine := regexp.MustCompile(`level=INFO msg=progress done=\d+ total=12 rows=\d+ retries=0 failed=0 eta=\S+`)
	if !progressLine.Match(logged) {
		t.Errorf("stderr has no plain progress line:\n%s", logged)
	}
	if strings.Contains(string(logged), "\x1b[") {
		t.Error("stderr is a file but got terminal escape sequences")
	}
	out := stdout.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^A\s+100 rows\s+\d{4}-\d\d-\d\d → 2025-12-31\s+\S+A\.parquet$`),
		regexp.MustCompile(`12 symbols \(12 ok, 0 failed, 0 skipped\), 1200 rows`),
		regexp.MustCompile(`(?m)^stage\s+workers\s+in\s+out\s+errors\s+busy\s+wait in\s+wait out\s+items/s$`),
		regexp.MustCompile(`(?m)^fetch\s+2\s+12\s+12\s+0\s+\d+%`),
		regexp.MustCompile(`(?m)^fetch was the bottleneck: \d+% busy; \w+ idle \d+%$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("stdout does not match %s:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(data), `"bottleneck": "fetch was the bottleneck`) {
		t.Errorf("--report JSON: %v\n%s", err, data)
	}
	for _, text := range []string{string(logged), out, string(data)} {
		if strings.Contains(text, "progress-test-key") {
			t.Fatal("the API key appeared in the output")
		}
	}
}

// TestRetriesCountedOnce checks that a retry counted when logged is not
// counted again when its symbol ends, while a source that logs none has
// its retries counted from the result.
func TestRetriesCountedOnce(t *testing.T) {
	p := newProgress(2)
	log := p.logger(slog.DiscardHandler).With("source", "alphavantage")
	log.Warn(retryMessage, "symbol", "A", "attempt", 1)
	log.Warn(retryMessage, "symbol", "A", "attempt", 2)
	if got := p.retries.Load(); got != 2 {
		t.Fatalf("%d retries after two logged, want 2", got)
	}
	p.record(fetch.Result{Symbol: "A", Status: dataset.StatusOK, Attempts: 3})
	p.record(fetch.Result{Symbol: "B", Status: dataset.StatusOK, Attempts: 2})
	if got := p.retries.Load(); got != 3 {
		t.Fatalf("%d retries, want 3: two logged for A, one unlogged for B", got)
	}
}
