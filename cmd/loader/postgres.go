package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/transform"
)

// pgFlags are the options of `loader fetch --out postgres://…`.
type pgFlags struct {
	table string
	conns int
}

// fileOnlyFlags shape files, and mean nothing for a database.
var fileOnlyFlags = []string{"format", "compression", "layout", "row-group-size"}

// pgOnlyFlags mean something only for a database.
var pgOnlyFlags = []string{"table", "db-conns"}

func addPostgresFlags(fl *pflag.FlagSet, f *pgFlags) {
	fl.StringVar(&f.table, "table", postgres.DefaultTable, "with --out postgres://…: the table to load, NAME or SCHEMA.NAME")
	fl.IntVar(&f.conns, "db-conns", postgres.DefaultMaxConns, "with --out postgres://…: most connections to the database, and symbols written at once")
}

// checkOutFlags refuses the flags that do not apply to --out.
func checkOutFlags(cmd *cobra.Command, out string) error {
	isPG := postgres.IsURL(out)
	names, kind := pgOnlyFlags, "--out postgres://…"
	if isPG {
		names, kind = fileOnlyFlags, "a directory --out"
	}
	for _, name := range names {
		if cmd.Flags().Changed(name) {
			return usagef("--%s needs %s", name, kind)
		}
	}
	return nil
}

// runFetchPostgres is `loader fetch` into a PostgreSQL table. The database
// is opened, locked and checked before the source exists, so that no
// request is spent on a run that cannot store its answers.
func runFetchPostgres(cmd *cobra.Command, f fetchFlags, plan fetchPlan, pending *pendingReport) error {
	schema, err := schemaAfter(plan.source.Kind.Schema(), plan.transforms)
	if err != nil {
		return usagef("--transform: %w", err)
	}
	sink, err := postgres.Open(cmd.Context(), postgres.Options{
		URL:       f.out,
		Table:     f.pg.table,
		MaxConns:  f.pg.conns,
		Schema:    schema,
		Settings:  pgSettings(f, plan.source),
		Overwrite: f.overwrite,
	})
	switch {
	case errors.Is(err, postgres.ErrSchema), errors.Is(err, postgres.ErrSettings):
		return usageError{fmt.Errorf("%w (--overwrite replaces the table)", err)}
	case err != nil:
		return err
	}
	kept := map[string]postgres.State{}
	if f.resume {
		if kept, err = sink.Completed(cmd.Context(), plan.symbols); err != nil {
			sink.Abort()
			return err
		}
	}
	var todo []string
	for _, sym := range plan.symbols {
		if _, ok := kept[sym]; !ok {
			todo = append(todo, sym)
		}
	}
	shown := newProgress(len(todo))
	plan.source.Logger = shown.logger(slog.Default().Handler())
	source, err := newSource(cmd, f, plan.source)
	if err != nil {
		sink.Abort()
		return err
	}
	defer source.Close()
	slog.Info("loading into PostgreSQL", "url", sink.Location(), "table", sink.Table(), "connections", f.pg.conns, "kept", len(kept))

	ctx, stop := interruptible(context.WithoutCancel(cmd.Context()), f.grace)
	defer stop.release()
	shown.show(cmd.ErrOrStderr(), f.quiet, jsonLogs(cmd))
	report, err := fetch.Run(ctx, fetch.Config{
		Symbols:      todo,
		Source:       source,
		Kind:         plan.source.Kind,
		Transform:    plan.transforms,
		Sink:         sink,
		Concurrency:  f.concurrency,
		WriteWorkers: f.pg.conns,
		Stop:         stop.graceful,
		OnResult:     shown.record,
		IsFatal:      pgFatal,
	})
	shown.stop()
	report.Results = withKept(plan.symbols, report.Results, kept, sink.Table())
	return pgRunEnd{
		quiet: f.quiet, verbose: f.verbose, pending: pending,
		again: "every symbol reported ok is stored with its state; run again with --resume to load the rest",
		quota: "run again after midnight US/Eastern with --resume",
	}.end(cmd, report, err, stop)
}

// pgFatal is the IsFatal of a run into a PostgreSQL table: besides what
// stops every run, a server gone away or a table another run holds stops
// it too.
func pgFatal(err error) bool {
	return errors.Is(err, sources.ErrFatal) || errors.Is(err, postgres.ErrUnavailable) || errors.Is(err, postgres.ErrLocked)
}

// pgRunEnd prints the report of a run into a PostgreSQL table and returns
// its exit status: again says how to finish an interrupted or failed run,
// quota when to go on after the request quota ran out.
type pgRunEnd struct {
	quiet, verbose bool
	pending        *pendingReport
	again, quota   string
}

func (e pgRunEnd) end(cmd *cobra.Command, report fetch.Report, err error, stop *stopper) error {
	summary := newRunReport(report, "")
	if werr := summary.show(cmd, e.quiet, e.verbose, e.pending); werr != nil {
		return errors.Join(err, werr)
	}
	again := e.again
	switch {
	case err != nil && stop.interrupted():
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: the symbols in flight were rolled back; " + again)}
	case err != nil:
		return err
	case errors.Is(report.Fatal, postgres.ErrLocked):
		return report.Fatal
	case report.Fatal != nil:
		return &exitError{code: exitFailure, err: fmt.Errorf("%w; %s", report.Fatal, again)}
	case stop.interrupted():
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: finished the symbols in flight; " + again)}
	case quotaStopped(report) > 0:
		return &exitError{code: exitTempFail, err: fmt.Errorf("the request quota is used up: %s not fetched; %s",
			plural(quotaStopped(report), "symbol"), e.quota)}
	case summary.incomplete > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %s failed; %s", summary.incomplete, plural(len(report.Results), "symbol"), again)}
	}
	return nil
}

// pgSettings are the settings that shape a table's rows, as the flags
// that set them: a later run with others is refused. The output size is
// the one a dataset would record (fetch.SourceConfig.Settings): "full"
// where the source or the series ignores it.
func pgSettings(f fetchFlags, source fetch.SourceConfig) map[string]string {
	name := source.Resolved()
	settings := map[string]string{
		"--source":     name,
		"--adjusted":   strconv.FormatBool(f.adjusted),
		"--outputsize": source.Settings(name).OutputSize,
		"--transform":  f.transform,
		"--start":      f.start,
		"--end":        f.end,
	}
	// Daily tables record no function, as they did before there were
	// others, so that their settings stay the same.
	if source.Kind.Function != sources.Daily {
		settings["--function"] = string(source.Kind.Function)
	}
	return settings
}

// schemaAfter returns the schema of a series of schema after fn: fn run on
// no rows, as every transform allows.
func schemaAfter(schema *arrow.Schema, fn transform.Func) (*arrow.Schema, error) {
	if fn == nil {
		return schema, nil
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	empty := b.NewRecordBatch()
	defer empty.Release()
	out, err := fn(empty, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return out.Schema(), nil
}

// withKept returns the results of every symbol in order: those the run
// fetched, and those kept from an earlier run as their state rows say.
func withKept(syms []string, fetched []fetch.Result, kept map[string]postgres.State, table string) []fetch.Result {
	bySymbol := make(map[string]fetch.Result, len(fetched))
	for _, r := range fetched {
		bySymbol[r.Symbol] = r
	}
	out := make([]fetch.Result, 0, len(syms))
	for _, sym := range syms {
		if st, ok := kept[sym]; ok {
			out = append(out, fetch.Result{
				Symbol:   sym,
				Status:   dataset.StatusOK,
				File:     dataset.File{Path: table, Rows: st.Rows, FirstDate: st.FirstDate, LastDate: st.LastDate},
				Attempts: st.Attempts,
				Resumed:  true,
			})
			continue
		}
		out = append(out, bySymbol[sym])
	}
	return out
}
