package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/sinks"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/symbols"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/transform"
)

// fetchFlags are the options of `loader fetch`.
type fetchFlags struct {
	symbols, symbolsFile, out, source string
	concurrency                       int
	shard                             string

	transform, start, end string
	report                string
	quiet, verbose        bool

	format, compression, layout string
	rowGroupSize                int
	resume, overwrite           bool
	grace                       time.Duration

	apiKeyEnv, baseURL, outputSize, dataType string
	function, interval                       string
	adjusted, extendedHours                  bool
	rate                                     float64
	timeout                                  time.Duration
	retries                                  int
	maxWait                                  time.Duration
	maxRequests                              int

	pg pgFlags
}

func newFetchCmd() *cobra.Command {
	var f fetchFlags
	cmd := &cobra.Command{
		Use:   "fetch --symbols LIST [flags]",
		Short: "Fetch daily, weekly, monthly or intraday prices for symbols into Parquet, Arrow IPC or CSV files",
		Long: `Fetch prices for every symbol concurrently, decode them into Arrow, and
write one complete file per symbol (under a temporary name, renamed when
complete), plus OUT/_manifest.json recording every symbol's outcome.

--function chooses the bars (--adjusted adds the adjusted columns, or for
intraday bars adjusts their prices):
  daily     one bar a trading day (TIME_SERIES_DAILY), column date
  weekly    one bar a week, dated by its last trading day, the whole history
            in one request (TIME_SERIES_WEEKLY)
  monthly   the same by calendar month (TIME_SERIES_MONTHLY)
  intraday  bars of --interval 1min, 5min, 15min, 30min or 60min
            (TIME_SERIES_INTRADAY), column timestamp in exchange time
            (America/New_York); --extended-hours (default true) includes
            4:00-9:30 and 16:00-20:00. Without --start one request per symbol
            gives its newest bars (--outputsize compact: 100 bars, full: the
            last 30 days). With --start (and --end, default the current
            month; either may be a month YYYY-MM) every month of the range is
            one request per symbol, kept in OUT/` + fetch.StagingDir + `/ as it arrives, so an
            interrupted run resumes at the missing months; at most ` + fmt.Sprint(fetch.MaxMonths) + ` months.

With --out postgres://USER@HOST:PORT/DB the series go into a PostgreSQL table
instead (--table, default prices; password from $PGPASSWORD or ~/.pgpass),
each symbol committed with its row in loader_symbols in one transaction.

--out may be an S3 prefix, s3://BUCKET/PREFIX, with credentials, region and
endpoint from the standard AWS environment (AWS_ACCESS_KEY_ID, AWS_PROFILE,
AWS_REGION, AWS_ENDPOINT_URL, ...). There, with --shard K/N each shard keeps
its own manifest, OUT/_manifest.shard-K-of-N.json, and its own lock object,
so N shards can write one dataset at once.

Sources: "alphavantage" (needs an API key in $ALPHAVANTAGE_API_KEY, or the
variable named by --api-key-env), "sample" (built-in SYNTHETIC data, offline),
or "auto" (alphavantage when a key is set, otherwise sample). The sample
source always gives its whole history, ` + sample.Start.Format(time.DateOnly) + ` to ` + sample.End.Format(time.DateOnly) + `: the flags
for Alpha Vantage alone (--base-url, --outputsize, --datatype, --rate,
--timeout, --retries) are still checked, and draw a warning that they have no
effect. --compression and --row-group-size with a format other than Parquet
are usage errors.

Transforms (--transform, comma-separated, computed per symbol on the whole
series before --start/--end cut it; windows not yet full hold nulls):
` + transform.Help() + `
A symbol with no data between --start and --end is skipped with that reason;
it does not make the run fail.

Into an existing dataset (a directory with a _manifest.json) with the same
settings, it brings the named symbols up to date as 'loader update' does and
fetches the new ones; with other settings it refuses before any request,
naming every difference, unless --overwrite replaces the dataset.

The end-of-run report on stdout lists every symbol up to ` + fmt.Sprint(listLimit) + ` of them; past
that, the failures and a summary (--verbose lists every symbol; the manifest
and --report always do). --quiet prints only the failures and the totals.

Exit status: 0 when every symbol succeeded, 1 when some failed, 2 for a usage
error or an --out or --report path that cannot be written (found before the
first request), 75 when another process is writing --out (a directory, the
same manifest of an S3 prefix, or a PostgreSQL table) or the request quota is used up (run again later), 130
when interrupted. The first Ctrl-C
(or SIGTERM, or SIGHUP) finishes the symbols in flight and writes the
manifest; a second one aborts at once. A closed stdout or stderr (a pipe
into head) only stops the printing.`,
		Example: `  loader fetch --symbols AAPL,GOOGL,MSFT
  loader fetch --symbols IBM,KO --function weekly --adjusted --out weekly
  loader fetch --symbols IBM --function intraday --interval 5min --start 2024-01 --end 2024-06 --out ibm-5min
  loader fetch --symbols IBM,MSFT --source alphavantage --outputsize full --format arrow
  loader fetch --symbols AAPL --source alphavantage --base-url http://127.0.0.1:8080/query
  loader fetch --symbols AAPL,MSFT --out postgres://loader@localhost:5432/markets --table prices`,
		Args: noArgs("give symbols with --symbols or --symbols-file"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runFetch(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.symbols, "symbols", "", "comma-separated ticker symbols, e.g. AAPL,GOOGL,MSFT")
	fl.StringVar(&f.symbolsFile, "symbols-file", "", "file with one symbol a line (# comments, an optional header line); adds to --symbols")
	fl.StringVar(&f.out, "out", "./data", "output directory, an object-store prefix s3://BUCKET/PREFIX, or a PostgreSQL database postgres://USER@HOST:PORT/DB (password from $PGPASSWORD or ~/.pgpass)")
	fl.StringVar(&f.source, "source", "auto", "where prices come from: auto, sample or alphavantage")
	fl.IntVar(&f.concurrency, "concurrency", 4, "symbols fetched at once (requests in flight)")
	fl.StringVar(&f.shard, "shard", "", "fetch only shard K/N of the symbols (a stable split by symbol), e.g. 0/4")

	fl.StringVar(&f.transform, "transform", "", "transforms appended as columns, e.g. returns,sma:20,rsi:14 (listed above)")
	fl.StringVar(&f.start, "start", "", "keep rows on or after this date, YYYY-MM-DD (intraday: or a month YYYY-MM, fetched month by month)")
	fl.StringVar(&f.end, "end", "", "keep rows on or before this date, YYYY-MM-DD (intraday: or a month YYYY-MM; default the current month)")
	fl.StringVar(&f.report, "report", "", "also write the end-of-run report as JSON to this file")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress display and no informational logs; the report shows only failures and totals")
	fl.BoolVar(&f.verbose, "verbose", false, "the report lists every symbol, however many")

	fl.StringVar(&f.format, "format", "parquet", "file format: parquet, arrow or csv")
	fl.StringVar(&f.compression, "compression", "zstd", "Parquet compression: zstd, snappy or none (--format parquet only)")
	fl.StringVar(&f.layout, "layout", "files", "files (OUT/SYMBOL.ext), single (one file) or hive (OUT/symbol=SYMBOL/part-0.ext)")
	fl.IntVar(&f.rowGroupSize, "row-group-size", 0, "Parquet row group size in rows (0: one group per symbol; --format parquet only)")
	fl.BoolVar(&f.resume, "resume", false, "keep symbols the manifest lists as ok with their file intact; fetch the rest")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace the dataset in --out, even one made with other settings, and remove its files that no longer belong")
	fl.DurationVar(&f.grace, "grace", 10*time.Second, "after the first Ctrl-C, how long symbols in flight may take to finish")

	fl.StringVar(&f.apiKeyEnv, "api-key-env", "ALPHAVANTAGE_API_KEY", "environment variable holding the Alpha Vantage API key")
	fl.StringVar(&f.baseURL, "base-url", alphavantage.DefaultURL, "Alpha Vantage endpoint (point it at loader serve to work offline)")
	fl.StringVar(&f.outputSize, "outputsize", "compact", "compact (newest 100 days) or full (20+ years; premium on the live service); the sample source always gives its full history")
	fl.StringVar(&f.dataType, "datatype", "json", "wire format: json or csv")
	fl.StringVar(&f.function, "function", string(sources.Daily), "bars to fetch: daily, weekly, monthly or intraday (see above)")
	fl.StringVar(&f.interval, "interval", "", "length of an intraday bar: "+strings.Join(sources.Intervals, ", ")+" (--function intraday only, which needs it)")
	fl.BoolVar(&f.extendedHours, "extended-hours", true, "intraday bars include the pre-market and after-hours sessions, as the service's default (--function intraday only)")
	fl.BoolVar(&f.adjusted, "adjusted", false, "the adjusted series: adds adjusted_close and dividend (daily: and split_coefficient); intraday prices adjusted for splits and dividends")
	fl.Float64Var(&f.rate, "rate", alphavantage.DefaultRate, "most Alpha Vantage requests per minute (0: no limit)")
	fl.DurationVar(&f.timeout, "timeout", alphavantage.DefaultTimeout, "timeout of one request, body included")
	fl.IntVar(&f.retries, "retries", alphavantage.DefaultRetries, "retries of a failed request (5xx, timeouts, cut bodies; 0: none); rate-limit answers do not count")
	fl.DurationVar(&f.maxWait, "max-wait", alphavantage.DefaultMaxWait, "most time one symbol waits between its attempts (backoff, Retry-After, rate limits)")
	fl.IntVar(&f.maxRequests, "max-requests", 0, "most Alpha Vantage requests of the run, e.g. 25 on a free key (0: no budget)")
	addPostgresFlags(fl, &f.pg)
	return cmd
}

// openSink opens the writer of a run. A variable so that a test can make
// the disk fail.
var openSink = func(opts sinks.Options) (fetch.Sink, error) { return sinks.New(opts) }

// fetchPlan is what the flags of one fetch ask for, checked: building it
// does no work and prints nothing.
type fetchPlan struct {
	symbols     []string
	transforms  transform.Func
	format      dataset.Format
	layout      dataset.Layout
	compression dataset.Compression
	source      fetch.SourceConfig
	// start and end are --start and --end as the dataset records them.
	start, end string
	// manifest is the run's manifest name: empty for the dataset's, a
	// shard's own on an object store.
	manifest string
}

func runFetch(cmd *cobra.Command, f fetchFlags) error {
	plan, err := planFetch(cmd, f)
	if err != nil {
		return err
	}
	if len(plan.symbols) == 0 {
		note(cmd, fmt.Sprintf("shard %s holds none of the symbols given: nothing to fetch", f.shard))
		return nil
	}
	// Setup problems end the command before any output or request.
	var pending *pendingReport
	if f.report != "" {
		if pending, err = createReport(f.report); err != nil {
			return usagef("%s %s: %w", flagRef(cmd, "report"), f.report, err)
		}
		defer pending.discard()
	}
	if postgres.IsURL(f.out) {
		return runFetchPostgres(cmd, f, plan, pending)
	}
	if !store.IsURL(f.out) {
		if err := usableDir(f.out); err != nil {
			return usagef("%s %s: %w", flagRef(cmd, "out"), f.out, err)
		}
	}
	shown := newProgress(len(plan.symbols))
	plan.source.Logger = shown.logger(slog.Default().Handler())
	source, err := newSource(cmd, f, plan.source)
	if err != nil {
		return err
	}
	defer source.Close()

	settings := plan.source.Settings(source.Name())
	settings.Transform, settings.Start, settings.End = f.transform, plan.start, plan.end
	settings.Format, settings.Layout, settings.Compression, settings.RowGroupSize = plan.format, plan.layout, plan.compression, f.rowGroupSize
	mode := dataset.Update
	switch {
	case f.resume:
		mode = dataset.Resume
	case f.overwrite:
		mode = dataset.Overwrite
	}
	return runDataset(cmd, f.out, dataset.BeginOptions{
		Settings: &settings,
		Symbols:  plan.symbols,
		Mode:     mode,
		Manifest: plan.manifest,
		Run:      dataset.Run{Started: time.Now().UTC(), LoaderVersion: version},
	}, datasetRun{
		source:      source,
		progress:    shown,
		pending:     pending,
		concurrency: f.concurrency,
		grace:       f.grace,
		quiet:       f.quiet,
		verbose:     f.verbose,
		overwrite:   f.overwrite,
		again:       "run again with --resume",
	})
}

// usableDir makes dir, if need be, and checks that files can be created in
// it: a directory to write a dataset into.
func usableDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return errors.New("is a file, not a directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".loader-probe-*")
	if err != nil {
		return fmt.Errorf("output directory not writable: %w", err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// planFetch checks every flag of a fetch, whatever the source, and
// returns what they ask for; every problem is a usage error naming the
// flag, or the variable its value came from.
func planFetch(cmd *cobra.Command, f fetchFlags) (fetchPlan, error) {
	var p fetchPlan
	var err error
	if p.symbols, err = requestedSymbols(f); err != nil {
		return p, err
	}
	if f.shard != "" {
		k, n, err := symbols.ParseShard(f.shard)
		if err != nil {
			return p, usagef("%s: %w", flagRef(cmd, "shard"), err)
		}
		p.symbols = symbols.Shard(p.symbols, k, n)
		if store.IsURL(f.out) {
			// On an object store each shard keeps its own manifest (and
			// lock object), so that N shards write one prefix at once.
			p.manifest = dataset.ShardManifestName(k, n)
		}
	}
	kind, err := parseKind(cmd, f)
	if err != nil {
		return p, err
	}
	if p.start, p.end, err = fetch.ParseRange(kind, f.start, f.end, time.Now()); err != nil {
		return p, settingUsage(cmd, err)
	}
	shape := fetch.SourceConfig{Kind: kind}.Settings(f.source)
	shape.Transform, shape.Start, shape.End = f.transform, p.start, p.end
	if p.transforms, err = fetch.Transform(shape); err != nil {
		return p, usagef("%s: %w", flagRef(cmd, "transform"), err)
	}
	if postgres.IsURL(f.out) && kind.IsIntraday() {
		return p, usagef("%s intraday: loader fetch and update keep intraday months in a dataset's staging area, which a PostgreSQL table has not; write intraday bars to a directory or an object store", flagRef(cmd, "function"))
	}
	if f.concurrency < 1 {
		return p, usagef("%s must be at least 1, got %d", flagRef(cmd, "concurrency"), f.concurrency)
	}
	if p.format, err = dataset.ParseFormat(f.format); err != nil {
		return p, usagef("%s: %w", flagRef(cmd, "format"), err)
	}
	if p.layout, err = dataset.ParseLayout(f.layout); err != nil {
		return p, usagef("%s: %w", flagRef(cmd, "layout"), err)
	}
	if p.compression, err = dataset.ParseCompression(f.compression); err != nil {
		return p, usagef("%s: %w", flagRef(cmd, "compression"), err)
	}
	if f.rowGroupSize < 0 {
		return p, usagef("%s %d: want 0 (one row group per symbol) or more rows", flagRef(cmd, "row-group-size"), f.rowGroupSize)
	}
	if p.format != dataset.FormatParquet {
		for _, name := range []string{"compression", "row-group-size"} {
			if cmd.Flags().Changed(name) {
				return p, usagef("%s applies to Parquet files only, not to --format %s", flagRef(cmd, name), p.format)
			}
		}
	}
	if f.shard != "" && p.layout == dataset.LayoutSingle {
		return p, usagef("--shard does not work with --layout single: every shard would write the same %s; use files or hive", "data."+p.format.Ext())
	}
	if f.resume && !p.layout.SupportsResume() {
		return p, usagef("--resume does not work with --layout %s: its single file is rewritten whole by every run", p.layout)
	}
	if f.resume && f.overwrite {
		return p, usagef("--resume keeps the dataset's files, --overwrite replaces them: give one")
	}
	if err := checkOutFlags(cmd, f.out); err != nil {
		return p, err
	}
	if postgres.IsURL(f.out) && f.pg.conns < 1 {
		return p, usagef("--db-conns must be at least 1, got %d", f.pg.conns)
	}
	if f.grace < 0 {
		return p, usagef("%s %v: must not be negative", flagRef(cmd, "grace"), f.grace)
	}
	switch f.source {
	case fetch.SourceAuto, fetch.SourceSample, fetch.SourceAlphaVantage:
	default:
		return p, usagef("%s %q: want auto, sample or alphavantage", flagRef(cmd, "source"), f.source)
	}
	if f.timeout <= 0 {
		return p, usagef("%s %v: want a positive duration", flagRef(cmd, "timeout"), f.timeout)
	}
	p.source = fetch.SourceConfig{
		Name:        f.source,
		APIKey:      os.Getenv(f.apiKeyEnv),
		Kind:        kind,
		BaseURL:     f.baseURL,
		OutputSize:  f.outputSize,
		DataType:    f.dataType,
		Concurrency: f.concurrency,
		Rate:        f.rate,
		Timeout:     f.timeout,
		Retries:     f.retries,
		MaxWait:     f.maxWait,
		MaxRequests: f.maxRequests,
	}
	if err := p.source.Validate(); err != nil {
		return p, settingUsage(cmd, err)
	}
	if f.source == fetch.SourceAlphaVantage && p.source.APIKey == "" {
		return p, usagef("--source alphavantage needs an API key in $%s", f.apiKeyEnv)
	}
	return p, nil
}

// parseKind reads the series the flags ask for: --function, --interval,
// --adjusted and --extended-hours, which applies to intraday bars alone
// (its default, true, is theirs). fetch.SourceConfig.Validate checks the
// rest.
func parseKind(cmd *cobra.Command, f fetchFlags) (sources.Kind, error) {
	function, err := sources.ParseFunction(f.function)
	if err != nil {
		return sources.Kind{}, usagef("%s %q: want %s", flagRef(cmd, "function"), f.function, sources.FunctionNames())
	}
	kind := sources.Kind{Function: function, Interval: f.interval, Adjusted: f.adjusted}
	switch {
	case function == sources.Intraday:
		kind.ExtendedHours = f.extendedHours
	case cmd.Flags().Changed("extended-hours"):
		return kind, usagef("%s applies to --function intraday only, not to %s bars", flagRef(cmd, "extended-hours"), function)
	}
	return kind, nil
}

// settingUsage turns a *fetch.SettingError into a usage error naming its
// flag, or the variable the value came from.
func settingUsage(cmd *cobra.Command, err error) error {
	var setting *fetch.SettingError
	if !errors.As(err, &setting) {
		return usageError{err}
	}
	return usagef("%s %s", flagRef(cmd, settingFlags[setting.Field]), strings.TrimPrefix(setting.Error(), setting.Field+" "))
}

// settingFlags are the flags of the fetch.SourceConfig fields, and of
// the bounds fetch.ParseRange checks.
var settingFlags = map[string]string{
	"Kind.Function":      "function",
	"Kind.Interval":      "interval",
	"Kind.ExtendedHours": "extended-hours",
	"Start":              "start",
	"End":                "end",
	"OutputSize":         "outputsize",
	"DataType":           "datatype",
	"BaseURL":            "base-url",
	"Rate":               "rate",
	"Timeout":            "timeout",
	"Retries":            "retries",
}

// alphaVantageFlags configure the Alpha Vantage source alone.
var alphaVantageFlags = []string{"base-url", "outputsize", "datatype", "rate", "timeout", "retries", "max-wait", "max-requests"}

// quotaStopped counts the symbols not fetched because the service's daily
// quota or the run's --max-requests budget ran out.
func quotaStopped(r fetch.Report) int {
	n := 0
	for _, res := range r.Results {
		if res.Status != dataset.StatusOK && errors.Is(res.Err, sources.ErrQuota) {
			n++
		}
	}
	return n
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
// without repeats. A header line the file starts with is skipped, with a
// note in the log.
func requestedSymbols(f fetchFlags) ([]string, error) {
	if f.symbols == "" && f.symbolsFile == "" {
		return nil, usagef("no symbols: give --symbols or --symbols-file")
	}
	syms, err := gatherSymbols(f.symbols, f.symbolsFile)
	if err == nil && len(syms) == 0 {
		err = usagef("no symbols: give --symbols or --symbols-file")
	}
	return syms, err
}

// gatherSymbols reads the --symbols list and the --symbols-file, either
// of which may be empty, normalised and without repeats.
func gatherSymbols(list, file string) ([]string, error) {
	var all []string
	if list != "" {
		syms, err := symbols.Parse(list)
		if err != nil {
			return nil, usagef("--symbols: %w", err)
		}
		all = append(all, syms...)
	}
	if file != "" {
		syms, header, err := symbols.ReadFile(file)
		if err != nil {
			return nil, usagef("--symbols-file: %w", err)
		}
		if header != "" {
			slog.Info("symbols file: skipped its first line, a column header, not a symbol", "file", file, "line", header)
		}
		all = append(all, syms...)
	}
	if len(all) == 0 {
		return nil, nil
	}
	return symbols.Unique(all)
}

// newSource opens the source cfg names, and says so on stderr when auto
// falls back to the synthetic data, and which flags that makes idle.
func newSource(cmd *cobra.Command, f fetchFlags, cfg fetch.SourceConfig) (sources.Source, error) {
	source, name, err := fetch.OpenSource(cfg)
	if err != nil {
		return nil, usageError{err}
	}
	if f.source == fetch.SourceAuto && name == fetch.SourceSample {
		warn(cmd, fmt.Sprintf("no API key in $%s: using built-in SYNTHETIC sample data (not real prices)", f.apiKeyEnv))
	}
	if name == fetch.SourceSample {
		var idle []string
		for _, flag := range alphaVantageFlags {
			if cmd.Flags().Changed(flag) {
				idle = append(idle, flagRef(cmd, flag))
			}
		}
		if len(idle) > 0 {
			warn(cmd, fmt.Sprintf("%s: no effect with the sample source, which always gives its whole history, offline", strings.Join(idle, ", ")))
		}
	}
	return source, nil
}

// fatalCause says in a few words why a fatal error stopped a run.
func fatalCause(err error) string {
	switch {
	case errors.Is(err, alphavantage.ErrInvalidAPIKey):
		return "the API key was refused"
	case errors.Is(err, alphavantage.ErrDailyLimit):
		return "the API key's daily request limit is used up"
	}
	return "no other symbol could succeed"
}

// stopper turns SIGINT, SIGTERM and SIGHUP into a graceful stop, then an
// abort.
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
	signal.Notify(s.sigs, stopSignals...)
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
			cancel(errors.New("aborted by a second interrupt"))
		case <-time.After(grace):
			cancel(fmt.Errorf("the symbols in flight did not finish within the --grace period of %v", grace))
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
