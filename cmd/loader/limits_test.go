package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// TestFetchServiceLimits checks that --max-requests and --max-wait reach
// the client, and that a used-up quota does not abort the run: the
// symbols fetched keep their files, the rest are recorded with the
// reason, and the server sees no request past the quota.
func TestFetchServiceLimits(t *testing.T) {
	for _, tt := range []struct {
		name     string
		server   avserver.Config
		args     []string
		ok       int
		requests int64
		reason   string // of the symbols not fetched
		code     int
	}{
		{"max requests", avserver.Config{}, []string{"--max-requests", "2"}, 2, 2,
			"not fetched: the run's request budget is used up: 2 requests made", exitTempFail},
		{"daily quota", avserver.Config{DailyLimit: 2}, nil, 2, 3,
			"daily request limit reached", exitTempFail},
		{"max wait", avserver.Config{Faults: avserver.Faults{Fail429: 1, RetryAfter: time.Second}}, []string{"--max-wait", "1ms"}, 0, 5,
			"HTTP 429 after 1 attempt: max wait per symbol reached (waited 0s of 1ms, the next wait would be 1s)", exitFailure},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := avtest.Start(t, tt.server)
			t.Setenv("LIMITS_KEY", "limits-key")
			out := t.TempDir()
			args := append([]string{"fetch", "--source", "alphavantage", "--api-key-env", "LIMITS_KEY", "--base-url", url,
				"--symbols", "A,B,C,D,E", "--concurrency", "1", "--rate", "0", "--out", out, "--quiet"}, tt.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s\n%s", code, tt.code, stdout, stderr)
			}
			if tt.code == exitTempFail && !strings.Contains(stderr, "run again after midnight US/Eastern") {
				t.Errorf("stderr does not say when to run again:\n%s", stderr)
			}
			data, err := os.ReadFile(filepath.Join(out, "_manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Symbols []struct{ Symbol, Status, Reason string }
			}
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			ok := 0
			for _, e := range m.Symbols {
				switch {
				case e.Status == "ok":
					ok++
				case e.Status != "failed" || !strings.Contains(e.Reason, tt.reason):
					t.Errorf("%s: %s (%s), want failed for %q", e.Symbol, e.Status, e.Reason, tt.reason)
				}
			}
			if n := srv.Stats().Requests; ok != tt.ok || n != tt.requests {
				t.Errorf("%d ok, %d requests; want %d and %d", ok, n, tt.ok, tt.requests)
			}
		})
	}
}

// TestQuotaThenResumeNextDay runs into the daily quota, then resumes as
// the next day would, against a server whose quota is fresh: the resumed
// run requests exactly the symbols the first one did not fetch.
func TestQuotaThenResumeNextDay(t *testing.T) {
	t.Setenv("LIMITS_KEY", "limits-key")
	out := t.TempDir()
	run := func(url string, extra ...string) (int, string) {
		args := append([]string{"fetch", "--source", "alphavantage", "--api-key-env", "LIMITS_KEY", "--base-url", url,
			"--symbols", "A,B,C,D,E", "--concurrency", "1", "--rate", "0", "--out", out, "--quiet"}, extra...)
		code, _, stderr := runCLI(t, args...)
		return code, stderr
	}
	_, today := avtest.Start(t, avserver.Config{DailyLimit: 2})
	if code, stderr := run(today); code != exitTempFail {
		t.Fatalf("first day: exit %d, want %d\n%s", code, exitTempFail, stderr)
	}
	next, tomorrow := avtest.Start(t, avserver.Config{})
	if code, stderr := run(tomorrow, "--resume"); code != exitOK {
		t.Fatalf("next day --resume: exit %d\n%s", code, stderr)
	}
	if n := next.Stats().Requests; n != 3 {
		t.Errorf("next day's --resume made %d requests, want 3 (C, D and E)", n)
	}
	for _, e := range readManifest(t, out).Symbols {
		if e.Status != "ok" {
			t.Errorf("%s is %s after the resume", e.Symbol, e.Status)
		}
	}
}
