package bench_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// BenchmarkUpdate weighs `loader update` of a dataset after five new
// trading days against a fresh full fetch of the same symbols, both run
// by the real binary against loader's own server (the one `loader serve`
// runs, here in the benchmark's process): requests, answer bytes and CPU
// per symbol, and the command's peak RSS. 1,000 symbols, or
// $LOADER_BENCH_SYMBOLS.
//
//	go test -run '^$' -bench Update -benchtime 1x ./bench/
func BenchmarkUpdate(b *testing.B) {
	bin := testbin.Loader(b)
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("LOADER_BENCH_SYMBOLS")); err == nil && v > 0 {
		n = v
	}
	symbols := make([]string, n)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("B%04d", i)
	}
	last := recentTradingDay()
	fetch := func(url, out string) []string {
		return []string{"fetch", "--source", "alphavantage", "--base-url", url, "--outputsize", "full",
			"--symbols", strings.Join(symbols, ","), "--out", out, "--concurrency", "8", "--rate", "0", "--quiet"}
	}

	b.Run("fetch-full", func(b *testing.B) {
		for b.Loop() {
			srv, url := avtest.Start(b, avserver.Config{LastDay: last})
			m := measure(b, srv, bin, fetch(url, b.TempDir())...)
			m.report(b, n)
		}
	})
	b.Run("update-5-days", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			srv, url := avtest.Start(b, avserver.Config{LastDay: last})
			out := b.TempDir()
			measure(b, srv, bin, fetch(url, out)...)
			srv.Advance(5)
			b.StartTimer()
			m := measure(b, srv, bin, "update", out, "--base-url", url, "--concurrency", "8", "--rate", "0", "--quiet")
			m.report(b, n)
		}
	})
}

// run is what one command cost.
type run struct {
	requests, bytes int64
	cpu             time.Duration
	peakRSS         int64
}

func (r run) report(b *testing.B, symbols int) {
	b.ReportMetric(float64(r.requests)/float64(symbols), "requests/symbol")
	b.ReportMetric(float64(r.bytes)/float64(symbols)/1024, "KiB/symbol")
	b.ReportMetric(float64(r.cpu.Microseconds())/float64(symbols)/1000, "cpu-ms/symbol")
	b.ReportMetric(float64(r.peakRSS)/(1<<20), "peak-RSS-MiB")
}

// measure runs the loader binary with args, which must succeed, and
// returns the requests and answer bytes srv served it, its CPU time and
// its peak RSS.
func measure(b *testing.B, srv *avserver.Server, bin string, args ...string) run {
	b.Helper()
	before := srv.Stats()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ALPHAVANTAGE_API_KEY=bench-key"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	peak := testbin.WatchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	rss := peak()
	if err != nil {
		b.Fatalf("loader %s: %v\n%s", args[0], err, stderr.String())
	}
	after := srv.Stats()
	return run{
		requests: after.Requests - before.Requests,
		bytes:    after.Bytes - before.Bytes,
		cpu:      cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		peakRSS:  rss,
	}
}

// recentTradingDay is a business day three weeks ago: a dataset that ends
// there is within the compact window of today.
func recentTradingDay() time.Time {
	y, m, d := time.Now().AddDate(0, 0, -21).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, -1)
	}
	return day
}
