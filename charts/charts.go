// Package charts renders one chart per ticker from the files `loader fetch`
// writes: the close with its moving averages above, the volume below, on a
// shared time axis, as PNG or SVG.
//
// Daily, weekly and monthly bars stand at their dates on a calendar axis.
// Intraday bars (a timestamp column) stand one per step, in order: the
// nights, weekends and holidays between sessions take no room, and the
// axis is labelled at the first bar of each day (of each month over a
// long range, at the hours within a single day), in the exchange's time.
// Moving averages count bars, and the chart names the bar length it
// found ("daily", "weekly", "5-minute").
//
// RenderDir finds the files in a directory (in any layout of package
// dataset), makes one task per file (per partition directory for hive
// layouts), and hands the tasks to a Runner: Sequential, or Parallel on a
// conc pool with a worker limit. Each task reads its file and renders its symbols, so both
// the reading and the drawing spread over the workers.
package charts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/atomicfile"
	"github.com/seed-c7c8f39b/loader/sources"
)

// Options selects what RenderDir draws and how.
type Options struct {
	// Symbols limits the charts to these symbols; empty means every symbol
	// found. A listed symbol that is not found is an error.
	Symbols []string
	// Style sets the look and the dates shown of every chart.
	Style Style
	// Runner runs the per-file tasks; nil means Sequential.
	Runner Runner
	// Mem allocates the Arrow buffers files are read into; nil means the
	// Go allocator.
	Mem memory.Allocator
}

// RenderDir renders a chart of every selected symbol found under in to
// out/<SYMBOL>.<format>, creating out if needed, and returns the paths
// written, sorted. Of a dataset (a directory with a manifest) it reads only
// the files the manifest lists (see dataset.Files). Each file appears under its final name only when
// complete. Errors name the file or symbol; the charts that could be
// rendered are written even when others fail.
func RenderDir(ctx context.Context, in, out string, opts Options) ([]string, error) {
	if opts.Runner == nil {
		opts.Runner = Sequential{}
	}
	if opts.Mem == nil {
		opts.Mem = memory.NewGoAllocator()
	}
	opts.Style = opts.Style.withDefaults()
	paths, read, done, err := inputs(ctx, in)
	if err != nil {
		return nil, err
	}
	defer done()
	if len(paths) == 0 {
		return nil, fmt.Errorf("render %s: no .parquet, .arrow or .csv files", in)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}

	wanted := map[string]bool{}
	for _, s := range opts.Symbols {
		wanted[s] = true
	}
	var (
		mu      sync.Mutex
		written []string
		seen    = map[string]bool{}
	)
	var tasks []Task
	for _, group := range groups(paths) {
		tasks = append(tasks, func(ctx context.Context) error {
			series, err := load(ctx, group, read, opts)
			if err != nil {
				return err
			}
			var errs []error
			for _, symbol := range sortedKeys(series) {
				if len(wanted) > 0 && !wanted[symbol] {
					continue
				}
				mu.Lock()
				dup := seen[symbol]
				seen[symbol] = true
				mu.Unlock()
				if dup {
					errs = append(errs, fmt.Errorf("render %s: symbol %s appears in more than one file group", group[0], symbol))
					continue
				}
				path := filepath.Join(out, FileName(symbol, opts.Style.Format))
				if err := WriteFile(path, series[symbol], opts.Style); err != nil {
					errs = append(errs, err)
					continue
				}
				mu.Lock()
				written = append(written, path)
				mu.Unlock()
			}
			return errors.Join(errs...)
		})
	}
	err = opts.Runner.Run(ctx, tasks)
	if ctx.Err() == nil {
		for _, s := range opts.Symbols {
			if !seen[s] {
				err = errors.Join(err, fmt.Errorf("render %s: no rows for symbol %s", in, s))
			}
		}
	}
	slices.Sort(written)
	return written, err
}

// groups splits paths into the units one task reads: every file alone,
// except the parts of one hive partition, which belong together.
func groups(paths []string) [][]string {
	var out [][]string
	byDir := map[string]int{}
	for _, p := range paths {
		if _, ok := dataset.PartitionSymbol(p); ok {
			dir := filepath.Dir(p)
			if i, ok := byDir[dir]; ok {
				out[i] = append(out[i], p)
				continue
			}
			byDir[dir] = len(out)
		}
		out = append(out, []string{p})
	}
	return out
}

// chartColumns are the columns a chart is drawn from; a file's others are
// not read.
var chartColumns = []string{sources.ColSymbol, sources.ColDate, sources.ColTimestamp, sources.ColClose, sources.ColVolume}

// load reads the files of one group and returns its series by symbol.
func load(ctx context.Context, group []string, read readFunc, opts Options) (map[string]*Series, error) {
	all := map[string]*Series{}
	for _, path := range group {
		f, err := read(ctx, path, opts.Mem, chartColumns...)
		if err != nil {
			return nil, err
		}
		series, err := seriesOf(f)
		f.Release()
		if err != nil {
			return nil, err
		}
		for sym, s := range series {
			if have, ok := all[sym]; ok {
				merge(have, s)
			} else {
				all[sym] = s
			}
		}
	}
	for _, s := range all {
		sortByDate(s)
	}
	return all, nil
}

func sortedKeys(m map[string]*Series) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// FileName returns the chart file name for symbol: the symbol with any
// character outside [A-Za-z0-9._-] replaced by '_', and a leading '.'
// replaced too, so the name can neither leave its directory nor be hidden.
func FileName(symbol string, format Format) string {
	name := []rune(symbol)
	for i, r := range name {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || (r == '.' && i > 0)
		if !ok {
			name[i] = '_'
		}
	}
	if len(name) == 0 {
		name = []rune("_")
	}
	return string(name) + "." + string(format)
}

// WriteFile renders s to path atomically: into a hidden temporary file in
// the same directory, renamed to path only once complete.
func WriteFile(path string, s *Series, style Style) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("chart %s: %w", s.Symbol, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Render(tmp, s, style); err != nil {
		return err
	}
	// CreateTemp makes the file private; a finished chart is readable by
	// all, as the data files are.
	if err := tmp.Chmod(atomicfile.Mode); err != nil {
		return fmt.Errorf("chart %s: %w", s.Symbol, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("chart %s: %w", s.Symbol, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("chart %s: %w", s.Symbol, err)
	}
	return nil
}

// ParseFormat returns the Format named by s ("png" or "svg", any case).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case PNG, SVG:
		return f, nil
	}
	return "", fmt.Errorf("unknown chart format %q (want png or svg)", s)
}
