package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectFetchedDirectory(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL,MSFT", "--out", data, "--quiet"); code != exitOK {
		t.Fatalf("fetch exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "inspect", data)
	if code != exitOK {
		t.Fatalf("inspect exit %d: %s", code, stderr)
	}
	for _, want := range []string{"AAPL.parquet", "MSFT.parquet", "row groups", "source", "sample (synthetic data)",
		"total: 2 files", "2006-01-02 .. 2025-12-31"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "_manifest.json") {
		t.Errorf("output reports the manifest:\n%s", stdout)
	}
}

func TestInspectErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.parquet")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no path", []string{"inspect"}, exitUsage, "inspect takes one PATH"},
		{"two paths", []string{"inspect", "a", "b"}, exitUsage, "inspect takes one PATH"},
		{"missing file", []string{"inspect", missing}, exitFailure, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}
