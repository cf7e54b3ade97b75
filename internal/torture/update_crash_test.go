package torture_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestUpdateCrashConsistency fetches an adjusted dataset, lets the server
// go on five trading days and pays a dividend inside one symbol's stored
// history, then kills `loader update` with SIGKILL at random moments,
// again and again in the same directory. After every kill each data file
// is the symbol's whole old series or its whole new one, never a mix, and
// the manifest is whole and lists only such files (at most SaveInterval
// behind them). Then one last update completes: every symbol ok with the
// new series, the manifest describing each file as it is, no temporary
// file left.
func TestUpdateCrashConsistency(t *testing.T) {
	bin := loaderBinary(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	for _, layout := range []struct{ format, layout string }{{"parquet", "files"}, {"csv", "hive"}} {
		t.Run(layout.format+"/"+layout.layout, func(t *testing.T) {
			last := recentTradingDay()
			symbols := make([]string, pick(30, 120))
			for i := range symbols {
				symbols[i] = fmt.Sprintf("U%s%03d", strings.ToUpper(layout.format[:1]), i)
			}
			out := t.TempDir()
			env := []string{"ALPHAVANTAGE_API_KEY=update-crash-key"}
			payer, payday := symbols[len(symbols)/2], last.AddDate(0, 0, -10)
			old := map[string][]sources.Bar{}
			for _, s := range symbols {
				old[s] = sample.History(s, last)
			}

			// generation fetches the dataset afresh from a new server, then
			// moves the server on: five days, and a dividend for payer.
			var srv *avserver.Server
			var url string
			generation := func() {
				srv, url = avtest.Start(t, avserver.Config{LastDay: last, Faults: avserver.Faults{Latency: 5 * time.Millisecond, Jitter: 30 * time.Millisecond}})
				if err := errors.Join(os.RemoveAll(out), os.Mkdir(out, 0o755)); err != nil {
					t.Fatal(err)
				}
				fetch := []string{"fetch", "--source", "alphavantage", "--base-url", url, "--outputsize", "full", "--adjusted",
					"--transform", "returns,sma:5", "--symbols", strings.Join(symbols, ","), "--out", out,
					"--format", layout.format, "--layout", layout.layout, "--concurrency", "4", "--rate", "0", "--quiet"}
				if res := runLoader(t, 3*time.Minute, env, fetch...); res.code != 0 {
					t.Fatalf("fetch: exit %d\n%s", res.code, tail(res.stderr))
				}
				srv.AddDividend(payer, payday, 0.25)
				srv.Advance(5)
			}
			generation()
			fresh := map[string][]sources.Bar{}
			for _, s := range symbols {
				fresh[s] = sample.History(s, srv.LastDay())
			}
			for i := range fresh[payer] {
				if fresh[payer][i].Date.Equal(day(payday)) {
					fresh[payer][i].Dividend += 0.25
				}
			}
			sample.Adjust(fresh[payer])

			update := func() []string {
				return []string{"update", out, "--base-url", url, "--concurrency", "4", "--rate", "0", "--quiet"}
			}
			for kill := range pick(6, 20) {
				cmd := exec.Command(bin, update()...)
				cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				wait := time.Duration(5+rng.IntN(1000)) * time.Millisecond
				time.Sleep(wait)
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				newer, lagging := checkOldOrNew(t, out, old, fresh)
				t.Logf("kill %d after %v: %d of %d files updated, %d not yet in the manifest", kill, wait, newer, len(symbols), lagging)
				if newer == len(symbols) && lagging == 0 && kill < pick(6, 20)-1 {
					// Complete: start over, so that the kills land in work.
					generation()
				}
			}

			before := srv.Stats()
			res := runLoader(t, 3*time.Minute, env, update()...)
			if res.code != 0 {
				t.Fatalf("final update: exit %d\n%s", res.code, tail(res.stderr))
			}
			if made := srv.Stats().Requests - before.Requests; made < int64(len(symbols)) || made > int64(len(symbols))+1 {
				t.Errorf("the final update made %d requests for %d symbols", made, len(symbols))
			}
			if newer, lagging := checkOldOrNew(t, out, old, fresh); newer != len(symbols) || lagging != 0 {
				t.Errorf("after the final update: %d of %d files are new, %d entries do not describe their file", newer, len(symbols), lagging)
			}
			m, _ := readManifest(t, out)
			for _, e := range m.Symbols {
				if e.Status != "ok" || e.Reason != "" {
					t.Errorf("%s: %s (%s) after the final update", e.Symbol, e.Status, e.Reason)
				}
			}
			if _, hidden := dataFiles(t, out); len(hidden) > 0 {
				t.Errorf("temporary files left: %v", hidden)
			}
		})
	}
}

// recentTradingDay is a business day three weeks ago: a dataset that ends
// there is within the compact window of today.
func recentTradingDay() time.Time {
	d := day(time.Now().AddDate(0, 0, -21))
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// checkOldOrNew checks what a killed update left in out: the manifest is
// whole and lists every symbol ok; each symbol's file holds, value for
// value (adjusted closes and dividends too), either its old series or its
// fresh one. It returns how many files hold the fresh series, and how many
// ok entries do not describe their file yet: those a kill caught between
// renaming the file and saving the manifest, which holds the old state.
func checkOldOrNew(t *testing.T, out string, old, fresh map[string][]sources.Bar) (newer, lagging int) {
	t.Helper()
	m, ok := readManifest(t, out)
	if !ok {
		t.Fatal("the manifest is gone")
	}
	for _, e := range m.Symbols {
		if e.Status != "ok" {
			t.Errorf("%s: %s (%s): an update must keep the complete file", e.Symbol, e.Status, e.Reason)
			continue
		}
		path := filepath.Join(out, filepath.FromSlash(e.File))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", e.Symbol, err)
			continue
		}
		switch bars := readBars(t, path, e.Symbol); {
		case sameBars(bars, fresh[e.Symbol]):
			newer++
		case sameBars(bars, old[e.Symbol]):
		default:
			t.Errorf("%s: %s holds %d bars, neither its old series (%d) nor its new one (%d)", e.Symbol, e.File, len(bars), len(old[e.Symbol]), len(fresh[e.Symbol]))
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != e.SHA256 {
			lagging++
		}
	}
	return newer, lagging
}

// readBars reads the bars of the file at path; the hive layout's files
// have no symbol column, the others must name symbol on every row.
func readBars(t *testing.T, path, symbol string) []sources.Bar {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, err := tablefile.Read(context.Background(), path, mem)
	if err != nil {
		t.Errorf("%s: %v", symbol, err)
		return nil
	}
	defer f.Release()
	var bars []sources.Bar
	for _, rec := range f.Records {
		col := func(name string) arrow.Array {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) != 1 {
				t.Fatalf("%s: no column %q in %s", symbol, name, rec.Schema())
			}
			return rec.Column(idx[0])
		}
		if idx := rec.Schema().FieldIndices(sources.ColSymbol); len(idx) == 1 {
			syms := rec.Column(idx[0]).(*array.String)
			for i := range syms.Len() {
				if syms.Value(i) != symbol {
					t.Fatalf("%s: row %d names %s", path, i, syms.Value(i))
				}
			}
		}
		dates := col(sources.ColDate).(*array.Date32)
		f64 := func(name string) *array.Float64 { return col(name).(*array.Float64) }
		open, high, low, closes := f64(sources.ColOpen), f64(sources.ColHigh), f64(sources.ColLow), f64(sources.ColClose)
		adj, div, split := f64(sources.ColAdjustedClose), f64(sources.ColDividend), f64(sources.ColSplitCoefficient)
		volume := col(sources.ColVolume).(*array.Int64)
		for i := range int(rec.NumRows()) {
			bars = append(bars, sources.Bar{Date: dates.Value(i).ToTime(), Open: open.Value(i), High: high.Value(i), Low: low.Value(i),
				Close: closes.Value(i), Volume: volume.Value(i), AdjustedClose: adj.Value(i), Dividend: div.Value(i), SplitCoefficient: split.Value(i)})
		}
	}
	return bars
}

// sameBars compares every field of two series, the dates as instants.
func sameBars(a, b []sources.Bar) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !sameValues(x, y) || x.AdjustedClose != y.AdjustedClose || x.Dividend != y.Dividend || x.SplitCoefficient != y.SplitCoefficient {
			return false
		}
	}
	return true
}
