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
	case errors.Is(err, dataset.ErrCorruptManifest):
		return nil, fmt.Errorf("%w: replace the dataset with `loader fetch --overwrite` (its files are fetched again)", err)
	}
	return nil, err
}

// datasetRun is what `loader fetch` and `loader update` do once the
// dataset's session has begun: write its symbols with source, report,
// and end with the exit status.
type datasetRun struct {
	session     *dataset.Session
	source      sources.Source
	concurrency int
	grace       time.Duration
	quiet       bool
	report      string // --report
	// overwrite removes the files that no longer belong, at the end.
	overwrite bool
	// again says how to finish an interrupted run.
	again string
}

func (d datasetRun) run(cmd *cobra.Command) error {
	dir, st := d.session.Dir(), d.session.Settings()
	transforms, err := fetch.Transform(st)
	if err != nil {
		return usagef("the dataset's --transform: %w", err)
	}
	sink, err := sinks.New(sinks.Options{
		Dir:          dir,
		Format:       st.Format,
		Layout:       st.Layout,
		Compression:  st.Compression,
		RowGroupSize: st.RowGroupSize,
		Metadata:     map[string]string{"loader_version": version},
	})
	if err != nil {
		return err
	}
	syms := d.session.Symbols()
	ctx, stop := interruptible(context.WithoutCancel(cmd.Context()), d.grace)
	defer stop.release()
	shown := startProgress(cmd.ErrOrStderr(), len(syms), d.quiet)
	report, err := fetch.Run(ctx, fetch.Config{
		Symbols:     syms,
		Source:      d.source,
		Transform:   transforms,
		Sink:        sink,
		Manifest:    d.session.Manifest(),
		Concurrency: d.concurrency,
		Stop:        stop.graceful,
		OnResult:    shown.record,
	})
	shown.stop()
	if d.overwrite && err == nil {
		removed, rerr := dataset.RemoveUnlisted(dir)
		if len(removed) > 0 {
			slog.Info("removed the files that no longer belong to the dataset", "files", len(removed))
		}
		err = rerr
	}
	summary := newRunReport(report, dir)
	summary.print(cmd.OutOrStdout())
	if d.report != "" {
		if err := summary.writeJSON(d.report); err != nil {
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
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: finished the symbols in flight; %s to do the rest", d.again)}
	case report.Incomplete() > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d symbols failed", report.Incomplete(), len(report.Results))}
	}
	return nil
}
