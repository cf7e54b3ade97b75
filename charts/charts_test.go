package charts_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/charts"
	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var sampleMeta = map[string]string{"source": "sample (synthetic data)"}

// write writes recs (released here) into dir through the writer `loader
// fetch` uses, in format and layout, and returns the paths written.
func write(t *testing.T, dir string, format dataset.Format, layout dataset.Layout, recs ...arrow.RecordBatch) []string {
	t.Helper()
	var series []sources.Series
	for _, rec := range recs {
		defer rec.Release()
		sym := rec.Column(0).(*array.String).Value(0)
		series = append(series, sources.Series{Symbol: sym, Record: rec})
	}
	return loadertest.WriteSeries(t, sinks.Options{Dir: dir, Format: format, Layout: layout, Metadata: sampleMeta}, series...)
}

// bars returns symbol's sample series; the caller releases it.
func bars(symbol string) arrow.RecordBatch {
	return sample.Bars(symbol, false, memory.NewGoAllocator())
}

// writeSamples writes one sample file per symbol into dir in format.
func writeSamples(t *testing.T, dir string, format dataset.Format, symbols ...string) {
	t.Helper()
	var recs []arrow.RecordBatch
	for _, sym := range symbols {
		recs = append(recs, bars(sym))
	}
	write(t, dir, format, dataset.LayoutFiles, recs...)
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func TestRenderDirSequentialAndParallelAgree(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	writeSamples(t, in, dataset.FormatParquet, "AAPL", "MSFT", "IBM")
	var sets [][]string
	for _, runner := range []charts.Runner{charts.Sequential{}, charts.Parallel{Workers: 3}} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		out := t.TempDir()
		paths, err := charts.RenderDir(context.Background(), in, out, charts.Options{Runner: runner, Mem: mem})
		if err != nil {
			t.Fatalf("%T: %v", runner, err)
		}
		mem.AssertSize(t, 0)
		for _, p := range paths {
			checkPNG(t, p, 1200, 700)
		}
		entries, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name()) // temp files would show up here
		}
		if !slices.Equal(names, baseNames(paths)) {
			t.Errorf("%T: directory holds %q, RenderDir returned %q", runner, names, paths)
		}
		sets = append(sets, names)
	}
	want := []string{"AAPL.png", "IBM.png", "MSFT.png"}
	for _, got := range sets {
		if !slices.Equal(got, want) {
			t.Errorf("files = %q, want %q", got, want)
		}
	}
}

// checkPNG decodes the PNG at path and fails unless it has the given size
// and looks drawn: many colours, and a good share of non-white pixels.
func checkPNG(t *testing.T, path string, width, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("%s: size %dx%d, want %dx%d", path, b.Dx(), b.Dy(), width, height)
	}
	colours, ink := inkStats(img)
	if colours < 20 {
		t.Errorf("%s: %d distinct colours, want a drawn chart with at least 20", path, colours)
	}
	if total := img.Bounds().Dx() * img.Bounds().Dy(); ink < total/20 {
		t.Errorf("%s: %d of %d pixels are not white, want at least 5%%", path, ink, total)
	}
}

func inkStats(img image.Image) (colours, ink int) {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			seen[c] = true
			if c != (color.RGBA{255, 255, 255, 255}) {
				ink++
			}
		}
	}
	return len(seen), ink
}

func TestRenderDirSVGIsXML(t *testing.T) {
	t.Parallel()
	in, out := t.TempDir(), t.TempDir()
	writeSamples(t, in, dataset.FormatParquet, "AAPL")
	paths, err := charts.RenderDir(context.Background(), in, out, charts.Options{Style: charts.Style{Format: charts.SVG}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 || filepath.Base(paths[0]) != "AAPL.svg" {
		t.Fatalf("paths = %q, want [AAPL.svg]", paths)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", paths[0], err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("root element = %q, want svg", root)
	}
	for _, want := range []string{"AAPL", "synthetic sample data", "volume", "20-day average"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("SVG lacks the text %q", want)
		}
	}
}

// hive writes each symbol's rows in the hive layout as two partition files,
// the newer rows first, so the renderer must merge and sort them.
func hive(t *testing.T, dir string, symbols ...string) {
	t.Helper()
	for _, sym := range symbols {
		rec := bars(sym)
		defer rec.Release()
		write(t, dir, dataset.FormatParquet, dataset.LayoutHive, rec.NewSlice(3000, rec.NumRows()))
		// The writer makes one part per partition; the second, as other
		// tools add them, holds the older rows.
		older := write(t, t.TempDir(), dataset.FormatParquet, dataset.LayoutHive, rec.NewSlice(0, 3000))[0]
		partition := filepath.Base(filepath.Dir(older))
		if err := os.Rename(older, filepath.Join(dir, partition, "part-1.parquet")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderDirLayouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		write func(t *testing.T, dir string)
		want  []string
	}{
		{"arrow files", func(t *testing.T, dir string) {
			writeSamples(t, dir, dataset.FormatArrow, "AAPL", "IBM")
		}, []string{"AAPL.png", "IBM.png"}},
		{"csv files", func(t *testing.T, dir string) {
			writeSamples(t, dir, dataset.FormatCSV, "AAPL", "IBM")
		}, []string{"AAPL.png", "IBM.png"}},
		{"hive partitions", func(t *testing.T, dir string) {
			hive(t, dir, "AAPL", "MSFT")
		}, []string{"AAPL.png", "MSFT.png"}},
		{"single file", func(t *testing.T, dir string) {
			write(t, dir, dataset.FormatParquet, dataset.LayoutSingle, bars("AAPL"), bars("IBM"), bars("TSLA"))
		}, []string{"AAPL.png", "IBM.png", "TSLA.png"}},
		{"manifest and temp files skipped", func(t *testing.T, dir string) {
			writeSamples(t, dir, dataset.FormatParquet, "AAPL")
			os.WriteFile(filepath.Join(dir, "_manifest.json"), []byte(`{"manifest_version": 1, "symbols": [{"symbol": "AAPL", "status": "ok", "file": "AAPL.parquet"}]}`), 0o644)
			os.WriteFile(filepath.Join(dir, ".IBM.parquet.tmp-1"), []byte("partial"), 0o644)
		}, []string{"AAPL.png"}},
		{"files the manifest does not list are not read", func(t *testing.T, dir string) {
			writeSamples(t, dir, dataset.FormatParquet, "AAPL", "MSFT")
			os.WriteFile(filepath.Join(dir, "_manifest.json"), []byte(`{"manifest_version": 1, "symbols": [{"symbol": "AAPL", "status": "ok", "file": "AAPL.parquet"}, {"symbol": "MSFT", "status": "failed"}]}`), 0o644)
		}, []string{"AAPL.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, out := t.TempDir(), t.TempDir()
			tt.write(t, in)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			paths, err := charts.RenderDir(context.Background(), in, out,
				charts.Options{Runner: charts.Parallel{Workers: 2}, Mem: mem, Style: charts.Style{Width: 400, Height: 300}})
			if err != nil {
				t.Fatal(err)
			}
			if got := baseNames(paths); !slices.Equal(got, tt.want) {
				t.Errorf("files = %q, want %q", got, tt.want)
			}
			for _, p := range paths {
				checkPNG(t, p, 400, 300)
			}
		})
	}
}

func TestRenderDirSelection(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	writeSamples(t, in, dataset.FormatParquet, "AAPL", "MSFT", "IBM")
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	tests := []struct {
		name    string
		opts    charts.Options
		want    []string
		wantErr string
	}{
		{"symbols", charts.Options{Symbols: []string{"MSFT", "IBM"}}, []string{"IBM.png", "MSFT.png"}, ""},
		{"date range", charts.Options{Style: charts.Style{Start: day("2024-01-01"), End: day("2024-06-30")}}, []string{"AAPL.png", "IBM.png", "MSFT.png"}, ""},
		{"unknown symbol", charts.Options{Symbols: []string{"AAPL", "NOPE"}}, []string{"AAPL.png"}, "no rows for symbol NOPE"},
		{"range without data", charts.Options{Symbols: []string{"AAPL"}, Style: charts.Style{Start: day("2030-01-01")}}, nil, "chart AAPL: no rows between 2030-01-01 and any date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Style.Width, tt.opts.Style.Height = 300, 200
			paths, err := charts.RenderDir(context.Background(), in, t.TempDir(), tt.opts)
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if got := baseNames(paths); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("files = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderDirNamesTheBadFile(t *testing.T) {
	t.Parallel()
	in, out := t.TempDir(), t.TempDir()
	writeSamples(t, in, dataset.FormatParquet, "AAPL")
	bad := filepath.Join(in, "BAD.parquet")
	if err := os.WriteFile(bad, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths, err := charts.RenderDir(context.Background(), in, out, charts.Options{Runner: charts.Parallel{Workers: 2}})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v, want one naming %s", err, bad)
	}
	if got := baseNames(paths); !slices.Equal(got, []string{"AAPL.png"}) {
		t.Errorf("the good file was not rendered: %q", got)
	}
	if _, err := charts.RenderDir(context.Background(), t.TempDir(), out, charts.Options{}); err == nil {
		t.Error("an empty input directory rendered without error")
	}
}

func TestRenderRejectsEmptySeries(t *testing.T) {
	t.Parallel()
	err := charts.Render(io.Discard, &charts.Series{Symbol: "AAPL"}, charts.Style{})
	if err == nil || !strings.Contains(err.Error(), "AAPL") {
		t.Errorf("err = %v, want one naming AAPL", err)
	}
}

func TestFileName(t *testing.T) {
	t.Parallel()
	tests := []struct{ symbol, want string }{
		{"AAPL", "AAPL.png"},
		{"BRK.B", "BRK.B.png"},
		{"../etc/passwd", "_._etc_passwd.png"},
		{".hidden", "_hidden.png"},
		{"", "_.png"},
	}
	for _, tt := range tests {
		if got := charts.FileName(tt.symbol, charts.PNG); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.symbol, got, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"png", "SVG"} {
		if _, err := charts.ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	if _, err := charts.ParseFormat("gif"); err == nil {
		t.Error("ParseFormat(gif) succeeded")
	}
}

// TestRenderDirHiveSymbols is the regression test of hive partitions named
// with escapes: symbol=EURUSD%3DX holds EURUSD=X, and its chart is titled
// so.
func TestRenderDirHiveSymbols(t *testing.T) {
	t.Parallel()
	in, out := t.TempDir(), t.TempDir()
	write(t, in, dataset.FormatParquet, dataset.LayoutHive, bars("EURUSD=X"), bars("^GSPC"))
	for _, part := range []string{"symbol=EURUSD%3DX", "symbol=%5EGSPC"} {
		if _, err := os.Stat(filepath.Join(in, part, "part-0.parquet")); err != nil {
			t.Fatalf("the writer made no %s: %v", part, err)
		}
	}
	paths, err := charts.RenderDir(context.Background(), in, out,
		charts.Options{Symbols: []string{"EURUSD=X", "^GSPC"}, Style: charts.Style{Format: charts.SVG, Width: 400, Height: 300}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"EURUSD_X.svg": "EURUSD=X", "_GSPC.svg": "^GSPC"}
	if got := baseNames(paths); !slices.Equal(got, []string{"EURUSD_X.svg", "_GSPC.svg"}) {
		t.Fatalf("files = %q, want the charts of %v", got, want)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if title := want[filepath.Base(p)] + " — daily close"; !bytes.Contains(data, []byte(title)) {
			t.Errorf("%s: no title %q", p, title)
		}
		if bytes.Contains(data, []byte("%3D")) || bytes.Contains(data, []byte("%5E")) {
			t.Errorf("%s: an escaped file name shows", p)
		}
	}
}
