package main

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/charts"
	"github.com/seed-c7c8f39b/loader/symbols"
)

// plotFlags are the options of `loader plot`.
type plotFlags struct {
	in, out, symbols, symbolsFile, start, end, format string
	workers, width, height                            int
}

func newPlotCmd() *cobra.Command {
	var f plotFlags
	cmd := &cobra.Command{
		Use:   "plot --in DIR [flags]",
		Short: "Render a price and volume chart per symbol from fetched files",
		Long: `Render one chart per symbol from the files 'loader fetch' wrote: the close
with its 20- and 50-bar moving averages above, the volume below, on a shared
time axis: the dates of daily, weekly or monthly bars; of intraday bars, one
step per bar with the nights and weekends left out, labelled in exchange time.
Reads .parquet, .arrow and .csv files in any output layout (one
file per symbol, symbol=X partitions, one file for all symbols) and writes
OUT/<SYMBOL>.png or .svg, each under a temporary name until complete.

--workers 1 renders one chart after another; more render in parallel on a
pool of that many goroutines. Charts are CPU-bound, so more workers than
cores gains nothing.`,
		Example: `  loader plot --in data --out charts
  loader plot --in data --out charts --symbols AAPL,MSFT --start 2024-01-01 --format svg
  loader plot --in data --out charts --symbols-file tickers.txt --workers 1`,
		Args: noArgs("name the directory of fetched files with --in DIR"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlot(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.in, "in", "./data", "directory of fetched files, or s3://BUCKET/PREFIX")
	fl.StringVar(&f.out, "out", "./charts", "directory the charts are written to")
	fl.StringVar(&f.symbols, "symbols", "", "comma-separated symbols to chart (default: every symbol found)")
	fl.StringVar(&f.symbolsFile, "symbols-file", "", "file with one symbol a line (# comments); adds to --symbols")
	fl.StringVar(&f.start, "start", "", "first date shown, YYYY-MM-DD (averages still use earlier bars; intraday: from 00:00 exchange time)")
	fl.StringVar(&f.end, "end", "", "last date shown, YYYY-MM-DD (intraday: through its end, exchange time)")
	fl.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "charts rendered at once; 1 renders sequentially")
	fl.StringVar(&f.format, "format", "png", "image format: png or svg")
	fl.IntVar(&f.width, "width", 1200, "image width in pixels")
	fl.IntVar(&f.height, "height", 700, "image height in pixels")
	return cmd
}

func runPlot(cmd *cobra.Command, f plotFlags) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	began := time.Now()
	paths, err := charts.RenderDir(cmd.Context(), f.in, f.out, opts)
	for _, p := range paths {
		fmt.Fprintln(cmd.OutOrStdout(), p)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s in %s with %s\n", plural(len(paths), "chart"), time.Since(began).Round(time.Millisecond), plural(f.workers, "worker"))
	return err
}

func (f plotFlags) options() (charts.Options, error) {
	if f.workers < 1 {
		return charts.Options{}, usagef("--workers must be at least 1, got %d", f.workers)
	}
	if f.width < 100 || f.height < 100 {
		return charts.Options{}, usagef("--width and --height must be at least 100 pixels, got %dx%d", f.width, f.height)
	}
	format, err := charts.ParseFormat(f.format)
	if err != nil {
		return charts.Options{}, usagef("--format: %w", err)
	}
	start, err := parseDate("--start", f.start)
	if err != nil {
		return charts.Options{}, err
	}
	end, err := parseDate("--end", f.end)
	if err != nil {
		return charts.Options{}, err
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		return charts.Options{}, usagef("--start %s is after --end %s", f.start, f.end)
	}
	var syms []string
	if f.symbols != "" {
		list, err := symbols.Parse(f.symbols)
		if err != nil {
			return charts.Options{}, usagef("--symbols: %w", err)
		}
		syms = append(syms, list...)
	}
	if f.symbolsFile != "" {
		list, header, err := symbols.ReadFile(f.symbolsFile)
		if err != nil {
			return charts.Options{}, usagef("--symbols-file: %w", err)
		}
		if header != "" {
			slog.Info("symbols file: skipped its first line, a column header, not a symbol", "file", f.symbolsFile, "line", header)
		}
		syms = append(syms, list...)
	}
	if len(syms) > 0 {
		if syms, err = symbols.Unique(syms); err != nil {
			return charts.Options{}, usagef("--symbols: %w", err)
		}
	}
	return charts.Options{
		Symbols: syms,
		Style:   charts.Style{Format: format, Width: f.width, Height: f.height, Start: start, End: end},
		Runner:  charts.NewRunner(f.workers),
	}, nil
}
