package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestBatchesOverFetchedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL,MSFT", "--out", dir, "--transform", "returns,sma:5", "--quiet"); code != exitOK {
		t.Fatalf("fetch exit %d: %s", code, stderr)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"defaults", nil, []string{`X float32 \[256 32 1\] \(log_return\), Y float32 \[256 1\]`, `epoch 0: 41 batches, 10370 samples`}},
		{"features and shuffle", []string{"--features", "close,volume,sma_5", "--target", "return", "--window", "8", "--batch-size", "100", "--shuffle", "--epochs", "2"},
			[]string{`X float32 \[100 8 3\] \(close,volume,sma_5\)`, `epoch 1: \d+ batches`}},
		{"sharded", []string{"--rank", "1", "--world-size", "2", "--drop-last"}, []string{`rank 1 of 2: 20 batches per epoch`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"batches", "--in", dir}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, want := range tt.want {
				if !regexp.MustCompile(want).MatchString(stdout + stderr) {
					t.Errorf("output does not match %s:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
}

func TestBatchesUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ args, want string }{
		{"--window 0", "--window 0: want at least 1"},
		{"--split later", "later"},
		{"--rank 2 --world-size 2", "rank"},
		{"--train-end 2024-13-01", "2024-13-01"},
	} {
		code, _, stderr := runCLI(t, append([]string{"batches", "--in", dir}, strings.Fields(tt.args)...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 naming %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestBatchesRefusals checks what batches refuses before it reports: a
// window no series can hold, and binary arrays for a terminal.
func TestBatchesRefusals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL,MSFT", "--out", dir, "--quiet"); code != exitOK {
		t.Fatalf("fetch exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "batches", "--in", dir, "--window", "6000")
	if want := "--window 6000 with --horizon 1: no window fits in split train of 2 symbols (10436 rows in all)"; code != exitUsage || !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, want)
	}

	tty := openTerminal(t)
	var errBuf strings.Builder
	code = run(t.Context(), []string{"batches", "--in", dir, "--emit", "npy"}, tty, &errBuf)
	if want := "--emit npy writes binary arrays to stdout, which is a terminal"; code != exitUsage || !strings.Contains(errBuf.String(), want) {
		t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errBuf.String(), want)
	}
}
