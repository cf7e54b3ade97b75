// Command asyncfetch is the async-fetch lesson of the concurrency course on
// loader's own parts: several symbols fetched over one shared fasthttp
// client (alphavantage.Client) with a bounded number in flight, through
// the pipeline engine, from an Alpha Vantage-compatible server whose
// latency differs per symbol. It shows, in turn:
//
//  1. results as they complete (pipeline.Map's default),
//  2. results in submission order (pipeline.Ordered) and what that costs,
//  3. a per-request timeout: the slow symbol fails, the others succeed,
//  4. a cancellation mid-flight: nothing new starts, Wait returns,
//  5. that no goroutine and no Arrow buffer outlives the run.
//
// By default it starts the sample server in-process; -base-url points the
// per-symbol delay proxy at a running `loader serve` instead.
//
//	go run ./examples/asyncfetch
//	go run ./examples/asyncfetch -workers 6 -unit 50ms
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/pipeline"
)

// symbols are fetched in this order; latency is in units of -unit. With 3
// workers they complete in the order MSFT, AMZN, AAPL, NVDA, META, GOOGL.
var symbols = []struct {
	name    string
	latency int
}{{"AAPL", 5}, {"MSFT", 2}, {"GOOGL", 12}, {"AMZN", 1}, {"NVDA", 4}, {"META", 3}}

const (
	// timeoutUnits is the per-request timeout of parts 3 and 4: between
	// the second slowest symbol and the slowest.
	timeoutUnits = 9
	// cancelAfter is how many results part 4 prints before it cancels.
	cancelAfter = 2
)

// fasthttpHousekeeping are goroutines fasthttp starts once per process and
// that no API stops: the server's Date ticker, the dialer's address-cache
// cleaner, and the client's idle cleaners, which sleep up to 10 s before
// they notice there is nothing left to clean.
var fasthttpHousekeeping = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
}

func main() {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	err := run(context.Background(), os.Stdout, os.Args[1:], mem)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp): // the flag package has printed the help
	default:
		fmt.Fprintln(os.Stderr, "asyncfetch:", err)
		os.Exit(1)
	}
}

// run parses args, runs the five parts and writes what happened to w. Every
// Arrow record is built with mem; run fails if one is left unreleased.
func run(ctx context.Context, w io.Writer, args []string, mem *memory.CheckedAllocator) error {
	fs := flag.NewFlagSet("asyncfetch", flag.ContinueOnError)
	baseURL := fs.String("base-url", "", "query URL of a running `loader serve` (default: start the sample server in-process)")
	workers := fs.Int("workers", 3, "fetches in flight at once")
	unit := fs.Duration("unit", 100*time.Millisecond, "latency unit: each symbol's latency is a multiple of it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *workers < 1 || *unit <= 0 {
		return fmt.Errorf("-workers must be at least 1 and -unit positive, got %d and %v", *workers, *unit)
	}
	goroutinesBefore := runtime.NumGoroutine()

	latency := make(map[string]time.Duration, len(symbols))
	names := make([]string, len(symbols))
	var legend []string
	for i, s := range symbols {
		names[i] = s.name
		latency[s.name] = time.Duration(s.latency) * *unit
		legend = append(legend, fmt.Sprintf("%s %v", s.name, latency[s.name]))
	}
	back, err := startBackend(*baseURL, latency)
	if err != nil {
		return err
	}
	apiKey := os.Getenv("ALPHAVANTAGE_API_KEY")
	if apiKey == "" {
		apiKey = "demo" // the sample server takes any non-empty key
	}
	client, err := alphavantage.New(alphavantage.Config{
		BaseURL:     back.queryURL,
		APIKey:      apiKey,
		Concurrency: *workers,
		Rate:        math.Inf(1), // a local server has no rate limit to respect
		Retries:     -1,          // a timeout should show as one, not as a retry
	})
	if err != nil {
		return errors.Join(err, back.Close())
	}

	d := &demo{w: w, client: client, back: back, mem: mem, symbols: names, workers: *workers}
	fmt.Fprintf(w, "%d symbols, %d in flight, one fasthttp client -> per-symbol delay proxy -> %s\n", len(names), *workers, back.upstream)
	fmt.Fprintf(w, "latency: %s\n", strings.Join(legend, ", "))
	timeout := timeoutUnits * *unit
	err = errors.Join(
		d.part(ctx, "1. as completed (pipeline.Map's default)", 0, 0),
		d.part(ctx, "2. in submission order (pipeline.Ordered())", 0, 0, pipeline.Ordered()),
		d.part(ctx, fmt.Sprintf("3. per-request timeout %v", timeout), timeout, 0),
		d.part(ctx, fmt.Sprintf("4. cancel after %d results (per-request timeout %v)", cancelAfter, timeout), timeout, cancelAfter),
	)
	client.Close()
	if closeErr := back.Close(); closeErr != nil {
		return errors.Join(err, closeErr)
	}
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "\n5. leaks")
	leakErr := goleak.Find(fasthttpHousekeeping...)
	fmt.Fprintf(w, "   goroutines: %d before the run, %d after shutdown (fasthttp's process-wide housekeeping stays)\n",
		goroutinesBefore, runtime.NumGoroutine())
	verdict := "none"
	if leakErr != nil {
		verdict = leakErr.Error()
	}
	fmt.Fprintf(w, "   goleak.Find, ignoring that housekeeping: %s\n", verdict)
	fmt.Fprintf(w, "   Arrow bytes still allocated: %d\n", mem.CurrentAlloc())
	if n := mem.CurrentAlloc(); n != 0 {
		return fmt.Errorf("%d bytes of Arrow memory not released", n)
	}
	return leakErr
}

// demo is what every part shares: one client, one backend, one allocator.
type demo struct {
	w       io.Writer
	client  *alphavantage.Client
	back    *backend
	mem     memory.Allocator
	symbols []string
	workers int
}

// fetched is one series and when its request ended.
type fetched struct {
	sources.Series
	took time.Duration // the request's own time
	done time.Duration // since the part started
}

// part fetches every symbol through symbols → fetch → print and reports what
// happened. A positive timeout bounds each request; a positive cancelAfter
// cancels the run once that many results are printed. It returns the
// errors other than timeouts and cancellations.
func (d *demo) part(ctx context.Context, title string, timeout time.Duration, cancelAfter int, opts ...pipeline.MapOption) error {
	fmt.Fprintf(d.w, "\n%s\n", title)
	if err := d.back.settle(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := &printer{w: d.w, start: time.Now()}
	var started, timedOut, dropped atomic.Int64
	var cancelledAt time.Time
	var mu sync.Mutex
	var unexpected []error

	p := pipeline.New(ctx,
		pipeline.WithErrorPolicy(pipeline.CollectErrors),
		pipeline.WithErrorHandler(func(e *pipeline.ItemError) {
			symbol, _ := pipeline.ItemOf[string](e) // only the fetch stage can fail
			switch {
			case isTimeout(e):
				timedOut.Add(1)
				out.line("%-5s  TIMED OUT: %v", symbol, e.Err)
			case errors.Is(e, context.Canceled):
				dropped.Add(1)
				out.line("%-5s  cancelled when its request ended (fasthttp cannot abort one)", symbol)
			default:
				mu.Lock()
				unexpected = append(unexpected, e)
				mu.Unlock()
				out.line("%-5s  failed: %v", symbol, e.Err)
			}
		}))
	syms := pipeline.FromSlice(p, "symbols", d.symbols)
	fetch := func(ctx context.Context, symbol string) (fetched, error) {
		started.Add(1)
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		begin := time.Now()
		s, err := d.client.Fetch(ctx, symbol, d.mem)
		return fetched{Series: s, took: time.Since(begin), done: out.since()}, err
	}
	// A series fetched just as the run is cancelled never reaches the
	// sink: the pipeline hands it here to be released.
	release := func(f fetched) {
		dropped.Add(1)
		f.Record.Release()
	}
	series := pipeline.Map(p, "fetch", syms, fetch, append(opts, pipeline.Workers(d.workers))...).WithDiscard(release)
	printed := 0 // one sink worker: no lock needed
	pipeline.Sink(p, "print", series, func(_ context.Context, f fetched) error {
		defer f.Record.Release()
		held := ""
		if wait := out.since() - f.done; wait > 5*time.Millisecond {
			held = fmt.Sprintf(", then held %v for the ones before it", wait.Round(time.Millisecond))
		}
		out.line("%-5s  %d rows, request %v%s", f.Symbol, f.Record.NumRows(), f.took.Round(time.Millisecond), held)
		if printed++; printed == cancelAfter {
			out.line("cancel()")
			cancelledAt = time.Now()
			cancel()
		}
		return nil
	})
	err := p.Wait()
	fmt.Fprintf(d.w, "   wall %v, peak requests in flight %d (bound %d)\n",
		out.since().Round(time.Millisecond), d.back.peak.Load(), d.workers)
	switch {
	case cancelAfter > 0:
		fmt.Fprintf(d.w, "   Wait returned %v after cancel() with context.Canceled: %t\n",
			time.Since(cancelledAt).Round(time.Millisecond), errors.Is(err, context.Canceled))
		fmt.Fprintf(d.w, "   %d printed, %d cancelled in flight, %d never started\n",
			printed, dropped.Load(), int64(len(d.symbols))-started.Load())
	case timeout > 0:
		fmt.Fprintf(d.w, "   %d ok, %d timed out\n", printed, timedOut.Load())
	}
	return errors.Join(unexpected...)
}

// isTimeout reports whether err is a timeout: the request's context
// deadline, or fasthttp's own when it noticed first.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// printer writes one line per event, stamped with the time since start.
// The sink and the error handler both print, from different goroutines.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (p *printer) since() time.Duration { return time.Since(p.start) }

func (p *printer) line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "   +%6v  %s\n", p.since().Round(time.Millisecond), fmt.Sprintf(format, args...))
}
