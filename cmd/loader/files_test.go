package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// TestSymlinkedPartitionIsRefused checks that a symbolic link standing at
// a hive partition directory does not carry a file outside --out.
func TestSymlinkedPartitionIsRefused(t *testing.T) {
	out, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(out, "symbol=AAA")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "fetch", "--symbols", "AAA,BBB", "--layout", "hive", "--out", out)
	if code != exitFailure {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "symbol=AAA is a symbolic link: refusing to write through it") {
		t.Errorf("stdout does not say why AAA failed:\n%s", stdout)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("%d files written outside --out", len(entries))
	}
	if _, err := os.Stat(filepath.Join(out, "symbol=BBB", "part-0.parquet")); err != nil {
		t.Error(err)
	}
}

// TestSingleLayoutMetadata checks that the single layout's file carries
// the metadata the other layouts' files do.
func TestSingleLayoutMetadata(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL,MSFT", "--layout", "single", "--out", out, "--quiet"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	pf, err := file.OpenParquetFile(filepath.Join(out, "data.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	meta := pf.MetaData().KeyValueMetadata()
	for _, key := range []string{"source", "function", "output_size", "fetched_at", "loader_version"} {
		if meta.FindValue(key) == nil {
			t.Errorf("data.parquet metadata lacks %q: %v", key, meta)
		}
	}
}

// TestServedDataIsMarkedSynthetic fetches from `loader serve` and checks
// that the files, `loader inspect` and the charts' titles say the data is
// synthetic, and that charts are readable by all, like data files.
func TestServedDataIsMarkedSynthetic(t *testing.T) {
	url := startServe(t)
	t.Setenv("ALPHAVANTAGE_API_KEY", "synthetic-test-key")
	data, charts := t.TempDir(), t.TempDir()
	if code, _, stderr := runCLI(t, "fetch", "--source", "alphavantage", "--base-url", url, "--rate", "0",
		"--symbols", "IBM", "--out", data, "--quiet"); code != exitOK {
		t.Fatalf("fetch exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "inspect", data)
	if code != exitOK || !strings.Contains(stdout, "alphavantage (synthetic sample data from loader serve)") {
		t.Errorf("inspect exit %d, output does not say synthetic:\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "plot", "--in", data, "--out", charts, "--format", "svg", "--width", "400", "--height", "300")
	if code != exitOK {
		t.Fatalf("plot exit %d: %s", code, stderr)
	}
	chart := filepath.Join(charts, "IBM.svg")
	svg, err := os.ReadFile(chart)
	if err != nil || !strings.Contains(string(svg), "synthetic sample data") {
		t.Errorf("the chart's title does not say synthetic: %v", err)
	}
	if st, err := os.Stat(chart); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("chart mode %v, want 0644: %v", st.Mode().Perm(), err)
	}
}
