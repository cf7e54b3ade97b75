package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// writeIntraday writes the 30-minute sample bars of June 2024 of symbols
// into dir, as `loader fetch --function intraday` writes them, and returns
// the bars per symbol: 13 a day, 20 days.
func writeIntraday(t *testing.T, dir string, symbols ...string) map[string][]sources.Bar {
	t.Helper()
	kind := sources.Kind{Function: sources.Intraday, Interval: "30min"}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0) // after the records' releases, deferred below
	bars := map[string][]sources.Bar{}
	var series []sources.Series
	for _, sym := range symbols {
		bars[sym] = sample.Intraday(sym, sources.Month{Year: 2024, Month: time.June}, kind, sample.End)
		rec := sources.NewRecord(kind, sym, bars[sym], mem)
		defer rec.Release()
		series = append(series, sources.Series{Symbol: sym, Record: rec})
	}
	loadertest.WriteSeries(t, sinks.Options{Dir: dir, Format: dataset.FormatParquet}, series...)
	return bars
}

// npyShapes reads a stream of .npy arrays and returns their shapes.
func npyShapes(t *testing.T, stream []byte) []string {
	t.Helper()
	shape := regexp.MustCompile(`'shape': \(([^)]*)\)`)
	var shapes []string
	r := bytes.NewReader(stream)
	for {
		head := make([]byte, 10)
		if _, err := io.ReadFull(r, head); err == io.EOF {
			return shapes
		} else if err != nil || string(head[:6]) != "\x93NUMPY" {
			t.Fatalf("array %d: not a .npy header (%v)", len(shapes), err)
		}
		dict := make([]byte, binary.LittleEndian.Uint16(head[8:]))
		if _, err := io.ReadFull(r, dict); err != nil {
			t.Fatal(err)
		}
		m := shape.FindSubmatch(dict)
		if m == nil {
			t.Fatalf("array %d: no shape in %q", len(shapes), dict)
		}
		n := 4
		for _, d := range strings.Split(strings.TrimSuffix(string(m[1]), ","), ", ") {
			var v int
			fmt.Sscan(d, &v)
			n *= v
		}
		if _, err := r.Seek(int64(n), io.SeekCurrent); err != nil {
			t.Fatal(err)
		}
		shapes = append(shapes, string(m[1]))
	}
}

// TestBatchesOverIntraday runs `loader batches --emit npy` over an
// intraday dataset, split at an instant: the windows are of bars, and the
// stream holds every batch of the split.
func TestBatchesOverIntraday(t *testing.T) {
	dir := t.TempDir()
	bars := writeIntraday(t, dir, "IBM")
	// The training split ends with the 11:30 bar of June 14th: bars of
	// the 3rd to the 13th (9 days), and 5 of the 14th.
	train := 9*13 + 5
	const window = 12
	code, stdout, stderr := runCLI(t, "batches", "--in", dir, "--features", "close,volume", "--window", fmt.Sprint(window),
		"--batch-size", "50", "--train-end", "2024-06-14T11:45", "--emit", "npy")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Every window of the split whose label, the next bar, is in it.
	samples := train - window
	for _, want := range []string{
		fmt.Sprintf("opened 1 file, 1 symbol, %d intraday bars", len(bars["IBM"])),
		fmt.Sprintf("split train: %d windows", samples),
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("report does not say %q:\n%s", want, stderr)
		}
	}
	shapes := npyShapes(t, []byte(stdout))
	batches := (samples + 49) / 50
	if len(shapes) != 2*batches {
		t.Fatalf("%d arrays, want X and Y of %d batches", len(shapes), batches)
	}
	if shapes[0] != fmt.Sprintf("50, %d, 2", window) || shapes[len(shapes)-1] != fmt.Sprintf("%d, 1", samples-50*(batches-1)) {
		t.Errorf("shapes %s … %s", shapes[0], shapes[len(shapes)-1])
	}
}
