// Command etl shows how a program embeds loader in its own ETL job: it
// runs loader's fetch job (fetch.Run) with a source, a transform and a sink
// of its own —
//
//	symbols ──► fetch (csvDir, a sources.Source over DIR/SYMBOL.csv)
//	        ──► transform (the user's dailyRange, chained with transform.SMA)
//	        ──► write (summarySink, a fetch.Sink: Parquet through
//	                   sinks.Writer, plus summary.jsonl)
//
// — and prints what each stage did and which one limited the run.
//
// Without -in it first writes the synthetic sample series of six symbols
// as CSV files into a new temporary directory.
//
//	go run ./examples/etl
//	go run ./examples/etl -in ./mycsvs -out ./parquet
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/pipeline"
	"github.com/seed-c7c8f39b/loader/transform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Stdout, os.Args[1:], memory.DefaultAllocator)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp): // the flag package has printed the help
	default:
		fmt.Fprintln(os.Stderr, "etl:", err)
		stop()
		os.Exit(1)
	}
}

// options are the command line's settings.
type options struct {
	in, out                     string
	days, sma, workers, writers int
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("etl", flag.ContinueOnError)
	fs.StringVar(&o.in, "in", "", "directory of SYMBOL.csv files with columns date,open,high,low,close,volume (default: write samples into a new temporary directory)")
	fs.StringVar(&o.out, "out", "", "output directory for SYMBOL.parquet and "+summaryFile+" (default: a new temporary directory)")
	fs.IntVar(&o.days, "days", 0, "days of each sample series to write when -in is not given (0: all, about 5200)")
	fs.IntVar(&o.sma, "sma", 5, "window of the moving average, in days")
	fs.IntVar(&o.workers, "workers", 2, "files read, and series transformed, at once")
	fs.IntVar(&o.writers, "writers", 1, "files written at once")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.days < 0 || o.workers < 1 || o.writers < 1 {
		return o, fmt.Errorf("-days must not be negative and -workers and -writers at least 1, got %d, %d and %d", o.days, o.workers, o.writers)
	}
	return o, nil
}

// run parses args, runs the job with mem building every Arrow record, and
// reports to w.
func run(ctx context.Context, w io.Writer, args []string, mem memory.Allocator) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	if o.in == "" {
		if o.in, err = sampleDir(o.days); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %d sample CSV files to %s\n", len(sampleSymbols), o.in)
	}
	src := csvDir{dir: o.in}
	symbols, err := src.Symbols()
	if err != nil {
		return err
	}
	if len(symbols) == 0 {
		return fmt.Errorf("no .csv files in %s", o.in)
	}
	if o.out == "" {
		if o.out, err = os.MkdirTemp("", "etl-out-"); err != nil {
			return err
		}
	}
	features := transform.Chain(dailyRange, transform.SMA(o.sma))
	smaCol := fmt.Sprintf("sma_%d", o.sma)
	sink, err := newSummarySink(o.out, smaCol, func(sum summary) {
		fmt.Fprintf(w, "  %-5s %5d rows %s..%s  close %9s  %s %9s  mean range %5s%%  %s %d bytes\n",
			sum.Symbol, sum.Rows, sum.First, sum.Last, format(sum.LastClose, 1), smaCol, format(sum.LastSMA, 1),
			format(sum.MeanRange, 100), sum.File, sum.Bytes)
	})
	if err != nil {
		return err
	}
	report, err := fetch.Run(ctx, fetch.Config{
		Symbols:      symbols,
		Source:       src,
		Transform:    features,
		Sink:         sink,
		Concurrency:  o.workers,
		WriteWorkers: o.writers,
		Allocator:    mem,
	})
	for _, res := range report.Results {
		if res.Status == dataset.StatusFailed {
			fmt.Fprintf(w, "  failed: %v\n", res.Err)
		}
	}
	fmt.Fprintf(w, "\nwrote %d of %d symbols to %s\n\n", report.Totals().OK, len(symbols), o.out)
	printStats(w, report.Stages)
	fmt.Fprintln(w, pipeline.Bottleneck(report.Stages))
	if err == nil && report.Incomplete() > 0 {
		err = fmt.Errorf("%d of %d symbols failed", report.Incomplete(), len(symbols))
	}
	return err
}

// printStats writes one row of counters per stage.
func printStats(w io.Writer, stats []pipeline.StageStats) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tworkers\tin\tout\terrors\tbusy\twait in\twait out\telapsed\tbusy share\t")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%v\t%v\t%v\t%v\t%.0f%%\t\n", s.Name, s.Workers, s.In, s.Out, s.Errors,
			round(s.Busy), round(s.WaitIn), round(s.WaitOut), round(s.Elapsed), 100*s.BusyShare())
	}
	tw.Flush()
}

// round keeps a duration readable: three significant digits or so.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// format prints v×scale with two decimals, or "-" for a missing value.
func format(v *float64, scale float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *v*scale)
}
