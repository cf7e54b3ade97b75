package loader_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

var symbols = []string{"AAPL", "GOOGL", "MSFT"}

// openSample writes the sample files of symbols in layout and opens them.
func openSample(t testing.TB, layout loadertest.Layout, cfg loader.DatasetConfig, syms ...string) (*loader.Dataset, string) {
	t.Helper()
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, layout, syms...)
	ds, err := loader.Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ds, dir
}

func newLoader(t testing.TB, ds *loader.Dataset, cfg loader.Config) *loader.Loader {
	t.Helper()
	l, err := loader.New(ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// sampleKey identifies a sample by its symbol and end date.
type sampleKey struct {
	symbol string
	end    time.Time
}

// epoch drains one epoch and returns a digest per batch and the samples.
func epoch(t testing.TB, l *loader.Loader) (digests []string, keys []sampleKey, padded int) {
	t.Helper()
	for {
		b, err := l.Next(context.Background())
		if err == io.EOF {
			return digests, keys, padded
		}
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, digest(b))
		for j := range b.Size - b.Padded {
			keys = append(keys, sampleKey{b.Symbols[j], b.Dates[j]})
		}
		padded += b.Padded
		b.Release()
	}
}

func digest(b *loader.Batch) string {
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, b.X)
	binary.Write(h, binary.LittleEndian, b.Y)
	for j := range b.Size {
		fmt.Fprintf(h, "%s %s|", b.Symbols[j], b.Dates[j].Format(time.RFC3339Nano))
	}
	fmt.Fprintf(h, "%d %d %d", b.Epoch, b.Index, b.Padded)
	return fmt.Sprintf("%x", h.Sum(nil)[:8])
}

func TestWorkersNeverChangeBatches(t *testing.T) {
	t.Parallel()
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{Features: []string{"close", "volume", loader.LogReturn}}, symbols...)
	var want [][]string
	for _, workers := range []int{1, 2, 8} {
		for _, prefetch := range []int{1, 3, 16} {
			t.Run(fmt.Sprintf("workers=%d/prefetch=%d", workers, prefetch), func(t *testing.T) {
				l := newLoader(t, ds, loader.Config{Window: 16, BatchSize: 100, Shuffle: true, Seed: 42, Workers: workers, Prefetch: prefetch})
				var got [][]string
				for range 2 {
					d, _, _ := epoch(t, l)
					got = append(got, d)
				}
				if len(got[0]) != l.Len() || l.Len() == 0 {
					t.Fatalf("got %d batches, Len %d", len(got[0]), l.Len())
				}
				if slices.Equal(got[0], got[1]) {
					t.Error("epochs 0 and 1 have the same order; want a new permutation each epoch")
				}
				if want == nil {
					want = got
					return
				}
				for e := range got {
					if !slices.Equal(got[e], want[e]) {
						t.Errorf("epoch %d differs from the run with 1 worker", e)
					}
				}
			})
		}
	}
}

func TestSeedDecidesOrder(t *testing.T) {
	t.Parallel()
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	run := func(shuffle bool, seed uint64) []string {
		d, _, _ := epoch(t, newLoader(t, ds, loader.Config{BatchSize: 64, Shuffle: shuffle, Seed: seed}))
		return d
	}
	tests := []struct {
		name string
		a, b []string
		same bool
	}{
		{"same seed", run(true, 1), run(true, 1), true},
		{"other seed", run(true, 1), run(true, 2), false},
		{"sequential ignores seed", run(false, 1), run(false, 2), true},
		{"shuffled differs from sequential", run(true, 1), run(false, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if slices.Equal(tt.a, tt.b) != tt.same {
				t.Errorf("batches equal = %t, want %t", !tt.same, tt.same)
			}
		})
	}
}

func TestShardsAreDisjointCompleteAndEqual(t *testing.T) {
	t.Parallel()
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	_, allKeys, _ := epoch(t, newLoader(t, ds, loader.Config{BatchSize: 1000, Stride: 7}))
	for _, world := range []int{1, 2, 3, 4, 7} {
		for _, dropLast := range []bool{false, true} {
			t.Run(fmt.Sprintf("world=%d/droplast=%t", world, dropLast), func(t *testing.T) {
				seen := map[sampleKey]int{}
				batches, padded := -1, 0
				for rank := range world {
					l := newLoader(t, ds, loader.Config{BatchSize: 50, Stride: 7, Shuffle: true, Seed: 3, DropLast: dropLast, Rank: rank, WorldSize: world})
					d, keys, p := epoch(t, l)
					if batches >= 0 && len(d) != batches {
						t.Errorf("rank %d has %d batches, rank 0 has %d", rank, len(d), batches)
					}
					batches, padded = len(d), padded+p
					for _, k := range keys {
						seen[k]++
					}
				}
				for k, n := range seen {
					if n > 1 {
						t.Fatalf("sample %v is in %d shares", k, n)
					}
				}
				if dropLast {
					if want := world * batches * 50; len(seen) != want {
						t.Errorf("%d samples, want %d full batches' worth", len(seen), want)
					}
					if padded != 0 {
						t.Errorf("%d padded samples with DropLast", padded)
					}
					return
				}
				if len(seen) != len(allKeys) {
					t.Errorf("shares cover %d samples, want all %d", len(seen), len(allKeys))
				}
				if want := (world - len(allKeys)%world) % world; padded != want {
					t.Errorf("%d padded samples, want %d", padded, want)
				}
			})
		}
	}
}

func TestShardFromEnvironment(t *testing.T) {
	t.Setenv("RANK", "1")
	t.Setenv("WORLD_SIZE", "3")
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, "AAPL")
	cfg := newLoader(t, ds, loader.Config{}).Config()
	if cfg.Rank != 1 || cfg.WorldSize != 3 {
		t.Errorf("rank %d world %d, want 1 and 3 from the environment", cfg.Rank, cfg.WorldSize)
	}
	t.Setenv("WORLD_SIZE", "x")
	if _, err := loader.New(ds, loader.Config{}); err == nil {
		t.Error("WORLD_SIZE=x accepted")
	}
}

// TestWindowsMatchRows checks every sample of every layout against the rows
// it was cut from: a window is Window consecutive rows of one symbol and
// its label the target Horizon rows after it.
func TestWindowsMatchRows(t *testing.T) {
	t.Parallel()
	const window, horizon = 10, 3
	bars := map[string][]sources.Bar{}
	for _, s := range symbols {
		bars[s] = sample.Series(s)
	}
	for _, layout := range []loadertest.Layout{loadertest.Parquet, loadertest.Arrow, loadertest.Hive, loadertest.Combined} {
		t.Run(string(layout), func(t *testing.T) {
			ds, _ := openSample(t, layout, loader.DatasetConfig{Features: []string{"close", "volume"}, Target: loader.LogReturn}, symbols...)
			if got := ds.Symbols(); !slices.Equal(got, symbols) {
				t.Fatalf("symbols %v, want %v", got, symbols)
			}
			l := newLoader(t, ds, loader.Config{Window: window, Horizon: horizon, BatchSize: 333, Stride: 5, Shuffle: true, Seed: 9})
			n := 0
			for {
				b, err := l.Next(context.Background())
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for j := range b.Size {
					rows := bars[b.Symbols[j]]
					end := slices.IndexFunc(rows, func(r sources.Bar) bool { return r.Date.Equal(b.Dates[j]) })
					if end < window-1 || end+horizon >= len(rows) {
						t.Fatalf("sample %s %s: end row %d leaves the symbol's rows", b.Symbols[j], b.Dates[j], end)
					}
					for w := range window {
						r := rows[end-window+1+w]
						x := b.X[(j*window+w)*2:]
						if x[0] != float32(r.Close) || x[1] != float32(r.Volume) {
							t.Fatalf("sample %s %s row %d: X %v, want close %v volume %v", b.Symbols[j], b.Dates[j], w, x[:2], r.Close, r.Volume)
						}
					}
					for h := range horizon {
						want := float32(math.Log(rows[end+1+h].Close / rows[end+h].Close))
						if got := b.Y[j*horizon+h]; got != want {
							t.Fatalf("sample %s %s: Y[%d] = %v, want %v", b.Symbols[j], b.Dates[j], h, got, want)
						}
					}
				}
				n += b.Size
				b.Release()
			}
			if n != l.Samples() || n == 0 {
				t.Errorf("yielded %d samples, Samples() = %d", n, l.Samples())
			}
		})
	}
}

// TestNullsAreSkipped: the first rows of transform columns are null, and
// no window may touch them.
func TestNullsAreSkipped(t *testing.T) {
	t.Parallel()
	const window, stride = 8, 1
	rows := len(sample.Series("AAPL"))
	tests := []struct {
		name     string
		features []string
		target   string
		lost     int // leading rows whose windows are skipped
	}{
		{"no nulls", []string{"close"}, "close", 0},
		{"sma feature", []string{"close", loadertest.SMA}, "close", loadertest.SMAWindow - 1},
		{"return target", []string{"close"}, loadertest.Return, 0},
		{"derived log return", []string{loader.LogReturn}, "close", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{Features: tt.features, Target: tt.target}, "AAPL")
			l := newLoader(t, ds, loader.Config{Window: window})
			if want := rows - window - 1 + 1 - tt.lost; l.Samples() != want {
				t.Errorf("%d windows, want %d", l.Samples(), want)
			}
			_, _, _ = epoch(t, l)
		})
	}
}

func TestSplitsDoNotLeak(t *testing.T) {
	t.Parallel()
	const window, horizon, embargo = 20, 2, 5
	trainEnd := time.Date(2015, 12, 31, 0, 0, 0, 0, time.UTC)
	valEnd := time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{
		Features: []string{"close"}, TrainEnd: trainEnd, ValEnd: valEnd, Embargo: embargo, Normalize: true,
	}, symbols...)
	dates := sample.Series("AAPL") // every symbol has the same business days
	rowOf := func(d time.Time) int {
		return slices.IndexFunc(dates, func(b sources.Bar) bool { return b.Date.Equal(d) })
	}
	firstAfter := func(d time.Time) int {
		return slices.IndexFunc(dates, func(b sources.Bar) bool { return b.Date.After(d) })
	}
	// Row ranges each split may read, windows and labels included.
	ranges := map[loader.Split][2]int{
		loader.Train: {0, firstAfter(trainEnd)},
		loader.Val:   {firstAfter(trainEnd) + embargo, firstAfter(valEnd)},
		loader.Test:  {firstAfter(valEnd) + embargo, len(dates)},
	}
	for split, rg := range ranges {
		t.Run(split.String(), func(t *testing.T) {
			l := newLoader(t, ds, loader.Config{Split: split, Window: window, Horizon: horizon, BatchSize: 128})
			_, keys, _ := epoch(t, l)
			lo, hi := len(dates), 0
			for _, k := range keys {
				end := rowOf(k.end)
				lo, hi = min(lo, end-window+1), max(hi, end+horizon+1)
			}
			if lo != rg[0] || hi != rg[1] {
				t.Errorf("windows read rows [%d, %d), want exactly [%d, %d)", lo, hi, rg[0], rg[1])
			}
			if want := len(symbols) * (rg[1] - rg[0] - window - horizon + 1); len(keys) != want {
				t.Errorf("%d windows, want %d", len(keys), want)
			}
		})
	}
}

func TestNormalizeUsesTrainingStatistics(t *testing.T) {
	t.Parallel()
	trainEnd := time.Date(2015, 12, 31, 0, 0, 0, 0, time.UTC)
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{Features: []string{"close"}, TrainEnd: trainEnd, Normalize: true}, "MSFT")
	l := newLoader(t, ds, loader.Config{Split: loader.Train, Window: 1, Horizon: 1, BatchSize: 100000})
	b, err := l.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	var sum, sq float64
	for _, v := range b.X {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	// Windows of one row cover every training row but the last (its label
	// would be outside the split), so the moments are close to 0 and 1.
	mean := sum / float64(len(b.X))
	std := math.Sqrt(sq/float64(len(b.X)) - mean*mean)
	if math.Abs(mean) > 0.01 || math.Abs(std-1) > 0.01 {
		t.Errorf("normalized training close: mean %.4f std %.4f, want 0 and 1", mean, std)
	}
}

func TestResumeYieldsTheRemainingBatches(t *testing.T) {
	t.Parallel()
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	cfg := loader.Config{Window: 8, BatchSize: 500, Shuffle: true, Seed: 5, Workers: 3, Prefetch: 4, Rank: 1, WorldSize: 2}
	ref := newLoader(t, ds, cfg)
	var want []string
	for range 3 {
		d, _, _ := epoch(t, ref)
		want = append(want, d...)
	}
	perEpoch := ref.Len()
	for _, stop := range []int{0, 1, perEpoch - 1, perEpoch, perEpoch + 2, 2*perEpoch + 1} {
		t.Run(fmt.Sprintf("after %d batches", stop), func(t *testing.T) {
			first := newLoader(t, ds, cfg)
			got := 0
			for got < stop {
				b, err := first.Next(context.Background())
				if err == io.EOF {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				b.Release()
				got++
			}
			saved, err := json.Marshal(first.State())
			if err != nil {
				t.Fatal(err)
			}
			first.Close() // interrupted mid-epoch, workers prefetching

			var st loader.State
			if err := json.Unmarshal(saved, &st); err != nil {
				t.Fatal(err)
			}
			cfg2 := cfg
			cfg2.Workers, cfg2.Prefetch = 1, 1
			resumed := newLoader(t, ds, cfg2)
			if err := resumed.Restore(st); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for resumed.Epoch() < 3 {
				d, _, _ := epoch(t, resumed)
				rest = append(rest, d...)
			}
			if !slices.Equal(rest, want[stop:]) {
				t.Errorf("resumed at %+v: %d batches differ from the %d the first loader had left", st, len(rest), len(want)-stop)
			}
		})
	}
}

func TestRestoreRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL", "MSFT")
	ds, err := loader.Open(dir, loader.DatasetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := loader.Config{BatchSize: 64, Shuffle: true, Seed: 1}
	st := newLoader(t, ds, cfg).State()

	// Rewrite MSFT's file with another symbol's rows under the same name.
	other := t.TempDir()
	loadertest.WriteSample(t, other, loadertest.Parquet, "IBM")
	copyFile(t, filepath.Join(other, "IBM.parquet"), filepath.Join(dir, "MSFT.parquet"))
	changed, err := loader.Open(dir, loader.DatasetConfig{})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		ds   *loader.Dataset
		cfg  loader.Config
		want error
	}{
		{"changed file", changed, cfg, loader.ErrFilesChanged},
		{"other seed", ds, loader.Config{BatchSize: 64, Shuffle: true, Seed: 2}, loader.ErrStateMismatch},
		{"other batch size", ds, loader.Config{BatchSize: 32, Shuffle: true, Seed: 1}, loader.ErrStateMismatch},
		{"other rank", ds, loader.Config{BatchSize: 64, Shuffle: true, Seed: 1, Rank: 1, WorldSize: 2}, loader.ErrStateMismatch},
		{"other world size", ds, loader.Config{BatchSize: 64, Shuffle: true, Seed: 1, Rank: 0, WorldSize: 3}, nil},
		{"same", ds, loader.Config{BatchSize: 64, Shuffle: true, Seed: 1, Workers: 7}, nil},
	}
	// The state of rank 0 of 2, for the rank cases.
	st2 := newLoader(t, ds, loader.Config{BatchSize: 64, Shuffle: true, Seed: 1, Rank: 0, WorldSize: 2}).State()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := st
			if tt.cfg.WorldSize > 0 {
				saved = st2
			}
			err := newLoader(t, tt.ds, tt.cfg).Restore(saved)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Restore: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMemoryIsBoundedByPrefetch(t *testing.T) {
	t.Parallel()
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	for _, prefetch := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("prefetch=%d", prefetch), func(t *testing.T) {
			l := newLoader(t, ds, loader.Config{BatchSize: 32, Workers: 4, Prefetch: prefetch})
			for range 2 {
				epoch(t, l)
			}
			// The consumer holds one batch at a time.
			if got := l.BatchesAllocated(); got > prefetch+1 {
				t.Errorf("%d batches allocated over %d batches yielded, want at most prefetch+1 = %d", got, 2*l.Len(), prefetch+1)
			}
		})
	}
}

func TestStopMidEpoch(t *testing.T) {
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	l, err := loader.New(ds, loader.Config{BatchSize: 16, Workers: 4, Prefetch: 8})
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Next(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Next with a cancelled context: %v", err)
	}
	l.Close()
	b.Release() // after Close, still valid
	if _, err := l.Next(context.Background()); !errors.Is(err, loader.ErrClosed) {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
	// goleak in TestMain checks that the workers are gone.
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, "AAPL")
	tests := []struct {
		name string
		cfg  loader.Config
	}{
		{"negative window", loader.Config{Window: -1}},
		{"rank outside world", loader.Config{Rank: 2, WorldSize: 2}},
		{"val without dates", loader.Config{Split: loader.Val}},
		{"negative prefetch", loader.Config{Prefetch: -1}},
		{"window longer than every series", loader.Config{Window: 100_000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := loader.New(ds, tt.cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := loader.New(ds, loader.Config{Window: 100_000}); !errors.Is(err, loader.ErrNoWindows) || !strings.Contains(err.Error(), "fewer than window 100000") {
		t.Errorf("New with a window longer than every series: %v, want ErrNoWindows saying so", err)
	}
	if _, err := loader.Open(t.TempDir(), loader.DatasetConfig{}); err == nil {
		t.Error("Open of an empty directory succeeded")
	}
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL")
	_, err := loader.Open(dir, loader.DatasetConfig{Features: []string{"nope"}})
	var ce *loader.ColumnError
	if !errors.Is(err, loader.ErrColumn) || !errors.As(err, &ce) || ce.Column != "nope" || ce.Problem != "missing" {
		t.Errorf("Open with a missing feature column: %v, want a ColumnError for nope", err)
	}
	if _, err := loader.Open(dir, loader.DatasetConfig{Features: []string{"symbol"}}); !errors.Is(err, loader.ErrColumn) {
		t.Errorf("Open with a string feature column: %v, want ErrColumn", err)
	}
	loadertest.WriteSample(t, dir, loadertest.Combined, "AAPL") // AAPL's rows twice
	if _, err := loader.Open(dir, loader.DatasetConfig{}); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("Open with duplicate dates: %v", err)
	}
	if _, err := loader.Open(dir, loader.DatasetConfig{ValEnd: time.Now()}); err == nil {
		t.Error("Open with ValEnd and no TrainEnd succeeded")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHiveSymbols is the regression test of hive partitions named with
// escapes: symbol=EURUSD%3DX holds EURUSD=X, and the dataset and its batches
// say so.
func TestHiveSymbols(t *testing.T) {
	t.Parallel()
	want := []string{"EURUSD=X", "^GSPC"}
	ds, dir := openSample(t, loadertest.Hive, loader.DatasetConfig{}, want...)
	for _, part := range []string{"symbol=EURUSD%3DX", "symbol=%5EGSPC"} {
		if _, err := os.Stat(filepath.Join(dir, part, "part-0.parquet")); err != nil {
			t.Fatalf("the writer made no %s: %v", part, err)
		}
	}
	if got := ds.Symbols(); !slices.Equal(got, want) {
		t.Errorf("Symbols() = %q, want %q", got, want)
	}
	_, keys, _ := epoch(t, newLoader(t, ds, loader.Config{Window: 8, BatchSize: 512}))
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k.symbol] = true
	}
	if len(seen) != len(want) || !seen[want[0]] || !seen[want[1]] {
		t.Errorf("batches hold the symbols %v, want %q", seen, want)
	}
}
