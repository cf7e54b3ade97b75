package torture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/internal/leaktest"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
)

// TestMain fails the package if a goroutine outlives its tests (the chaos
// and hostile servers run in this process), and removes the binary the
// tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Remove()
	if code == 0 {
		if err := goleak.Find(leaktest.Options()...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: goroutines outlived the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// pick returns short, or long under LOADER_TORTURE=long.
func pick[T any](short, long T) T {
	if os.Getenv("LOADER_TORTURE") == "long" {
		return long
	}
	return short
}

// loaderBinary is the real loader command, built once.
func loaderBinary(t *testing.T) string { return testbin.Loader(t) }

// moduleRoot returns the directory of loader's go.mod.
func moduleRoot(t *testing.T) string { return testbin.ModuleRoot(t) }

// serveHTTP serves h on a free port of 127.0.0.1 until the test ends and
// returns its address. At the end, stop (if not nil) is closed first, to
// end handlers that wait on it, then every connection.
func serveHTTP(t *testing.T, h http.Handler, stop chan struct{}) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		if stop != nil {
			close(stop)
		}
		srv.Close()
		<-served
	})
	return ln.Addr().String()
}

// serveSample starts loader's own Alpha Vantage-compatible server with
// faults on 127.0.0.1 until the test ends, and returns it and its query URL.
func serveSample(t *testing.T, faults avserver.Faults) (*avserver.Server, string) {
	t.Helper()
	srv, err := avserver.New(avserver.Config{Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv, "http://" + ln.Addr().String() + "/query"
}

// runResult is what one run of the binary left behind.
type runResult struct {
	code           int
	stdout, stderr []byte
	elapsed        time.Duration
	maxRSS         int64 // bytes
}

// runLoader runs the binary with args and env (added to a minimal
// environment), killing it after limit, and returns its exit code and
// output. A run that needs the kill fails the test: nothing may hang.
func runLoader(t *testing.T, limit time.Duration, env []string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, loaderBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("loader: %v", err)
	}
	peak := testbin.WatchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	res := runResult{stdout: stdout.Bytes(), stderr: stderr.Bytes(), elapsed: time.Since(start), maxRSS: peak()}
	if ctx.Err() != nil {
		t.Fatalf("loader %s: still running after %v, killed\nstderr:\n%s", strings.Join(args, " "), limit, tail(res.stderr))
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("loader: %v", err)
	}
	return res
}

// tail returns the end of b, for failure messages.
func tail(b []byte) []byte {
	const n = 4000
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// manifest is the part of OUT/_manifest.json the tests read.
type manifest struct {
	Finished *time.Time `json:"finished"`
	Symbols  []struct {
		Symbol      string `json:"symbol"`
		Status      string `json:"status"`
		Rows        int64  `json:"rows"`
		File        string `json:"file"`
		Bytes       int64  `json:"bytes"`
		SHA256      string `json:"sha256"`
		Attempts    int    `json:"attempts"`
		Reason      string `json:"reason"`
		CarriedOver bool   `json:"carried_over"`
	} `json:"symbols"`
}

// readManifest reads dir's manifest, which must be valid JSON whenever it
// exists: it is replaced atomically.
func readManifest(t *testing.T, dir string) (manifest, bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return manifest{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest is not valid JSON: %v\n%s", err, data)
	}
	return m, true
}

// servedBars returns the bars the server means to send for symbol: the
// newest 100 for compact, all for full.
func servedBars(symbol, outputSize string) []sources.Bar {
	bars := sample.Series(symbol)
	if outputSize == "compact" && len(bars) > 100 {
		bars = bars[len(bars)-100:]
	}
	return bars
}

// checkFile reads the data file at path and fails unless it holds exactly
// want for symbol, value by value, dates ascending and unique.
func checkFile(t *testing.T, path, symbol string, want []sources.Bar) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, err := tablefile.Read(context.Background(), path, mem)
	if err != nil {
		t.Errorf("%s: %v", symbol, err)
		return
	}
	defer f.Release()
	if f.NumRows() != int64(len(want)) {
		t.Errorf("%s: %s has %d rows, want %d", symbol, path, f.NumRows(), len(want))
		return
	}
	row := 0
	for _, rec := range f.Records {
		col := func(name string) arrow.Array {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) != 1 {
				t.Fatalf("%s: no column %q in %s", symbol, name, rec.Schema())
			}
			return rec.Column(idx[0])
		}
		syms := col(sources.ColSymbol).(*array.String)
		dates := col(sources.ColDate).(*array.Date32)
		open, high := col(sources.ColOpen).(*array.Float64), col(sources.ColHigh).(*array.Float64)
		low, closes := col(sources.ColLow).(*array.Float64), col(sources.ColClose).(*array.Float64)
		volume := col(sources.ColVolume).(*array.Int64)
		for i := range int(rec.NumRows()) {
			b := want[row]
			got := sources.Bar{Date: dates.Value(i).ToTime(), Open: open.Value(i), High: high.Value(i),
				Low: low.Value(i), Close: closes.Value(i), Volume: volume.Value(i)}
			if syms.Value(i) != symbol || !sameValues(got, b) {
				t.Errorf("%s row %d: got %s %+v, want %+v", symbol, row, syms.Value(i), got, b)
				return
			}
			row++
		}
	}
}

// sameValues compares the unadjusted fields of two bars, the dates as
// instants.
func sameValues(a, b sources.Bar) bool {
	return a.Date.Equal(b.Date) && a.Open == b.Open && a.High == b.High && a.Low == b.Low &&
		a.Close == b.Close && a.Volume == b.Volume
}

// dataFiles returns the names in dir that are neither hidden nor the
// manifest or the lock, and the hidden ones (temporary files) apart.
func dataFiles(t *testing.T, dir string) (data, hidden []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case name == "_manifest.json", name == "_lock":
		case strings.HasPrefix(name, "."):
			hidden = append(hidden, name)
		default:
			data = append(data, name)
		}
	}
	return data, hidden
}
