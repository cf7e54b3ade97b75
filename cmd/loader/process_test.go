package main

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/seed-c7c8f39b/loader/internal/testbin"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// exitCode returns the exit status of a finished command.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("killed by %v", ws.Signal())
		}
		return exit.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// closedPipe returns the write end of a pipe whose read end is already
// closed, as `| head -1` leaves it once head has its line: every write to
// it fails with EPIPE (or raises SIGPIPE).
func closedPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// TestClosedStdoutOrStderr runs the real binary with stdout, stderr or both
// going to a pipe nobody reads any more: the run must not be killed by
// SIGPIPE, and must finish its work, its manifest and its report, and exit
// with its own status.
func TestClosedStdoutOrStderr(t *testing.T) {
	bin := testbin.Loader(t)
	for _, tt := range []struct {
		name           string
		stdout, stderr bool // closed
	}{
		{"stdout", true, false},
		{"stderr", false, true},
		{"both", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, report := filepath.Join(dir, "out"), filepath.Join(dir, "run.json")
			cmd := exec.Command(bin, "fetch", "--symbols", "AAPL,MSFT,IBM", "--out", out, "--report", report)
			cmd.Env = append(os.Environ(), "ALPHAVANTAGE_API_KEY=")
			if tt.stdout {
				cmd.Stdout = closedPipe(t)
			}
			if tt.stderr {
				cmd.Stderr = closedPipe(t)
			}
			if code := exitCode(t, cmd.Run()); code != exitOK {
				t.Fatalf("exit %d, want 0", code)
			}
			if ok := checkConsistent(t, out, []string{"AAPL", "MSFT", "IBM"}); ok != 3 {
				t.Errorf("%d of 3 symbols ok", ok)
			}
			if n := len(readReport(t, report).Symbols); n != 3 {
				t.Errorf("--report lists %d symbols", n)
			}
		})
	}
}

// TestClosedStdoutOfAReader pipes a command that only prints into a
// reader that has gone, as `loader inspect DIR | head` leaves it: it
// fails, but says nothing about the pipe on stderr.
func TestClosedStdoutOfAReader(t *testing.T) {
	bin := testbin.Loader(t)
	out := filepath.Join(t.TempDir(), "out")
	fetch := exec.Command(bin, "fetch", "--symbols", "AAPL,MSFT", "--out", out, "--quiet")
	fetch.Env = append(os.Environ(), "ALPHAVANTAGE_API_KEY=")
	if b, err := fetch.CombinedOutput(); err != nil {
		t.Fatalf("fetch: %v\n%s", err, b)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "inspect", out)
	cmd.Stdout, cmd.Stderr = closedPipe(t), &stderr
	if code := exitCode(t, cmd.Run()); code != exitFailure || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q; want exit %d and nothing said", code, stderr.String(), exitFailure)
	}
}

// heldServer answers like Alpha Vantage over the sample data, but holds
// every request until release is closed; arrived is closed when the first
// request comes in.
type heldServer struct {
	url              string
	arrived, release chan struct{}
	once             sync.Once
}

func startHeldServer(t *testing.T) *heldServer {
	t.Helper()
	h := &heldServer{arrived: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.once.Do(func() { close(h.arrived) })
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		sym := r.URL.Query().Get("symbol")
		alphavantage.EncodeJSON(w, sym, sample.Series(sym)[:100], sources.Kind{}, "compact")
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/query"
	return h
}

// TestHangUpIsGraceful sends SIGHUP, as a closed terminal or a dropped ssh
// session does, to a real run with a symbol in flight: it must stop like
// the first Ctrl-C, finishing that symbol, skipping the rest, writing the
// manifest, and exit 130.
func TestHangUpIsGraceful(t *testing.T) {
	bin := testbin.Loader(t)
	srv := startHeldServer(t)
	out := t.TempDir()
	symbols := []string{"H1", "H2", "H3", "H4"}
	cmd := exec.Command(bin, "fetch", "--source", "alphavantage", "--base-url", srv.url, "--rate", "0", "--concurrency", "1",
		"--symbols", strings.Join(symbols, ","), "--out", out)
	cmd.Env = append(os.Environ(), "ALPHAVANTAGE_API_KEY=hangup-test-key")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-srv.arrived
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// Release the symbol in flight once the run has taken the signal.
	var logged strings.Builder
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		logged.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "interrupted: finishing the symbols in flight") {
			close(srv.release)
			break
		}
	}
	for lines.Scan() {
		logged.WriteString(lines.Text() + "\n")
	}
	if code := exitCode(t, cmd.Wait()); code != exitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, logged.String())
	}
	m := readManifest(t, out)
	got := map[string]string{}
	for _, e := range m.Symbols {
		got[e.Symbol] = e.Status
	}
	if got["H1"] != "ok" || got["H4"] != "skipped" {
		t.Errorf("manifest statuses %v: want H1 finished and the rest skipped", got)
	}
	data, _ := os.ReadFile(filepath.Join(out, "_manifest.json"))
	if !strings.Contains(string(data), `"finished"`) {
		t.Error("the manifest does not record the run's end")
	}
}

// TestSecondInterruptSaysWhy interrupts a real run twice while a symbol
// is in flight: the symbol is cut off, and the manifest says it was by
// the second interrupt, not "context canceled". A request in flight ends
// only at its --timeout, hence the short one.
func TestSecondInterruptSaysWhy(t *testing.T) {
	bin := testbin.Loader(t)
	srv := startHeldServer(t)
	defer close(srv.release)
	out := t.TempDir()
	cmd := exec.Command(bin, "fetch", "--source", "alphavantage", "--base-url", srv.url, "--rate", "0", "--concurrency", "1",
		"--timeout", "1s", "--retries", "0", "--symbols", "C1,C2", "--out", out)
	cmd.Env = append(os.Environ(), "ALPHAVANTAGE_API_KEY=cutoff-test-key")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-srv.arrived
	cmd.Process.Signal(syscall.SIGINT)
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if strings.Contains(lines.Text(), "interrupted: finishing the symbols in flight") {
			cmd.Process.Signal(syscall.SIGINT)
			break
		}
	}
	for lines.Scan() {
	}
	if code := exitCode(t, cmd.Wait()); code != exitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
	data, err := os.ReadFile(filepath.Join(out, "_manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"reason": "cut off: aborted by a second interrupt"`, `"reason": "not fetched: aborted by a second interrupt"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("manifest lacks %s:\n%s", want, data)
		}
	}
	if strings.Contains(string(data)+stdout.String(), "context canceled") {
		t.Errorf("a reason says only \"context canceled\":\n%s\n%s", data, stdout.String())
	}
}
