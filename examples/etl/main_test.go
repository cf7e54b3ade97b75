package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func TestRunOnSamples(t *testing.T) {
	t.Parallel()
	mem := newMem(t)
	in, out := filepath.Join(t.TempDir(), "in"), t.TempDir()
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeSamples(in, sampleSymbols, 30); err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	if err := run(context.Background(), &report, []string{"-in", in, "-out", out, "-sma", "5", "-writers", "2"}, mem); err != nil {
		t.Fatalf("run: %v\n%s", err, report.String())
	}
	for _, want := range []string{"wrote 6 of 6 symbols", "was the bottleneck", "busy share"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
	for _, stage := range []string{"symbols", "fetch", "transform", "write"} {
		if !strings.Contains(report.String(), "  "+stage+"  ") {
			t.Errorf("stats lack stage %s:\n%s", stage, report.String())
		}
	}

	sums := readSummaries(t, filepath.Join(out, summaryFile))
	var got []string
	for _, s := range sums {
		got = append(got, s.Symbol)
		if s.Rows != 30 || s.LastSMA == nil || s.MeanRange == nil || *s.MeanRange <= 0 || s.File != s.Symbol+".parquet" {
			t.Errorf("summary %+v: want 30 rows, an SMA, a positive mean range and file %s.parquet", s, s.Symbol)
		}
		want := []string{"symbol", "date", "open", "high", "low", "close", "volume", "range", "sma_5"}
		if cols := parquetColumns(t, filepath.Join(out, s.File)); !slices.Equal(cols, want) {
			t.Errorf("%s columns %v, want %v", s.File, cols, want)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, sampleSymbols) {
		t.Errorf("summaries of %v, want %v", got, sampleSymbols)
	}
}

func TestRunReportsBadFiles(t *testing.T) {
	t.Parallel()
	mem := newMem(t)
	in, out := t.TempDir(), t.TempDir()
	files := map[string]string{
		// Rows out of order and an extra column: the reader copes.
		"GOOD.csv": "volume,date,open,high,low,close,note\n200,2024-01-03,10,12,9,11,x\n100,2024-01-02,10,11,8,10,y\n",
		"BAD.csv":  "date,open,high,low,close,volume\n2024-01-02,10,11,9,ten,100\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(in, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var report bytes.Buffer
	err := run(context.Background(), &report, []string{"-in", in, "-out", out, "-sma", "2"}, mem)
	if err == nil || err.Error() != "1 of 2 symbols failed" {
		t.Fatalf("run = %v, want 1 of 2 symbols failed\n%s", err, report.String())
	}
	if want := `failed: read ` + filepath.Join(in, "BAD.csv") + `: line 2: column close:`; !strings.Contains(report.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, report.String())
	}
	sums := readSummaries(t, filepath.Join(out, summaryFile))
	if len(sums) != 1 || sums[0].Symbol != "GOOD" || sums[0].First != "2024-01-02" || sums[0].LastSMA == nil || *sums[0].LastSMA != 10.5 {
		t.Errorf("summaries %+v, want GOOD only, from 2024-01-02, with sma_2 10.5", sums)
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	mem := newMem(t)
	in, out := t.TempDir(), t.TempDir()
	if err := writeSamples(in, sampleSymbols, 30); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var report bytes.Buffer
	err := run(ctx, &report, []string{"-in", in, "-out", out}, mem)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run = %v, want context.Canceled\n%s", err, report.String())
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != summaryFile {
			t.Errorf("cancelled run left %s in the output directory", e.Name())
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero workers", []string{"-workers", "0"}, "-workers and -writers at least 1"},
		{"zero writers", []string{"-writers", "0"}, "-workers and -writers at least 1"},
		{"negative days", []string{"-days", "-1"}, "-days must not be negative"},
		{"no input files", []string{"-in", "testdata-missing"}, "no .csv files in testdata-missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), &bytes.Buffer{}, tt.args, newMem(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestReadCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    []bar // on success
		wantErr string
	}{
		{
			name: "sorted on read, any column order",
			body: "close,date,open,high,low,volume\n2,2024-01-03,1,3,0.5,7\n1.5,2024-01-02,1,2,1,5\n",
			want: []bar{
				{date: day(t, "2024-01-02"), open: 1, high: 2, low: 1, close: 1.5, volume: 5},
				{date: day(t, "2024-01-03"), open: 1, high: 3, low: 0.5, close: 2, volume: 7},
			},
		},
		{name: "header only", body: "date,open,high,low,close,volume\n", want: nil},
		{name: "empty", body: "", wantErr: "header: EOF"},
		{name: "missing column", body: "date,open,high,low,close\n", wantErr: `no column "volume"`},
		{name: "bad date", body: "date,open,high,low,close,volume\n02/01/2024,1,1,1,1,1\n", wantErr: "line 2: column date:"},
		{name: "bad volume", body: "date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1.5\n", wantErr: "line 2: column volume:"},
		{name: "short row", body: "date,open,high,low,close,volume\n2024-01-02,1,1\n", wantErr: "wrong number of fields"},
		{name: "duplicate date", body: "date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-02,2,2,2,2,2\n", wantErr: "date 2024-01-02 appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := newMem(t)
			rec, err := readCSV(strings.NewReader(tt.body), "X", mem)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("readCSV = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			if !rec.Schema().Equal(sources.DailySchema(false)) {
				t.Fatalf("schema %v, want DailySchema(false)", rec.Schema())
			}
			if got := bars(rec); !slices.Equal(got, tt.want) {
				t.Errorf("bars %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDailyRange(t *testing.T) {
	t.Parallel()
	mem := newMem(t)
	rec, err := readCSV(strings.NewReader("date,open,high,low,close,volume\n"+
		"2024-01-02,10,11,9,10,1\n2024-01-03,10,12,9,0,1\n2024-01-04,10,10.5,10,10.5,1\n"), "X", mem)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	out, err := dailyRange(rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if out.NumCols() != rec.NumCols()+1 || out.ColumnName(int(rec.NumCols())) != rangeColumn {
		t.Fatalf("schema %v, want the input's columns and %q", out.Schema(), rangeColumn)
	}
	col := out.Column(int(rec.NumCols())).(*array.Float64)
	if col.Value(0) != 0.2 || col.IsValid(1) || math.Abs(col.Value(2)-0.5/10.5) > 1e-15 {
		t.Errorf("range %v, want [0.2 (null) 0.047619…]", col)
	}

	noHigh := array.NewRecordBatch(arrow.NewSchema(rec.Schema().Fields()[:2], nil), rec.Columns()[:2], rec.NumRows())
	defer noHigh.Release()
	if _, err := dailyRange(noHigh, mem); err == nil || !strings.Contains(err.Error(), `no column "high"`) {
		t.Errorf("dailyRange without high = %v, want a missing-column error", err)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("date,open,high,low,close,volume\n2024-01-03,1,3,0.5,2,7\n2024-01-02,1,2,1,1.5,5\n")
	f.Add("volume,date,open,high,low,close\n5,2024-01-02,1,2,1,1.5\n")
	f.Add("date,open,high,low,close,volume\n\"2024-01-02\",1e3,NaN,-Inf,0x10,9223372036854775807\n")
	f.Fuzz(func(t *testing.T, body string) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec, err := readCSV(strings.NewReader(body), "X", mem)
		if err != nil {
			return
		}
		defer rec.Release()
		dates := rec.Column(1).(*array.Date32).Date32Values()
		for i := 1; i < len(dates); i++ {
			if dates[i] <= dates[i-1] {
				t.Fatalf("dates not strictly ascending at row %d: %v", i, dates)
			}
		}
	})
}

// bars returns the rows of a DailySchema(false) record.
func bars(rec arrow.RecordBatch) []bar {
	var out []bar
	for i := range int(rec.NumRows()) {
		f := func(c int) float64 { return rec.Column(c).(*array.Float64).Value(i) }
		out = append(out, bar{
			date: rec.Column(1).(*array.Date32).Value(i),
			open: f(2), high: f(3), low: f(4), close: f(5),
			volume: rec.Column(6).(*array.Int64).Value(i),
		})
	}
	return out
}

func day(t *testing.T, s string) arrow.Date32 {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return arrow.Date32FromTime(d)
}

func readSummaries(t *testing.T, path string) []summary {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sums []summary
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var s summary
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		sums = append(sums, s)
	}
	return sums
}

// parquetColumns returns the column names of the Parquet file at path.
func parquetColumns(t *testing.T, path string) []string {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	schema, err := pqarrow.FromParquet(r.MetaData().Schema, nil, r.MetaData().KeyValueMetadata())
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
	}
	return names
}
