package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// watchedBuffer is a lockedBuffer that closes seen once what was written
// to it contains want.
type watchedBuffer struct {
	lockedBuffer
	want string
	seen chan struct{}
	once sync.Once
}

func newWatchedBuffer(want string) *watchedBuffer {
	return &watchedBuffer{want: want, seen: make(chan struct{})}
}

func (b *watchedBuffer) Write(p []byte) (int, error) {
	n, err := b.lockedBuffer.Write(p)
	if strings.Contains(b.String(), b.want) {
		b.once.Do(func() { close(b.seen) })
	}
	return n, err
}

// jsonLines parses every line of text as a JSON object.
func jsonLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var records []map[string]any
	for line := range strings.Lines(text) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON line: %q", line)
			continue
		}
		records = append(records, rec)
	}
	return records
}

// TestRetryCountsAtOnceAndStderrIsJSON checks that a retry shows in the
// progress line as soon as it is logged, before its symbol ends, and
// that with --log-format json every line on stderr is JSON. The server
// answers a symbol's first request with a 503 and holds its second until
// a progress line counting the retry has been written.
func TestRetryCountsAtOnceAndStderrIsJSON(t *testing.T) {
	defer func(old time.Duration) { progressInterval = old }(progressInterval)
	progressInterval = time.Millisecond
	t.Setenv("ALPHAVANTAGE_API_KEY", "json-test-key")

	stderr := newWatchedBuffer(`"msg":"progress","done":0,"total":1,"rows":0,"retries":1`)
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		select {
		case <-stderr.seen:
		case <-r.Context().Done():
			return
		}
		sym := r.URL.Query().Get("symbol")
		alphavantage.EncodeJSON(w, sym, sample.Series(sym)[:100], sources.Kind{}, "compact")
	}))
	defer srv.Close()

	var stdout lockedBuffer
	code := run(t.Context(), []string{"fetch", "--source", "alphavantage", "--base-url", srv.URL + "/query", "--rate", "0",
		"--symbols", "IBM", "--out", t.TempDir(), "--log-format", "json"}, &stdout, stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var retrying bool
	for _, rec := range jsonLines(t, stderr.String()) {
		retrying = retrying || (rec["msg"] == "retrying" && rec["level"] == "WARN" && rec["symbol"] == "IBM")
	}
	if !retrying {
		t.Errorf("no retry record:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 symbol (1 ok") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

// TestEverythingOnStderrIsJSON checks the banner, the warnings, what a
// command prints on stderr and the errors, including those found before
// the flags were applied.
func TestEverythingOnStderrIsJSON(t *testing.T) {
	t.Setenv("ALPHAVANTAGE_API_KEY", "")
	data := t.TempDir()
	tests := []struct {
		name  string
		args  []string
		env   string
		code  int
		level string
		want  string
	}{
		{"banner and warning", []string{"fetch", "--symbols", "IBM", "--outputsize", "full", "--out", data, "--log-format", "json"}, "", exitOK, "WARN", "SYNTHETIC"},
		{"printed lines", []string{"plot", "--in", data, "--out", t.TempDir(), "--log-format", "json"}, "", exitOK, "INFO", "1 chart in"},
		{"usage error", []string{"--log-format", "json", "fetch", "--symbols", "IBM", "--format", "xml"}, "", exitUsage, "ERROR", `--format: unknown format "xml"`},
		{"flag error from the environment's format", []string{"fetch", "--bogus"}, "json", exitUsage, "ERROR", "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("LOADER_LOG_FORMAT", tt.env)
			}
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			found := false
			for _, rec := range jsonLines(t, stderr) {
				msg, _ := rec["msg"].(string)
				if rec["level"] == tt.level && strings.Contains(msg, tt.want) {
					found = true
				}
				if tt.code == exitUsage && rec["help"] != "loader fetch --help" {
					t.Errorf("error record %v does not point to loader fetch --help", rec)
				}
			}
			if !found {
				t.Errorf("no %s record with %q:\n%s", tt.level, tt.want, stderr)
			}
		})
	}
}

func TestLogFormatWithoutQuietKeepsTheReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, _ := runCLI(t, "fetch", "--symbols", "IBM", "--out", out, "--log-format", "json")
	if code != exitOK || !strings.Contains(stdout, "1 symbol (1 ok") {
		t.Errorf("exit %d, stdout %q: the report stays text on stdout", code, stdout)
	}
}
