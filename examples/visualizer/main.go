// Command visualizer times the per-ticker chart renderer run sequentially
// and in parallel: it writes synthetic sample files for many tickers into a
// temporary directory, renders a chart of each with charts.Sequential and
// with charts.Parallel on pools of several sizes, checks every runner wrote
// the same files, and prints the comparison.
//
//	go run ./examples/visualizer -tickers 100 -workers 2,4
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/charts"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

func main() {
	err := run(context.Background(), os.Stdout, os.Args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp): // the flag package has printed the help
	default:
		fmt.Fprintln(os.Stderr, "visualizer:", err)
		os.Exit(1)
	}
}

type config struct {
	tickers, width, height int
	workers                []int
}

func parse(args []string) (config, error) {
	fs := flag.NewFlagSet("visualizer", flag.ContinueOnError)
	tickers := fs.Int("tickers", 100, "number of synthetic tickers to chart")
	workers := fs.String("workers", "2,4", "comma-separated pool sizes of the parallel runs")
	width := fs.Int("width", 1200, "chart width in pixels")
	height := fs.Int("height", 700, "chart height in pixels")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	c := config{tickers: *tickers, width: *width, height: *height}
	if c.tickers < 1 {
		return config{}, fmt.Errorf("-tickers must be at least 1, got %d", c.tickers)
	}
	if c.width < 100 || c.height < 100 {
		return config{}, fmt.Errorf("-width and -height must be at least 100, got %dx%d", c.width, c.height)
	}
	for _, f := range strings.Split(*workers, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 2 {
			return config{}, fmt.Errorf("-workers: %q is not an integer of at least 2", f)
		}
		c.workers = append(c.workers, w)
	}
	return c, nil
}

// run writes the sample files, renders them with every runner and prints
// the comparison table to w.
func run(ctx context.Context, w io.Writer, args []string) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "visualizer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "data")
	if err := writeSamples(ctx, in, c.tickers); err != nil {
		return err
	}

	runners := []charts.Runner{charts.Sequential{}}
	for _, n := range c.workers {
		runners = append(runners, charts.Parallel{Workers: n})
	}
	fmt.Fprintf(w, "%d tickers x %d days of synthetic sample data, %dx%d PNG, %d CPUs\n\n",
		c.tickers, len(sample.Series("T000")), c.width, c.height, runtime.NumCPU())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "runner\tworkers\tcharts\tseconds\tcharts/s\tspeed-up\tCPU seconds\tcores busy\t")

	var want []string
	var base time.Duration
	for i, r := range runners {
		out := filepath.Join(dir, "charts-"+strconv.Itoa(i))
		var paths []string
		cpu := cpuTime()
		took := timed(func() {
			paths, err = charts.RenderDir(ctx, in, out, charts.Options{
				Runner: r,
				Style:  charts.Style{Width: c.width, Height: c.height},
			})
		})
		cpu = cpuTime() - cpu
		if err != nil {
			return err
		}
		names := baseNames(paths)
		if i == 0 {
			want, base = names, took
		} else if !slices.Equal(names, want) {
			return fmt.Errorf("%s wrote %d charts, the sequential run %d", describe(r), len(names), len(want))
		}
		name, workers := describe(r), "1"
		if p, ok := r.(charts.Parallel); ok {
			workers = strconv.Itoa(p.Workers)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.1f\t%.2fx\t%.2f\t%.2f\t\n", name, workers, len(paths), took.Seconds(),
			float64(len(paths))/took.Seconds(), base.Seconds()/took.Seconds(), cpu.Seconds(), cpu.Seconds()/took.Seconds())
	}
	return tw.Flush()
}

// writeSamples writes the sample series of tickers T000, T001, ... as
// Parquet files into dir with the writer of `loader fetch`, tagged as sample
// data the way it tags them.
func writeSamples(ctx context.Context, dir string, tickers int) error {
	w, err := sinks.New(sinks.Options{Dir: dir, Metadata: map[string]string{"source": "sample (synthetic data)"}})
	if err != nil {
		return err
	}
	mem := memory.NewGoAllocator()
	for i := range tickers {
		symbol := fmt.Sprintf("T%03d", i)
		rec := sample.Bars(symbol, false, mem)
		_, err := w.Write(ctx, sources.Series{Symbol: symbol, Record: rec})
		rec.Release()
		if err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// timed runs f and returns how long it took.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// cpuTime returns the user and system CPU time the process has used, on
// all its threads together.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func describe(r charts.Runner) string {
	if _, ok := r.(charts.Parallel); ok {
		return "parallel"
	}
	return "sequential"
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}
