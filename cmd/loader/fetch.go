package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/symbols"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/transform"
)

// fetchFlags are the options of `loader fetch`.
type fetchFlags struct {
	symbols, symbolsFile, out, source string
	concurrency                       int
	shard                             string

	transform, start, end string
	report                string
	quiet                 bool

	format, compression, layout string
	rowGroupSize                int
	resume                      bool
	grace                       time.Duration

	apiKeyEnv, baseURL, outputSize, dataType string
	adjusted                                 bool
	rate                                     float64
	timeout                                  time.Duration
	retries                                  int
}

func newFetchCmd() *cobra.Command {
	var f fetchFlags
	cmd := &cobra.Command{
		Use:   "fetch --symbols LIST [flags]",
		Short: "Fetch daily prices for symbols into Parquet, Arrow IPC or CSV files",
		Long: `Fetch daily prices for every symbol concurrently, decode them into Arrow,
and write one complete file per symbol (under a temporary name, renamed when
complete), plus OUT/_manifest.json recording every symbol's outcome.

--out may be an S3 prefix, s3://BUCKET/PREFIX, with credentials, region and
endpoint from the standard AWS environment (AWS_ACCESS_KEY_ID, AWS_PROFILE,
AWS_REGION, AWS_ENDPOINT_URL, ...). With --shard K/N each shard keeps its own
manifest, OUT/_manifest.shard-K-of-N.json, so N shards can write one dataset
at once.

Sources: "alphavantage" (needs an API key in $ALPHAVANTAGE_API_KEY, or the
variable named by --api-key-env), "sample" (built-in SYNTHETIC data, offline),
or "auto" (alphavantage when a key is set, otherwise sample).

Transforms (--transform, comma-separated, computed per symbol on the whole
series before --start/--end cut it; windows not yet full hold nulls):
` + transform.Help() + `
Exit status: 0 when every symbol succeeded, 1 when some failed, 2 for a usage
error, 75 when another run writes the same manifest of an object-store
dataset, 130 when interrupted. The first Ctrl-C finishes the symbols in flight
and writes the manifest; a second one aborts at once.`,
		Example: `  loader fetch --symbols AAPL,GOOGL,MSFT
  loader fetch --symbols IBM,MSFT --source alphavantage --outputsize full --format arrow
  loader fetch --symbols AAPL --source alphavantage --base-url http://127.0.0.1:8080/query`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFetch(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.symbols, "symbols", "", "comma-separated ticker symbols, e.g. AAPL,GOOGL,MSFT")
	fl.StringVar(&f.symbolsFile, "symbols-file", "", "file with one symbol a line (# comments); adds to --symbols")
	fl.StringVar(&f.out, "out", "./data", "output directory, or object-store prefix s3://BUCKET/PREFIX")
	fl.StringVar(&f.source, "source", "auto", "where prices come from: auto, sample or alphavantage")
	fl.IntVar(&f.concurrency, "concurrency", 4, "symbols fetched at once (requests in flight)")
	fl.StringVar(&f.shard, "shard", "", "fetch only shard K/N of the symbols (a stable split by symbol), e.g. 0/4")

	fl.StringVar(&f.transform, "transform", "", "transforms appended as columns, e.g. returns,sma:20,rsi:14 (listed above)")
	fl.StringVar(&f.start, "start", "", "keep rows on or after this date, YYYY-MM-DD")
	fl.StringVar(&f.end, "end", "", "keep rows on or before this date, YYYY-MM-DD")
	fl.StringVar(&f.report, "report", "", "also write the end-of-run report as JSON to this file")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress display and no informational logs")

	fl.StringVar(&f.format, "format", "parquet", "file format: parquet, arrow or csv")
	fl.StringVar(&f.compression, "compression", "zstd", "Parquet compression: zstd, snappy or none")
	fl.StringVar(&f.layout, "layout", "files", "files (OUT/SYMBOL.ext), single (one file) or hive (OUT/symbol=SYMBOL/part-0.ext)")
	fl.IntVar(&f.rowGroupSize, "row-group-size", 0, "Parquet row group size in rows (0: one group per symbol)")
	fl.BoolVar(&f.resume, "resume", false, "keep symbols the manifest lists as ok with their file intact; fetch the rest")
	fl.DurationVar(&f.grace, "grace", 10*time.Second, "after the first Ctrl-C, how long symbols in flight may take to finish")

	fl.StringVar(&f.apiKeyEnv, "api-key-env", "ALPHAVANTAGE_API_KEY", "environment variable holding the Alpha Vantage API key")
	fl.StringVar(&f.baseURL, "base-url", alphavantage.DefaultURL, "Alpha Vantage endpoint (point it at loader serve to work offline)")
	fl.StringVar(&f.outputSize, "outputsize", "compact", "compact (newest 100 days) or full (20+ years; premium on the live service)")
	fl.StringVar(&f.dataType, "datatype", "json", "wire format: json or csv")
	fl.BoolVar(&f.adjusted, "adjusted", false, "fetch TIME_SERIES_DAILY_ADJUSTED (adds adjusted_close, dividend, split_coefficient)")
	fl.Float64Var(&f.rate, "rate", alphavantage.DefaultRate, "most Alpha Vantage requests per minute (0: no limit)")
	fl.DurationVar(&f.timeout, "timeout", alphavantage.DefaultTimeout, "timeout of one request, body included")
	fl.IntVar(&f.retries, "retries", alphavantage.DefaultRetries, "retries of a failed request (429, 5xx, timeouts, cut bodies; 0: none)")
	return cmd
}

func runFetch(cmd *cobra.Command, f fetchFlags) error {
	syms, err := requestedSymbols(f)
	if err != nil {
		return err
	}
	manifestName := dataset.ManifestName
	if f.shard != "" {
		k, n, err := symbols.ParseShard(f.shard)
		if err != nil {
			return usagef("--shard: %w", err)
		}
		syms = symbols.Shard(syms, k, n)
		manifestName = dataset.ShardManifestName(k, n)
	}
	transforms, err := parseTransforms(f)
	if err != nil {
		return err
	}
	if f.concurrency < 1 {
		return usagef("--concurrency must be at least 1, got %d", f.concurrency)
	}
	format, err := dataset.ParseFormat(f.format)
	if err != nil {
		return usagef("--format: %w", err)
	}
	layout, err := dataset.ParseLayout(f.layout)
	if err != nil {
		return usagef("--layout: %w", err)
	}
	compression, err := dataset.ParseCompression(f.compression)
	if err != nil {
		return usagef("--compression: %w", err)
	}
	if f.shard != "" && layout == dataset.LayoutSingle {
		return usagef("--shard does not work with --layout single: every shard would write the same %s; use files or hive", "data."+format.Ext())
	}
	if f.resume && !layout.SupportsResume() {
		return usagef("--resume does not work with --layout %s: its single file is rewritten whole by every run", layout)
	}
	st, err := openStore(cmd.Context(), "--out", f.out)
	if err != nil {
		return err
	}
	defer st.Close()
	unlock, err := lockManifest(cmd.Context(), st, manifestName)
	if err != nil {
		return err
	}
	defer unlock()
	source, err := newSource(cmd, f)
	if err != nil {
		return err
	}
	defer source.Close()

	sink, err := sinks.New(sinks.Options{
		Dir:          f.out,
		Store:        st,
		Format:       format,
		Layout:       layout,
		Compression:  compression,
		RowGroupSize: f.rowGroupSize,
		Metadata:     map[string]string{"loader_version": version},
	})
	if err != nil {
		return err
	}
	run := dataset.Run{Started: time.Now().UTC(), Source: source.Name(), Format: format, Layout: layout, Compression: compression, LoaderVersion: version}
	manifest, err := dataset.StartAt(cmd.Context(), st, manifestName, run, syms, f.resume)
	if err != nil {
		sink.Abort()
		return err
	}

	ctx, stop := interruptible(context.WithoutCancel(cmd.Context()), f.grace)
	defer stop.release()
	shown := startProgress(cmd.ErrOrStderr(), len(syms), f.quiet)
	report, err := fetch.Run(ctx, fetch.Config{
		Symbols:     syms,
		Source:      source,
		Transform:   transforms,
		Sink:        sink,
		Manifest:    manifest,
		Concurrency: f.concurrency,
		Stop:        stop.graceful,
		OnResult:    shown.record,
		// A store that keeps failing after its retries would lose every
		// symbol fetched from now on: stop spending requests.
		IsFatal: func(err error) bool { return errors.Is(err, sources.ErrFatal) || errors.Is(err, store.ErrUnavailable) },
	})
	shown.stop()
	summary := newRunReport(report, f.out)
	summary.print(cmd.OutOrStdout())
	if f.report != "" {
		if err := summary.writeJSON(f.report); err != nil {
			return err
		}
	}
	switch {
	case err != nil && stop.interrupted():
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: files were cleaned up, the manifest lists what was written")}
	case err != nil:
		return err
	case report.Fatal != nil:
		return &exitError{code: exitFailure, err: report.Fatal}
	case stop.interrupted():
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: finished the symbols in flight; run again with --resume to fetch the rest")}
	case report.Incomplete() > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d symbols failed", report.Incomplete(), len(report.Results))}
	}
	return nil
}

// parseTransforms builds --transform followed by the --start/--end range.
func parseTransforms(f fetchFlags) (transform.Func, error) {
	start, err := parseDate("--start", f.start)
	if err != nil {
		return nil, err
	}
	end, err := parseDate("--end", f.end)
	if err != nil {
		return nil, err
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		return nil, usagef("--start %s is after --end %s", f.start, f.end)
	}
	fn, err := transform.Build(f.transform, start, end)
	if err != nil {
		return nil, usagef("--transform: %w", err)
	}
	return fn, nil
}

func parseDate(flag, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, value)
	if err != nil {
		return time.Time{}, usagef("%s %q: want a date YYYY-MM-DD: %w", flag, value, err)
	}
	return t, nil
}

// requestedSymbols gathers --symbols and --symbols-file, normalised and
// without repeats.
func requestedSymbols(f fetchFlags) ([]string, error) {
	var all []string
	if f.symbols != "" || f.symbolsFile == "" {
		list, err := symbols.Parse(f.symbols)
		if err != nil {
			return nil, usagef("--symbols: %w", err)
		}
		all = append(all, list...)
	}
	if f.symbolsFile != "" {
		list, err := symbols.ReadFile(f.symbolsFile)
		if err != nil {
			return nil, usagef("--symbols-file: %w", err)
		}
		all = append(all, list...)
	}
	if len(all) == 0 {
		return nil, usagef("no symbols: give --symbols or --symbols-file")
	}
	return symbols.Unique(all)
}

// newSource opens the source named by --source, and says so on stderr when
// auto falls back to the synthetic data.
func newSource(cmd *cobra.Command, f fetchFlags) (sources.Source, error) {
	switch f.source {
	case fetch.SourceAuto, fetch.SourceSample, fetch.SourceAlphaVantage:
	default:
		return nil, usagef("--source %q: want auto, sample or alphavantage", f.source)
	}
	key := os.Getenv(f.apiKeyEnv)
	source, name, err := fetch.OpenSource(fetch.SourceConfig{
		Name:        f.source,
		APIKey:      key,
		Adjusted:    f.adjusted,
		BaseURL:     f.baseURL,
		OutputSize:  f.outputSize,
		DataType:    f.dataType,
		Concurrency: f.concurrency,
		Rate:        f.rate,
		Timeout:     f.timeout,
		Retries:     f.retries,
		Logger:      slog.Default(),
	})
	switch {
	case errors.Is(err, fetch.ErrNoAPIKey):
		return nil, usagef("--source alphavantage needs an API key in $%s", f.apiKeyEnv)
	case err != nil:
		return nil, usageError{err}
	}
	if f.source == fetch.SourceAuto && name == fetch.SourceSample {
		fmt.Fprintf(cmd.ErrOrStderr(), "loader: no API key in $%s: using built-in SYNTHETIC sample data (not real prices)\n", f.apiKeyEnv)
	}
	return source, nil
}

// stopper turns SIGINT and SIGTERM into a graceful stop, then an abort.
type stopper struct {
	graceful chan struct{}
	sigs     chan os.Signal
	done     chan struct{}
	hit      chan struct{}
}

// interruptible returns a context that is cancelled on the second signal,
// or grace after the first; the first closes stop.graceful.
func interruptible(parent context.Context, grace time.Duration) (context.Context, *stopper) {
	ctx, cancel := context.WithCancelCause(parent)
	s := &stopper{
		graceful: make(chan struct{}),
		sigs:     make(chan os.Signal, 2),
		done:     make(chan struct{}),
		hit:      make(chan struct{}),
	}
	signal.Notify(s.sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer cancel(nil)
		select {
		case <-s.sigs:
		case <-s.done:
			return
		}
		close(s.hit)
		close(s.graceful)
		slog.Warn("interrupted: finishing the symbols in flight; press Ctrl-C again to abort", "grace", grace)
		select {
		case <-s.sigs:
			cancel(errors.New("aborted by a second signal"))
		case <-time.After(grace):
			cancel(fmt.Errorf("symbols in flight did not finish within the %v grace period", grace))
		case <-s.done:
		}
	}()
	return ctx, s
}

func (s *stopper) interrupted() bool {
	select {
	case <-s.hit:
		return true
	default:
		return false
	}
}

func (s *stopper) release() {
	signal.Stop(s.sigs)
	close(s.done)
}
