package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// lockedBuffer is a bytes.Buffer a test can read while a command writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe runs `loader serve args...` on a free port and returns its
// query URL; the test's cleanup stops it as Ctrl-C would and checks that
// it exits with status 0.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-exited; code != exitOK {
			t.Errorf("serve exited with %d: %s", code, stderr.String())
		}
	})
	listening := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/query)\n`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-exited:
			exited <- code
			t.Fatalf("serve exited with %d: %s", code, stderr.String())
		default:
		}
	}
	t.Fatalf("serve printed no address: %q", stdout.String())
	return ""
}

func TestServeAnswersLikeTheService(t *testing.T) {
	url := startServe(t, "--api-key", "demo")
	for _, tt := range []struct{ query, want string }{
		{"function=TIME_SERIES_DAILY&symbol=IBM&apikey=demo", `"2. Symbol": "IBM"`},
		{"function=TIME_SERIES_DAILY&symbol=IBM&apikey=demo&datatype=csv", "timestamp,open,high,low,close,volume\r\n"},
		{"function=TIME_SERIES_DAILY&symbol=IBM&apikey=wrong", `"Error Message": "the parameter apikey is invalid or missing.`},
		{"function=NOPE&symbol=IBM&apikey=demo", `"Error Message": "Invalid API call.`},
	} {
		status, body, err := fasthttp.GetTimeout(nil, url+"?"+tt.query, 10*time.Second)
		if err != nil || status != 200 || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: HTTP %d, %v:\n%.300s\nwant it to contain %q", tt.query, status, err, body, tt.want)
		}
	}
}

// TestServeThenFetch fetches from `loader serve`, faults injected, with
// `loader fetch --source alphavantage`.
func TestServeThenFetch(t *testing.T) {
	url := startServe(t, "--fail-503", "0.2", "--fail-429", "0.1", "--retry-after", "0s",
		"--rate-limit-note", "0.1", "--truncate", "0.1", "--seed", "3")
	t.Setenv("ALPHAVANTAGE_API_KEY", "serve-test-key-0123")
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "fetch", "--source", "alphavantage", "--base-url", url, "--rate", "0",
		"--retries", "8", "--symbols", "IBM,MSFT,AAPL,TOOLONGTICKER", "--out", out)
	if code != exitFailure || !strings.Contains(stderr+stdout, "fetch TOOLONGTICKER: alpha vantage: invalid call") {
		t.Fatalf("exit %d, want 1 for the one invalid symbol:\n%s\n%s", code, stdout, stderr)
	}
	for _, sym := range []string{"IBM", "MSFT", "AAPL"} {
		if _, err := os.Stat(filepath.Join(out, sym+".parquet")); err != nil {
			t.Error(err)
		}
	}
	if strings.Contains(stdout+stderr, "serve-test-key-0123") {
		t.Error("the API key leaked into the output")
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--fail-503", "1.5"}, "--fail-503 1.5: want a share between 0 and 1"},
		{[]string{"--fail-503", "0.6", "--truncate", "0.6"}, "add up to 1.2"},
		{[]string{"--latency", "-1s"}, "--latency -1s: must not be negative"},
		{[]string{"--daily-limit", "-1"}, "--daily-limit -1"},
		{[]string{"--cache-mb", "0"}, "--cache-mb 0"},
		{[]string{"127.0.0.1:9000"}, `serve takes no arguments, got "127.0.0.1:9000": give the address with --addr`},
		{[]string{"--addr", "8080"}, `--addr "8080"`},
		{[]string{"--seed", "x"}, `invalid argument "x"`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"serve"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tt.want)
			}
			for _, prefix := range []string{"server:", "faults:"} {
				if strings.Contains(stderr, prefix) {
					t.Errorf("stderr %q carries the internal prefix %q", stderr, prefix)
				}
			}
		})
	}
}
