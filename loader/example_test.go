package loader_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

// The files would come from `loader fetch --symbols AAPL,MSFT --out data`;
// here they are written from the same synthetic sample series.
func Example() {
	dir, _ := os.MkdirTemp("", "loader-example")
	defer os.RemoveAll(dir)
	if err := loadertest.Write(dir, loadertest.Parquet, "AAPL", "MSFT"); err != nil {
		fmt.Println(err)
		return
	}

	ds, err := loader.Open(dir, loader.DatasetConfig{
		Features: []string{"close", "volume", loader.LogReturn},
		Target:   loader.LogReturn,
		TrainEnd: time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC),
		ValEnd:   time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC),
		Embargo:  5,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := loader.New(ds, loader.Config{Split: loader.Train, Window: 32, BatchSize: 256, Shuffle: true, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	fmt.Println(ds.Symbols(), l.Samples(), "windows in", l.Len(), "batches")
	for {
		b, err := l.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if b.Index == 0 {
			fmt.Printf("X [%d %d %d] Y [%d %d]\n", b.Size, b.Window, b.Features, b.Size, b.Horizon)
		}
		b.Release()
	}
	// Output:
	// [AAPL MSFT] 7238 windows in 29 batches
	// X [256 32 3] Y [256 1]
}

// A state saved with a checkpoint resumes exactly where training stopped.
func ExampleLoader_State() {
	dir, _ := os.MkdirTemp("", "loader-example")
	defer os.RemoveAll(dir)
	if err := loadertest.Write(dir, loadertest.Parquet, "AAPL"); err != nil {
		fmt.Println(err)
		return
	}
	ds, _ := loader.Open(dir, loader.DatasetConfig{})
	cfg := loader.Config{BatchSize: 1000, Shuffle: true, Seed: 7}

	l, _ := loader.New(ds, cfg)
	b, _ := l.Next(context.Background())
	b.Release()
	st := l.State() // save with the model
	l.Close()

	resumed, _ := loader.New(ds, cfg)
	defer resumed.Close()
	if err := resumed.Restore(st); err != nil {
		fmt.Println(err)
		return
	}
	b, _ = resumed.Next(context.Background())
	fmt.Println("epoch", st.Epoch, "resumes at batch", b.Index, "of", resumed.Len())
	b.Release()
	// Output:
	// epoch 0 resumes at batch 1 of 6
}
