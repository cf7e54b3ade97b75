package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/loader"
)

// batchesOptions are the flags of `loader batches`.
type batchesOptions struct {
	in               string
	features         string
	target           string
	trainEnd, valEnd string
	embargo          int
	normalize        bool
	split            string
	cfg              loader.Config
	dcfg             loader.DatasetConfig // the object-store options
	epochs           int
	emit             string
	listen           string
	cacheLimit       string
}

func newBatchesCmd() *cobra.Command {
	var o batchesOptions
	cmd := &cobra.Command{
		Use:   "batches",
		Short: "Iterate the DataLoader over fetched files and report its throughput",
		Long: `batches opens the Parquet or Arrow IPC files under --in (what 'loader fetch'
writes), cuts them into windows of --window rows per symbol with the target
--horizon rows ahead as label, and iterates the batches the way training would:
shuffled, sharded by --rank/--world-size (default: torchrun's RANK and
WORLD_SIZE), split by date with an embargo. Over intraday files (a timestamp
column) windows are consecutive bars, the embargo counts bars, and
--train-end/--val-end may also be instants (2024-06-14T12:00 exchange time,
or RFC 3339).

It prints the shapes and, per epoch, batches, samples per second and bytes
per second: the check that the loader is not the bottleneck of training.

With --emit npy it writes every batch to stdout as two NumPy .npy arrays, X
float32 [B, window, features] then Y float32 [B, horizon], for a Python
training loop to read (see examples/python); the report then goes to stderr.
With --listen 127.0.0.1:PORT the arrays go to the first client that connects.
The Python package goloader (python/) runs this loader inside Python, faster.

log_return is built in: ln(close[t]/close[t-1]), computed from close when the
files have no such column. Windows touching a null (the first rows of a
moving average, say) are skipped.`,
		Example: `  loader batches --in data
  loader batches --in data --features close,volume,log_return --window 64 --batch-size 512 --shuffle --epochs 3
  loader batches --in data --train-end 2019-12-31 --val-end 2022-12-31 --embargo 5 --normalize --split val
  loader batches --in data --shuffle --emit npy | python3 examples/python/stream.py`,
		Args: noArgs("name the fetched files with --in DIR"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBatches(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.in, "in", "data", "directory (or file) of Parquet/Arrow files to read, or s3://BUCKET/PREFIX")
	f.StringVar(&o.dcfg.CacheDir, "cache-dir", "", "with --in s3://..., keep a local copy of every object read in this directory")
	f.StringVar(&o.cacheLimit, "cache-limit", "0", "largest size of --cache-dir, e.g. 20GiB, evicting the least recently used (0: no limit)")
	f.IntVar(&o.dcfg.ReadAhead, "read-ahead", 0, "with --in s3://..., objects read at once ahead of decoding (0: 16)")
	f.StringVar(&o.features, "features", loader.LogReturn, "comma-separated feature columns (X's last axis)")
	f.StringVar(&o.target, "target", loader.LogReturn, "target column (Y)")
	f.StringVar(&o.trainEnd, "train-end", "", "last date of the training split (YYYY-MM-DD; intraday also an instant, RFC 3339 or exchange time YYYY-MM-DDTHH:MM); empty: no splits")
	f.StringVar(&o.valEnd, "val-end", "", "last date (or instant, as --train-end) of the validation split; the test split follows")
	f.IntVar(&o.embargo, "embargo", 0, "rows (bars) after each split boundary that belong to no split")
	f.BoolVar(&o.normalize, "normalize", false, "z-score features per symbol with training-split statistics")
	f.StringVar(&o.split, "split", "train", "split to iterate: train, val, test or all")
	f.IntVar(&o.cfg.Window, "window", 32, "rows per window")
	f.IntVar(&o.cfg.Horizon, "horizon", 1, "target rows per label, after the window")
	f.IntVar(&o.cfg.Stride, "stride", 1, "rows between window starts")
	f.IntVar(&o.cfg.BatchSize, "batch-size", 256, "samples per batch")
	f.BoolVar(&o.cfg.DropLast, "drop-last", false, "drop the last incomplete batch (and truncate instead of pad across ranks)")
	f.BoolVar(&o.cfg.Shuffle, "shuffle", false, "shuffle samples, a new permutation each epoch")
	f.Uint64Var(&o.cfg.Seed, "seed", 1, "shuffle seed (the same on every rank)")
	f.IntVar(&o.epochs, "epochs", 1, "epochs to iterate")
	f.IntVar(&o.cfg.Workers, "workers", 0, "goroutines assembling batches (0: one per CPU)")
	f.IntVar(&o.cfg.Prefetch, "prefetch", 0, "batches ready ahead of the consumer (0: 2 × workers)")
	f.IntVar(&o.cfg.Rank, "rank", 0, "this process's rank (with --world-size)")
	f.IntVar(&o.cfg.WorldSize, "world-size", 0, "number of ranks (0: RANK and WORLD_SIZE from the environment, else 1)")
	f.StringVar(&o.emit, "emit", "none", "write batches: none or npy")
	f.StringVar(&o.listen, "listen", "", "with --emit npy, serve the stream to one client on this 127.0.0.1 address instead of stdout")
	return cmd
}

func runBatches(ctx context.Context, o batchesOptions, stdout, stderr io.Writer) error {
	dcfg, err := o.datasetConfig()
	if err != nil {
		return err
	}
	if o.cfg.Split, err = loader.ParseSplit(o.split); err != nil {
		return usagef("--split %q: want train, val, test or all", o.split)
	}
	if o.epochs < 1 {
		return usagef("--epochs %d: want at least 1", o.epochs)
	}
	for name, v := range map[string]int{"--window": o.cfg.Window, "--horizon": o.cfg.Horizon, "--stride": o.cfg.Stride, "--batch-size": o.cfg.BatchSize} {
		if v < 1 {
			return usagef("%s %d: want at least 1", name, v)
		}
	}
	if o.cfg.Workers < 0 || o.cfg.Prefetch < 0 || o.cfg.WorldSize < 0 || o.cfg.Rank < 0 {
		return usagef("--workers, --prefetch, --rank and --world-size must not be negative")
	}
	if o.cfg.WorldSize > 0 && o.cfg.Rank >= o.cfg.WorldSize {
		return usagef("--rank %d: want less than --world-size %d", o.cfg.Rank, o.cfg.WorldSize)
	}
	if o.emit != "none" && o.emit != "npy" {
		return usagef("--emit %q: want none or npy", o.emit)
	}
	if o.listen != "" && o.emit != "npy" {
		return usagef("--listen needs --emit npy")
	}
	if o.emit == "npy" && o.listen == "" && isTerminal(stdout) {
		return usagef("--emit npy writes binary arrays to stdout, which is a terminal: pipe it into a reader (| python3 examples/python/goloader.py) or serve it with --listen")
	}
	switch {
	case o.cfg.Split == loader.Val && dcfg.TrainEnd.IsZero():
		return usagef("--split val needs --train-end: the validation split starts after it")
	case o.cfg.Split == loader.Test && dcfg.ValEnd.IsZero():
		return usagef("--split test needs --train-end and --val-end: the test split starts after --val-end")
	}

	start := time.Now()
	ds, err := loader.OpenContext(ctx, o.in, dcfg)
	if err != nil {
		return err
	}
	l, err := loader.New(ds, o.cfg)
	if errors.Is(err, loader.ErrNoWindows) {
		return usagef("--window %d with --horizon %d: no window fits in split %s of %s (%d rows in all): %w",
			o.cfg.Window, o.cfg.Horizon, o.cfg.Split, plural(len(ds.Symbols()), "symbol"), ds.Rows(), err)
	}
	if err != nil {
		return err
	}
	defer l.Close()
	cfg := l.Config()

	report := stdout
	var (
		sink *loader.NPYWriter
		bw   *bufio.Writer
	)
	if o.emit == "npy" {
		report = stderr
		out, closeOut, err := emitTarget(ctx, o.listen, stdout, report)
		if err != nil {
			return err
		}
		defer closeOut()
		bw = bufio.NewWriterSize(out, 1<<20)
		sink = loader.NewNPYWriter(bw)
	}
	bars := "rows"
	if ds.Intraday() {
		bars = "intraday bars"
	}
	fmt.Fprintf(report, "opened %s, %s, %d %s in %s\n",
		plural(len(ds.Files()), "file"), plural(len(ds.Symbols()), "symbol"), ds.Rows(), bars, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(report, "split %s: %d windows; rank %d of %d: %d batches per epoch\n",
		cfg.Split, l.Samples(), cfg.Rank, cfg.WorldSize, l.Len())
	fmt.Fprintf(report, "X float32 [%d %d %d] (%s), Y float32 [%d %d] (%s); %d workers, prefetch %d\n",
		cfg.BatchSize, cfg.Window, len(ds.Features()), strings.Join(ds.Features(), ","),
		cfg.BatchSize, cfg.Horizon, ds.Target(), cfg.Workers, cfg.Prefetch)

	var total stats
	for e := range o.epochs {
		var st stats
		begin := time.Now()
		for {
			b, err := l.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if ctx.Err() != nil {
					return &exitError{code: exitInterrupted, err: fmt.Errorf("batches: interrupted in epoch %d", e)}
				}
				return err
			}
			st.add(b)
			if sink != nil {
				err = sink.WriteBatch(b)
			}
			b.Release()
			if err != nil {
				return fmt.Errorf("batches: %w", err)
			}
		}
		st.elapsed = time.Since(begin)
		fmt.Fprintf(report, "epoch %d: %s\n", e, st)
		total.merge(st)
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("batches: write npy: %w", err)
		}
	}
	if o.epochs > 1 {
		fmt.Fprintf(report, "total:   %s\n", total)
	}
	fmt.Fprintf(report, "batch buffers allocated: %d (%.1f MB)\n", l.BatchesAllocated(),
		float64(l.BatchesAllocated()*4*cfg.BatchSize*(cfg.Window*len(ds.Features())+cfg.Horizon))/1e6)
	return nil
}

func (o batchesOptions) datasetConfig() (loader.DatasetConfig, error) {
	cfg := loader.DatasetConfig{Target: o.target, Embargo: o.embargo, Normalize: o.normalize,
		CacheDir: o.dcfg.CacheDir, ReadAhead: o.dcfg.ReadAhead}
	limit, err := parseSize(o.cacheLimit)
	if err != nil {
		return cfg, usagef("--cache-limit: %w", err)
	}
	cfg.CacheLimit = limit
	if cfg.ReadAhead < 0 {
		return cfg, usagef("--read-ahead %d: must not be negative", cfg.ReadAhead)
	}
	for _, f := range strings.Split(o.features, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.Features = append(cfg.Features, f)
		}
	}
	if len(cfg.Features) == 0 || o.target == "" {
		return cfg, usagef("--features and --target must name columns")
	}
	if o.embargo < 0 {
		return cfg, usagef("--embargo %d: must not be negative", o.embargo)
	}
	if cfg.TrainEnd, err = loader.ParseBoundary(o.trainEnd); err != nil {
		return cfg, usagef("--train-end %w", err)
	}
	if cfg.ValEnd, err = loader.ParseBoundary(o.valEnd); err != nil {
		return cfg, usagef("--val-end %w", err)
	}
	if !cfg.ValEnd.IsZero() && (cfg.TrainEnd.IsZero() || !cfg.ValEnd.After(cfg.TrainEnd)) {
		return cfg, usagef("--val-end %s needs an earlier --train-end", o.valEnd)
	}
	return cfg, nil
}

// emitTarget returns where the npy stream goes: stdout, or the first client
// to connect to addr, which must be a loopback address.
func emitTarget(ctx context.Context, addr string, stdout, report io.Writer) (io.Writer, func(), error) {
	if addr == "" {
		return stdout, func() {}, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, nil, usagef("--listen %q: want a loopback address such as 127.0.0.1:5555", addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("batches: %w", err)
	}
	defer ln.Close()
	fmt.Fprintf(report, "waiting for a client on %s\n", ln.Addr())
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	conn, err := ln.Accept()
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, &exitError{code: exitInterrupted, err: fmt.Errorf("batches: interrupted while waiting for a client")}
		}
		return nil, nil, fmt.Errorf("batches: %w", err)
	}
	return conn, func() { conn.Close() }, nil
}

// stats counts what an epoch yielded.
type stats struct {
	batches, samples, bytes int
	elapsed                 time.Duration
}

func (s *stats) add(b *loader.Batch) {
	s.batches++
	s.samples += b.Size
	s.bytes += b.Bytes()
}

func (s *stats) merge(o stats) {
	s.batches += o.batches
	s.samples += o.samples
	s.bytes += o.bytes
	s.elapsed += o.elapsed
}

func (s stats) String() string {
	sec := s.elapsed.Seconds()
	if sec == 0 {
		sec = 1e-9
	}
	return fmt.Sprintf("%d batches, %d samples in %s: %.0f samples/s, %.1f batches/s, %.2f GB/s",
		s.batches, s.samples, s.elapsed.Round(time.Microsecond), float64(s.samples)/sec, float64(s.batches)/sec, float64(s.bytes)/sec/1e9)
}
