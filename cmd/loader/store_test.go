package main

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "100": 100, "1B": 1, "2K": 2048, "1.5KiB": 1536, "512M": 512 << 20, "20GiB": 20 << 30, "1tb": 1 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "KiB", "-1", "ten", "1P"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) succeeded", bad)
		}
	}
}

func TestOutURLs(t *testing.T) {
	for _, tt := range []struct{ out, want string }{
		{"gs://bucket/x", "no driver for gs://"},
		{"s3://", "no bucket name"},
		{"s3://b/a//c", "empty, . or .. segment"},
		{"s3://AKIA:secret@b/x", "without user"},
	} {
		code, _, stderr := runCLI(t, "fetch", "--symbols", "X", "--out", tt.out)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "secret@") {
			t.Errorf("--out %s: exit %d, stderr %q; want exit 2 and %q", tt.out, code, stderr, tt.want)
		}
	}
}
