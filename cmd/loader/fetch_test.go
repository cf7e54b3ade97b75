package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/seed-c7c8f39b/loader/internal/leaktest"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
)

// runCLI runs the loader command line in-process and returns its exit code,
// stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// readParquet reads a whole Parquet file into one record.
func readParquet(t *testing.T, path string, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, tbl.NumRows())
	defer tr.Release()
	if !tr.Next() {
		t.Fatalf("%s: no rows", path)
	}
	rec := tr.RecordBatch()
	rec.Retain()
	return rec
}

func TestFetchSampleEndToEnd(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "fetch", "--symbols", "aapl,GOOGL,MSFT,AAPL", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "SYNTHETIC sample data") {
		t.Errorf("stderr does not say the sample data was picked:\n%s", stderr)
	}
	for _, want := range []string{"AAPL", "GOOGL", "MSFT", "3 symbols (3 ok, 0 failed, 0 skipped), 15654 rows"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	first := map[string]arrow.RecordBatch{}
	for _, sym := range []string{"AAPL", "GOOGL", "MSFT"} {
		path := filepath.Join(out, sym+".parquet")
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rec := readParquet(t, path, mem)
		want := sources.DailySchema(false)
		for i, f := range rec.Schema().Fields() {
			if i >= want.NumFields() || f.Name != want.Field(i).Name || !arrow.TypeEqual(f.Type, want.Field(i).Type) {
				t.Fatalf("%s schema:\n%s\nwant:\n%s", sym, rec.Schema(), want)
			}
		}
		dates := rec.Column(1).(*array.Date32).Date32Values()
		if !slices.IsSorted(dates) || len(slices.Compact(slices.Clone(dates))) != len(dates) {
			t.Errorf("%s dates are not ascending and unique", sym)
		}
		bars := sample.Series(sym)
		closes := rec.Column(5).(*array.Float64)
		for i, b := range bars {
			if closes.Value(i) != b.Close {
				t.Fatalf("%s row %d close %v, want %v", sym, i, closes.Value(i), b.Close)
			}
		}
		pf, err := file.OpenParquetFile(path, false)
		if err != nil {
			t.Fatal(err)
		}
		meta := pf.MetaData().KeyValueMetadata()
		for _, key := range []string{"source", "function", "output_size", "fetched_at", "loader_version"} {
			if meta.FindValue(key) == nil {
				t.Errorf("%s metadata lacks %q: %v", sym, key, meta)
			}
		}
		pf.Close()
		first[sym] = rec
	}

	var manifest struct {
		Symbols []struct{ Symbol, Status string }
	}
	data, err := os.ReadFile(filepath.Join(out, "_manifest.json"))
	if err != nil || json.Unmarshal(data, &manifest) != nil || len(manifest.Symbols) != 3 {
		t.Fatalf("manifest: %v\n%s", err, data)
	}

	// A second run writes the same values; only the fetch time differs.
	if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL,GOOGL,MSFT", "--out", out); code != exitOK {
		t.Fatalf("second run exit %d: %s", code, stderr)
	}
	for sym, want := range first {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		got := readParquet(t, filepath.Join(out, sym+".parquet"), mem)
		if !array.RecordEqual(got, want) {
			t.Errorf("%s differs between two runs", sym)
		}
		got.Release()
		want.Release()
		mem.AssertSize(t, 0)
	}
}

func TestFetchUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no symbols", []string{"fetch"}, "no symbols: give --symbols or --symbols-file"},
		{"empty symbol", []string{"fetch", "--symbols", "AAPL,,MSFT"}, `entry 2 is empty`},
		{"path escape", []string{"fetch", "--symbols", "../x"}, `symbol "../x": character '/' not allowed`},
		{"space", []string{"fetch", "--symbols", "A B"}, `symbol "A B"`},
		{"control character", []string{"fetch", "--symbols", "A\x01B"}, `symbol "A\x01B"`},
		{"unknown flag", []string{"fetch", "--symbols", "X", "--bogus"}, "unknown flag: --bogus"},
		{"bad format", []string{"fetch", "--symbols", "X", "--format", "xml"}, `unknown format "xml"`},
		{"bad source", []string{"fetch", "--symbols", "X", "--source", "yahoo"}, `--source "yahoo"`},
		{"bad concurrency", []string{"fetch", "--symbols", "X", "--concurrency", "0"}, "--concurrency must be at least 1"},
		{"unknown command", []string{"fletch"}, `unknown command "fletch"`},
		{"resume single", []string{"fetch", "--symbols", "X", "--resume", "--layout", "single"}, "--resume does not work with --layout single"},
		{"shard single", []string{"fetch", "--symbols", "X", "--shard", "0/2", "--layout", "single"}, "every shard would write the same data.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := runCLI(t, append(tt.args, "--out", out)...)
			if tt.name == "unknown command" {
				code, _, stderr = runCLI(t, tt.args...)
			}
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a usage error created the output directory")
			}
		})
	}
}

func TestEnvironmentFlags(t *testing.T) {
	envOut, flagOut := t.TempDir(), t.TempDir()
	t.Setenv("LOADER_OUT", envOut)
	t.Setenv("LOADER_SYMBOLS", "IBM")
	if code, _, stderr := runCLI(t, "fetch"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(envOut, "IBM.parquet")); err != nil {
		t.Fatalf("LOADER_OUT and LOADER_SYMBOLS were not used: %v", err)
	}
	if code, _, stderr := runCLI(t, "fetch", "--out", flagOut, "--symbols", "MSFT"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(flagOut, "MSFT.parquet")); err != nil {
		t.Fatalf("the flags did not win over the environment: %v", err)
	}
	t.Setenv("LOADER_CONCURRENCY", "many")
	if code, _, stderr := runCLI(t, "fetch"); code != exitUsage || !strings.Contains(stderr, "$LOADER_CONCURRENCY") {
		t.Fatalf("exit %d, stderr %q: want a usage error naming the variable", code, stderr)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"fetch", "--help"}} {
		code, stdout, _ := runCLI(t, args...)
		if code != exitOK || !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "Examples:") {
			t.Errorf("%v: exit %d, output:\n%s", args, code, stdout)
		}
	}
}

// TestMain checks that no goroutine outlives the tests, and removes the
// binary the process tests built.
func TestMain(m *testing.M) { leaktest.VerifyTestMain(m, testbin.Remove) }

func TestFetchFormatsAndLayouts(t *testing.T) {
	tests := []struct {
		args  []string
		files []string
	}{
		{[]string{"--format", "arrow"}, []string{"AAPL.arrow", "MSFT.arrow"}},
		{[]string{"--format", "csv"}, []string{"AAPL.csv", "MSFT.csv"}},
		{[]string{"--compression", "snappy", "--row-group-size", "1000"}, []string{"AAPL.parquet", "MSFT.parquet"}},
		{[]string{"--layout", "single"}, []string{"data.parquet"}},
		{[]string{"--layout", "hive"}, []string{"symbol=AAPL/part-0.parquet", "symbol=MSFT/part-0.parquet"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, append([]string{"fetch", "--symbols", "AAPL,MSFT", "--out", out, "--quiet"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, f := range tt.files {
				if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s: %v", f, err)
				}
			}
			if !strings.Contains(stdout, "2 symbols (2 ok, 0 failed, 0 skipped), 10436 rows") {
				t.Errorf("report:\n%s", stdout)
			}
		})
	}
}
