package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// beginDataset starts a writing run on the dataset in dir, or returns the
// refusal with its exit status: 75 when another process writes it, 2 when
// the run's settings are not the dataset's or there is no dataset to
// update, 1 for a manifest that cannot be read, each saying what to do.
func beginDataset(dir string, opts dataset.BeginOptions) (*dataset.Session, error) {
	s, err := dataset.Begin(dir, opts)
	var differ *dataset.SettingsError
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, dataset.ErrLocked):
		return nil, &exitError{code: exitTempFail, err: fmt.Errorf("%w; run again when it has finished", err)}
	case errors.As(err, &differ):
		var b strings.Builder
		fmt.Fprintf(&b, "%s was made with other settings than this run's:\n", dir)
		for _, d := range differ.Differences {
			fmt.Fprintf(&b, "  %s\n", d)
		}
		fmt.Fprintf(&b, "nothing was fetched: bring it up to date with `loader update %s`, or replace it with --overwrite", dir)
		return nil, &exitError{code: exitUsage, err: errors.New(b.String())}
	case errors.Is(err, dataset.ErrNoDataset):
		return nil, usagef("%w: make one with `loader fetch --out %s`", err, dir)
	case errors.Is(err, dataset.ErrSettingsUnknown):
		return nil, usagef("%w: run `loader fetch --out %s` once with the settings it was made with (--resume keeps its files), then `loader update` works", err, dir)
	case errors.Is(err, dataset.ErrNewerManifest):
		return nil, fmt.Errorf("%w: use that loader, or replace the dataset with `loader fetch --overwrite`", err)
	case errors.Is(err, dataset.ErrManifestsDiffer):
		return nil, fmt.Errorf("%w: replace the dataset with `loader fetch --out %s --overwrite` and the settings it should have", err, dir)
	case errors.Is(err, dataset.ErrCorruptManifest):
		return nil, fmt.Errorf("%w: replace the dataset with `loader fetch --overwrite` (its files are fetched again)", err)
	}
	return nil, err
}

// runDataset begins the writing run opts describes on the dataset in dir
// and runs d on it.
//
// dir may be an object-store URL (s3://BUCKET/PREFIX): the store is
// opened and checked first, before any request to the source, and the
// session locks the manifest it writes with a lock object instead of the
// directory's flock. An overwrite there replaces the whole prefix, which
// one shard of a split run cannot do.
func runDataset(cmd *cobra.Command, dir string, opts dataset.BeginOptions, d datasetRun) error {
	if store.IsURL(dir) {
		if opts.Mode == dataset.Overwrite && opts.Manifest != "" && opts.Manifest != dataset.ManifestName {
			return usagef("%s %s: --overwrite replaces the whole dataset, which one shard cannot: replace it with one run without --shard, then fetch into it by shards", flagRef(cmd, "out"), dir)
		}
		st, err := openStore(cmd.Context(), flagRef(cmd, "out"), dir)
		if err != nil {
			return err
		}
		defer st.Close()
		opts.Store = st
	}
	session, err := beginDataset(dir, opts)
	if err != nil {
		return err
	}
	defer session.Close()
	d.session = session
	return d.run(cmd)
}

// datasetRun is what `loader fetch` and `loader update` do once the
// dataset's session has begun: write its symbols with source, report,
// and end with the exit status.
type datasetRun struct {
	session  *dataset.Session
	source   sources.Source
	progress *progress // nil: a new one
	// pending is the --report file, created before the run.
	pending        *pendingReport
	concurrency    int
	grace          time.Duration
	quiet, verbose bool
	report         string // --report
	overwrite      bool   // remove what no longer belongs, once the run finished whole
	again          string // how to finish an interrupted run
}

func (d datasetRun) run(cmd *cobra.Command) error {
	dir, st := d.session.Dir(), d.session.Settings()
	transforms, err := fetch.Transform(st)
	if err != nil {
		return usagef("the dataset's --transform: %w", err)
	}
	var out store.Store
	if _, local := d.session.Store().(*store.Dir); !local {
		out = d.session.Store()
	}
	sink, err := openSink(sinks.Options{
		Dir:          dir,
		Store:        out,
		Format:       st.Format,
		Layout:       st.Layout,
		Compression:  st.Compression,
		RowGroupSize: st.RowGroupSize,
		Metadata:     map[string]string{"loader_version": version},
	})
	if err != nil {
		return usagef("%s %s: %w", flagRef(cmd, "out"), dir, err)
	}
	syms := d.session.Symbols()
	shown := d.progress
	if shown == nil {
		shown = newProgress(len(syms))
	}
	ctx, stop := interruptible(context.WithoutCancel(cmd.Context()), d.grace)
	defer stop.release()
	shown.show(cmd.ErrOrStderr(), d.quiet, jsonLogs(cmd))
	report, err := fetch.Run(ctx, fetch.Config{
		Symbols:     syms,
		Source:      d.source,
		Transform:   transforms,
		Sink:        sink,
		Manifest:    d.session.Manifest(),
		Staging:     d.session.Store(),
		Concurrency: d.concurrency,
		Stop:        stop.graceful,
		OnResult:    shown.record,
		// A store that keeps failing after its retries would lose every
		// symbol fetched from now on: stop spending requests.
		IsFatal: func(err error) bool { return errors.Is(err, sources.ErrFatal) || errors.Is(err, store.ErrUnavailable) },
	})
	shown.stop()
	if err != nil && len(report.Results) == 0 {
		return err
	}
	// The old dataset's files go only once the new one is whole: a run
	// that stopped early keeps them (on an object store readers still read
	// them), and the next overwrite removes them.
	if d.overwrite && err == nil && report.Fatal == nil && !stop.interrupted() {
		removed, rerr := d.session.RemoveStale(context.WithoutCancel(cmd.Context()))
		if len(removed) > 0 {
			slog.Info("removed what no longer belongs to the dataset", "files", len(removed))
		}
		err = rerr
	}
	summary := newRunReport(report, dir)
	if werr := summary.show(cmd, d.quiet, d.verbose, d.pending); werr != nil {
		return errors.Join(err, werr)
	}
	switch {
	case err != nil && stop.interrupted():
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted (%v): files were cleaned up, the manifest lists what was written", context.Cause(ctx))}
	case err != nil:
		return err
	case report.Fatal != nil:
		return &exitError{code: exitFailure, err: fmt.Errorf("the run stopped: %s: %w", fatalCause(report.Fatal), report.Fatal)}
	case stop.interrupted():
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: finished the symbols in flight; %s to do the rest", d.again)}
	case summary.noSpace > 0:
		were := "were"
		if summary.noSpace == 1 {
			were = "was"
		}
		return &exitError{code: exitFailure, err: fmt.Errorf("the disk holding %s is full: %s %s not written (no space left on device); free some space and %s",
			dir, plural(summary.noSpace, "symbol"), were, d.again)}
	case quotaStopped(report) > 0:
		return &exitError{code: exitTempFail, err: fmt.Errorf("the request quota is used up: %s not fetched; run again after midnight US/Eastern (when a free key's daily quota resets) with --resume, or with loader update",
			plural(quotaStopped(report), "symbol"))}
	case summary.incomplete > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %s failed", summary.incomplete, plural(len(report.Results), "symbol"))}
	case summary.Totals.OK == 0 && len(report.Results) > 0:
		warn(cmd, "nothing written: no symbol has data between --start and --end")
	}
	return nil
}
