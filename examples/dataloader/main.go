// Command dataloader iterates the DataLoader over the files `loader fetch`
// wrote and prints the batch shapes, one sample, and the throughput per
// epoch — the smallest complete use of package loader.
//
//	go run ./cmd/loader fetch --symbols AAPL,GOOGL,MSFT --out data
//	go run ./examples/dataloader -in data
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/seed-c7c8f39b/loader/loader"
)

func main() {
	err := run(context.Background(), os.Stdout, os.Args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "dataloader:", err)
		os.Exit(1)
	}
}

// run parses args, iterates the loader and writes the report to w.
func run(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("dataloader", flag.ContinueOnError)
	in := fs.String("in", "data", "`directory` written by loader fetch")
	window := fs.Int("window", 32, "rows per window")
	batch := fs.Int("batch-size", 256, "samples per batch")
	workers := fs.Int("workers", 0, "goroutines assembling batches (0: one per CPU)")
	epochs := fs.Int("epochs", 3, "epochs to iterate")
	if err := fs.Parse(args); err != nil {
		return err
	}

	ds, err := loader.Open(*in, loader.DatasetConfig{
		Features: []string{"open", "high", "low", "close", "volume", loader.LogReturn},
		Target:   loader.LogReturn,
	})
	if err != nil {
		return fmt.Errorf("%w (create the files with: go run ./cmd/loader fetch --symbols AAPL,GOOGL,MSFT --out %s)", err, *in)
	}
	l, err := loader.New(ds, loader.Config{Window: *window, BatchSize: *batch, Shuffle: true, Seed: 1, Workers: *workers})
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(w, "%d symbols %v, %d rows, %d windows, %d batches per epoch\n",
		len(ds.Symbols()), ds.Symbols(), ds.Rows(), l.Samples(), l.Len())

	for e := range *epochs {
		start := time.Now()
		samples, bytes := 0, 0
		for {
			b, err := l.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if e == 0 && b.Index == 0 {
				fmt.Fprintf(w, "batch 0: X [%d %d %d] float32, Y [%d %d] float32\n", b.Size, b.Window, b.Features, b.Size, b.Horizon)
				last := b.X[(b.Window-1)*b.Features : b.Window*b.Features]
				fmt.Fprintf(w, "  sample 0: %s window ending %s, last row %v (%v), label %v\n",
					b.Symbols[0], b.Dates[0].Format(time.DateOnly), last, ds.Features(), b.Y[:b.Horizon])
			}
			samples += b.Size
			bytes += b.Bytes()
			b.Release()
		}
		sec := time.Since(start).Seconds()
		fmt.Fprintf(w, "epoch %d: %d samples in %.1f ms: %.2f M samples/s, %.2f GB/s\n",
			e, samples, sec*1e3, float64(samples)/sec/1e6, float64(bytes)/sec/1e9)
	}
	return nil
}
