package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
)

// updateFlags are the options of `loader update`: the symbols to add, and
// the source options that do not shape the data.
type updateFlags struct {
	symbols, symbolsFile string
	report               string
	quiet, verbose       bool
	grace                time.Duration

	apiKeyEnv, baseURL string
	concurrency        int
	rate               float64
	timeout            time.Duration
	retries            int
	maxWait            time.Duration
	maxRequests        int

	pg pgFlags // a postgres://… table
}

func newUpdateCmd() *cobra.Command {
	var f updateFlags
	cmd := &cobra.Command{
		Use:   "update DIR|s3://BUCKET/PREFIX|postgres://USER@HOST:PORT/DB [flags]",
		Short: "Bring a dataset up to date with the settings it was made with",
		Long: `Update every symbol of the dataset in DIR (made by loader fetch --out DIR),
with the settings its manifest records: source, --function, --interval,
--extended-hours, --adjusted, --outputsize, --transform, --start/--end,
format, layout and compression. --symbols and --symbols-file add symbols to
it.

Weekly and monthly series are requested whole, one request per symbol; the
stored bar of the period that was current then is replaced, the new ones
appended. Intraday series are requested month by month, from the month of
the last stored bar through the current month (or the dataset's --end), one
request per month and symbol; the bars they share with the stored ones are
checked as daily bars are.

For each daily symbol whose stored history ends within the compact window (the
newest 100 trading days) it makes one compact request, else one in the
dataset's output size. Where every day the answer shares with the stored
history is identical in every fetched column, it appends the new days and
recomputes the transforms; any difference (a dividend or split rewrote the
adjusted series, a bar was revised) refetches that symbol whole, in the
dataset's output size, and the report says why. Each file is replaced
atomically and the manifest updated. Symbols without a complete file are
requested first, then the stalest, so that a daily quota smaller than the
dataset still covers it over successive days. A compact dataset grows a day
at a time.

One process writes a dataset at a time: a second one exits at once with
status 75, naming the first. From cron:

  30 18 * * 1-5  loader update /data/prices --quiet || [ $? -eq 75 ]

Exit status: 0 when every symbol is up to date, 1 when some failed, 2 for a
usage error, 75 when another process is writing DIR (run again later), 130
when interrupted.

A dataset on an object store, s3://BUCKET/PREFIX (see loader fetch), is
updated the same way. Its state is what all its manifests say together (N
shards may have written it, each with its own); the update saves
_manifest.json, which lists every symbol, and holds the lock object of every
manifest it found, so that no shard writes meanwhile.

A table loaded with loader fetch --out postgres://… is updated the same way,
with the settings recorded for it (--table names it, default prices): the
symbols it holds, and those --symbols adds. Each symbol's rows and state are
committed in one transaction.`,
		Example: `  loader update ./data
  loader update ./data --symbols NVDA,AMD
  loader update ./data --base-url http://127.0.0.1:8080/query --rate 0
  loader update s3://prices/daily
  loader update postgres://loader@127.0.0.1:5432/prices --table prices`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("update takes one DIR, the dataset's directory, an s3:// prefix or a postgres:// database (got %d arguments)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runUpdate(cmd, args[0], f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.symbols, "symbols", "", "comma-separated symbols to add to the dataset")
	fl.StringVar(&f.symbolsFile, "symbols-file", "", "file with one symbol a line (# comments) to add to the dataset")
	fl.StringVar(&f.report, "report", "", "also write the end-of-run report as JSON to this file")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress display and no informational logs; the report shows only failures and totals")
	fl.BoolVar(&f.verbose, "verbose", false, "the report lists every symbol, however many")
	fl.DurationVar(&f.grace, "grace", 10*time.Second, "after the first Ctrl-C, how long symbols in flight may take to finish")

	fl.StringVar(&f.apiKeyEnv, "api-key-env", "ALPHAVANTAGE_API_KEY", "environment variable holding the Alpha Vantage API key")
	fl.StringVar(&f.baseURL, "base-url", alphavantage.DefaultURL, "Alpha Vantage endpoint (point it at loader serve to work offline)")
	fl.IntVar(&f.concurrency, "concurrency", 4, "symbols fetched at once (requests in flight)")
	fl.Float64Var(&f.rate, "rate", alphavantage.DefaultRate, "most Alpha Vantage requests per minute (0: no limit)")
	fl.DurationVar(&f.timeout, "timeout", alphavantage.DefaultTimeout, "timeout of one request, body included")
	fl.IntVar(&f.retries, "retries", alphavantage.DefaultRetries, "retries of a failed request (5xx, timeouts, cut bodies; 0: none); rate-limit answers do not count")
	fl.DurationVar(&f.maxWait, "max-wait", alphavantage.DefaultMaxWait, "most time one symbol waits between its attempts (backoff, Retry-After, rate limits)")
	fl.IntVar(&f.maxRequests, "max-requests", 0, "most Alpha Vantage requests of the run, e.g. 25 on a free key (0: no budget)")
	fl.StringVar(&f.pg.table, "table", postgres.DefaultTable, "with a postgres://… database: the table to update, NAME or SCHEMA.NAME")
	fl.IntVar(&f.pg.conns, "db-conns", postgres.DefaultMaxConns, "with a postgres://… database: most connections to it, and symbols written at once")
	return cmd
}

func runUpdate(cmd *cobra.Command, dir string, f updateFlags) error {
	added, err := addedSymbols(f)
	if err != nil {
		return err
	}
	if f.concurrency < 1 {
		return usagef("--concurrency must be at least 1, got %d", f.concurrency)
	}
	if postgres.IsURL(dir) {
		return runUpdatePostgres(cmd, dir, f, added)
	}
	for _, name := range pgOnlyFlags {
		if cmd.Flags().Changed(name) {
			return usagef("--%s needs a postgres:// database", name)
		}
	}
	var st store.Store
	if store.IsURL(dir) {
		if st, err = openStore(cmd.Context(), "update", dir); err != nil {
			return err
		}
		defer st.Close()
	} else if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return usagef("%s is not a directory: make the dataset with `loader fetch --out %s`", dir, dir)
	}
	// A source that cannot be opened (no key) is a usage error, found
	// before the run's manifest replaces the dataset's; Begin reports a
	// manifest that cannot be read.
	if settings, err := datasetSettings(cmd.Context(), dir, st); err == nil {
		source, err := updateSource(settings, f, slog.Default())
		if err != nil {
			return err
		}
		source.Close()
	}
	var pending *pendingReport
	if f.report != "" {
		if pending, err = createReport(f.report); err != nil {
			return usagef("%s %s: %w", flagRef(cmd, "report"), f.report, err)
		}
		defer pending.discard()
	}
	session, err := beginDataset(dir, dataset.BeginOptions{
		Symbols: added,
		Store:   st,
		Run:     dataset.Run{Started: time.Now().UTC(), LoaderVersion: version},
	})
	if err != nil {
		return err
	}
	defer session.Close()
	shown := newProgress(len(session.Symbols()))
	source, err := updateSource(session.Settings(), f, shown.logger(slog.Default().Handler()))
	if err != nil {
		return err
	}
	defer source.Close()
	return datasetRun{
		session:     session,
		source:      source,
		progress:    shown,
		pending:     pending,
		concurrency: f.concurrency,
		grace:       f.grace,
		quiet:       f.quiet,
		verbose:     f.verbose,
		again:       "run loader update again",
	}.run(cmd)
}

// datasetSettings reads the settings of the dataset in dir: its manifest's,
// or on an object store (st not nil) those its manifests record together.
func datasetSettings(ctx context.Context, dir string, st store.Store) (dataset.Settings, error) {
	if st == nil {
		m, err := dataset.LoadManifest(dir)
		if err != nil {
			return dataset.Settings{}, err
		}
		return m.Settings(), nil
	}
	u, err := dataset.LoadUnion(ctx, st)
	if err != nil {
		return dataset.Settings{}, err
	}
	return u.Settings()
}

// addedSymbols gathers --symbols and --symbols-file, normalised and
// without repeats; none is fine.
func addedSymbols(f updateFlags) ([]string, error) {
	return gatherSymbols(f.symbols, f.symbolsFile)
}

// updateSource opens the source of a dataset of settings st, with the
// flags that do not shape data.
func updateSource(st dataset.Settings, f updateFlags, logger *slog.Logger) (sources.Source, error) {
	cfg := fetch.SourceConfig{
		APIKey:      os.Getenv(f.apiKeyEnv),
		BaseURL:     f.baseURL,
		Concurrency: f.concurrency,
		Rate:        f.rate,
		Timeout:     f.timeout,
		Retries:     f.retries,
		MaxWait:     f.maxWait,
		MaxRequests: f.maxRequests,
		Logger:      logger,
	}.WithSettings(st)
	source, _, err := fetch.OpenSource(cfg)
	switch {
	case errors.Is(err, fetch.ErrNoAPIKey):
		return nil, usagef("the dataset comes from alphavantage, which needs an API key in $%s", f.apiKeyEnv)
	case err != nil:
		return nil, fmt.Errorf("the dataset's source: %w", err)
	}
	return source, nil
}

// runUpdatePostgres is `loader update postgres://…`: the table's symbols,
// and those added, brought up to date with the settings recorded for it,
// as runUpdate does for a directory. The table is opened and locked, and
// its settings and symbols read, before the source spends a request.
func runUpdatePostgres(cmd *cobra.Command, url string, f updateFlags, added []string) error {
	ctx := cmd.Context()
	// The first Open reads the table's settings; the second records them,
	// so that every state row written carries their hash (what --resume
	// keeps), and refuses a table whose settings changed in between.
	probe, err := postgres.Open(ctx, postgres.Options{URL: url, Table: f.pg.table, MaxConns: 1})
	if err != nil {
		return err
	}
	recorded := probe.Settings()
	where := probe.Table()
	probe.Close()
	if recorded == nil {
		return usagef("%s holds no dataset (no settings are recorded for table %s): make it with `loader fetch --out %s --table %s`",
			postgres.Redact(url), where, postgres.Redact(url), f.pg.table)
	}
	st, err := tableSettings(recorded)
	if err != nil {
		return fmt.Errorf("table %s: %w", where, err)
	}
	transforms, err := fetch.Transform(st)
	if err != nil {
		return usagef("the table's --transform: %w", err)
	}
	sink, err := postgres.Open(ctx, postgres.Options{URL: url, Table: f.pg.table, MaxConns: f.pg.conns, Settings: recorded})
	if err != nil {
		return err
	}
	states, err := sink.States(ctx)
	if err != nil {
		sink.Abort()
		return err
	}
	syms, stored := updateOrder(states, added)
	var pending *pendingReport
	if f.report != "" {
		if pending, err = createReport(f.report); err != nil {
			sink.Abort()
			return usagef("%s %s: %w", flagRef(cmd, "report"), f.report, err)
		}
		defer pending.discard()
	}
	shown := newProgress(len(syms))
	source, err := updateSource(st, f, shown.logger(slog.Default().Handler()))
	if err != nil {
		sink.Abort()
		return err
	}
	defer source.Close()
	slog.Info("updating a PostgreSQL table", "url", sink.Location(), "table", sink.Table(), "connections", f.pg.conns, "stored", len(stored), "added", len(syms)-len(stored))

	runCtx, stop := interruptible(context.WithoutCancel(ctx), f.grace)
	defer stop.release()
	shown.show(cmd.ErrOrStderr(), f.quiet, jsonLogs(cmd))
	report, err := fetch.Run(runCtx, fetch.Config{
		Symbols:      syms,
		Source:       source,
		Kind:         fetch.KindOf(st),
		Transform:    transforms,
		Sink:         sink,
		Stored:       stored,
		OutputSize:   sources.OutputSize(st.OutputSize),
		Concurrency:  f.concurrency,
		WriteWorkers: f.pg.conns,
		Stop:         stop.graceful,
		OnResult:     shown.record,
		IsFatal:      pgFatal,
	})
	shown.stop()
	return pgRunEnd{
		quiet: f.quiet, verbose: f.verbose, pending: pending,
		again: "every symbol reported ok is up to date with its state; run loader update again for the rest",
		quota: "run loader update again after midnight US/Eastern",
	}.end(cmd, report, err, stop)
}

// tableSettings maps the settings recorded for a table, named by the
// flags that set them (see pgSettings), back to a dataset's.
func tableSettings(recorded map[string]string) (dataset.Settings, error) {
	adjusted, err := strconv.ParseBool(recorded["--adjusted"])
	if err != nil {
		return dataset.Settings{}, fmt.Errorf("the recorded --adjusted %q: %w", recorded["--adjusted"], err)
	}
	function, err := sources.ParseFunction(recorded["--function"]) // none: daily
	if err != nil || function == sources.Intraday {
		return dataset.Settings{}, fmt.Errorf("the recorded --function %q: want daily, weekly or monthly", recorded["--function"])
	}
	return dataset.Settings{
		Source:     recorded["--source"],
		Function:   alphavantage.FunctionName(sources.Kind{Function: function, Adjusted: adjusted}),
		Adjusted:   adjusted,
		OutputSize: recorded["--outputsize"],
		Transform:  recorded["--transform"],
		Start:      recorded["--start"],
		End:        recorded["--end"],
	}, nil
}

// updateOrder returns the symbols of an update of a table that holds
// states: first the added ones it does not hold, then the stored ones,
// stalest first, so that a daily quota smaller than the table still
// covers it over successive days; and the stored ones' entries.
func updateOrder(states []postgres.State, added []string) ([]string, map[string]dataset.Entry) {
	stored := make(map[string]dataset.Entry, len(states))
	for _, s := range states {
		e := dataset.Entry{Symbol: s.Symbol, Status: dataset.StatusOK, Rows: s.Rows, Attempts: s.Attempts}
		if !s.LastDate.IsZero() {
			e.FirstDate, e.LastDate = s.FirstDate.Format(time.DateOnly), s.LastDate.Format(time.DateOnly)
		}
		stored[s.Symbol] = e
	}
	var syms []string
	for _, sym := range added {
		if _, ok := stored[sym]; !ok && !slices.Contains(syms, sym) {
			syms = append(syms, sym)
		}
	}
	byAge := slices.Clone(states)
	slices.SortStableFunc(byAge, func(a, b postgres.State) int { return a.LastDate.Compare(b.LastDate) })
	for _, s := range byAge {
		syms = append(syms, s.Symbol)
	}
	return syms, stored
}
