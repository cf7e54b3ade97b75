package loader_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

// take returns the samples (padding excluded) of the next n batches of l,
// or of the rest of the epoch when n < 0, and how many batches that was.
func take(t *testing.T, l *loader.Loader, n int) (keys []sampleKey, batches int) {
	t.Helper()
	for n < 0 || batches < n {
		b, err := l.Next(context.Background())
		if err == io.EOF {
			if n >= 0 {
				t.Fatalf("epoch ended after %d of the %d batches asked for", batches, n)
			}
			return keys, batches
		}
		if err != nil {
			t.Fatal(err)
		}
		for j := range b.Size - b.Padded {
			keys = append(keys, sampleKey{b.Symbols[j], b.Dates[j]})
		}
		b.Release()
		batches++
	}
	return keys, batches
}

// TestResumeWithAnotherWorldSize trains part of an epoch on one world size,
// saves rank 0's state, and resumes it on the next world size: every rank of
// the new world loads that one state. Over all worlds, every sample of the
// epoch must be yielded exactly once, and the epoch after must be sharded
// for the last world size as if it had been used from the start.
func TestResumeWithAnotherWorldSize(t *testing.T) {
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	const batch = 50
	tests := []struct {
		name     string
		worlds   []int
		after    []int // batches each rank of worlds[i] yields before the next world takes over
		dropLast bool
	}{
		{"2 to 3", []int{2, 3}, []int{20}, false},
		{"3 to 2", []int{3, 2}, []int{13}, false},
		{"1 to 4", []int{1, 4}, []int{101}, false},
		{"4 to 1", []int{4, 1}, []int{7}, false},
		{"2 to 3 to 1", []int{2, 3, 1}, []int{9, 20}, false},
		{"at the start", []int{2, 3}, []int{0}, false},
		{"2 to 3 drop last", []int{2, 3}, []int{20}, true},
		{"3 to 2 to 4 drop last", []int{3, 2, 4}, []int{10, 11}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loader.Config{Window: 8, Stride: 3, BatchSize: batch, Shuffle: true, Seed: 11, DropLast: tt.dropLast}
			all := newLoader(t, ds, cfg).Samples()
			seen := map[sampleKey]int{}
			var saved []byte // rank 0's state from the world before
			for w, world := range tt.worlds {
				last := w == len(tt.worlds)-1
				counts := map[int]bool{}
				var next []byte
				for rank := range world {
					c := cfg
					c.Rank, c.WorldSize = rank, world
					l := newLoader(t, ds, c)
					if saved != nil {
						var st loader.State
						if err := json.Unmarshal(saved, &st); err != nil {
							t.Fatal(err)
						}
						if err := l.Restore(st); err != nil {
							t.Fatalf("world %d rank %d: Restore: %v", world, rank, err)
						}
					}
					n := -1
					if !last {
						n = tt.after[w]
					}
					keys, got := take(t, l, n)
					counts[got] = true
					for _, k := range keys {
						seen[k]++
					}
					if rank == 0 && !last {
						if next, _ = json.Marshal(l.State()); next == nil {
							t.Fatal("State did not marshal")
						}
					}
				}
				if !last {
					saved = next
				}
				if len(counts) != 1 {
					t.Errorf("world %d: ranks yielded different batch counts %v", world, counts)
				}
				if last && tt.dropLast {
					// DropLast drops the rest's remainder: at most a batch per rank.
					if lost := all - len(seen); lost < 0 || lost >= world*batch {
						t.Errorf("drop last: %d of %d samples not yielded", lost, all)
					}
				}
			}
			for k, n := range seen {
				if n > 1 {
					t.Fatalf("sample %v yielded %d times", k, n)
				}
			}
			if !tt.dropLast && len(seen) != all {
				t.Errorf("%d samples yielded, want all %d", len(seen), all)
			}

			// The next epoch is the last world's usual epoch 1.
			world := tt.worlds[len(tt.worlds)-1]
			for rank := range world {
				c := cfg
				c.Rank, c.WorldSize = rank, world
				resumed, fresh := newLoader(t, ds, c), newLoader(t, ds, c)
				var st loader.State
				json.Unmarshal(saved, &st)
				if err := resumed.Restore(st); err != nil {
					t.Fatal(err)
				}
				take(t, resumed, -1)
				if err := fresh.SetEpoch(1); err != nil {
					t.Fatal(err)
				}
				got, _, _ := epoch(t, resumed)
				want, _, _ := epoch(t, fresh)
				if !slices.Equal(got, want) || len(got) != fresh.Len() {
					t.Errorf("rank %d: epoch after the resumed one differs from a fresh epoch 1", rank)
				}
			}
		})
	}
}

// TestResumedEpochIsShorter: Len stays the batches of a whole epoch, while
// the resumed epoch yields only what is left of it.
func TestResumedEpochIsShorter(t *testing.T) {
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, "AAPL")
	cfg := loader.Config{BatchSize: 100, Rank: 0, WorldSize: 2}
	old := newLoader(t, ds, cfg)
	take(t, old, 10)
	cfg.WorldSize = 1
	l := newLoader(t, ds, cfg)
	if err := l.Restore(old.State()); err != nil {
		t.Fatal(err)
	}
	_, got := take(t, l, -1)
	if want := (l.Samples() - 10*100*2 + 99) / 100; got != want || l.Len() != (l.Samples()+99)/100 {
		t.Errorf("resumed epoch: %d batches, want %d; Len %d", got, want, l.Len())
	}
	if st := l.State(); st.Epoch != 1 || st.Batch != 0 || st.Start != 0 {
		t.Errorf("state after the resumed epoch: %+v, want epoch 1 from its start", st)
	}
}

func TestSetEpoch(t *testing.T) {
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	cfg := loader.Config{BatchSize: 200, Shuffle: true, Seed: 4, Workers: 2}
	ref := newLoader(t, ds, cfg)
	var want [][]string
	for range 3 {
		d, _, _ := epoch(t, ref)
		want = append(want, d)
	}
	tests := []struct {
		name   string
		before int // batches taken before SetEpoch
		epoch  int
	}{
		{"fresh loader", 0, 2},
		{"mid-epoch", 3, 1},
		{"back to 0", 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoader(t, ds, cfg)
			take(t, l, tt.before)
			if err := l.SetEpoch(tt.epoch); err != nil {
				t.Fatal(err)
			}
			if got, _, _ := epoch(t, l); !slices.Equal(got, want[tt.epoch]) {
				t.Errorf("after SetEpoch(%d): batches differ from epoch %d", tt.epoch, tt.epoch)
			}
		})
	}
	if err := newLoader(t, ds, cfg).SetEpoch(-1); err == nil {
		t.Error("SetEpoch(-1) accepted")
	}
}

func TestPauseKeepsThePosition(t *testing.T) {
	ds, _ := openSample(t, loadertest.Parquet, loader.DatasetConfig{}, symbols...)
	cfg := loader.Config{BatchSize: 100, Shuffle: true, Seed: 8, Workers: 3, Prefetch: 6}
	want, _, _ := epoch(t, newLoader(t, ds, cfg))
	l := newLoader(t, ds, cfg)
	var got []string
	for i := 0; ; i++ {
		b, err := l.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, digest(b))
		b.Release()
		if i%7 == 3 {
			l.Pause()
			if err := goleak.Find(); err != nil {
				t.Fatalf("after Pause, batch %d: %v", i, err)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pausing changed the batches: %d, want %d", len(got), len(want))
	}
}

func ExampleLoader_Restore_anotherWorldSize() {
	dir, _ := os.MkdirTemp("", "loader-example")
	defer os.RemoveAll(dir)
	if err := loadertest.Write(dir, loadertest.Parquet, "AAPL"); err != nil {
		fmt.Println(err)
		return
	}
	ds, _ := loader.Open(dir, loader.DatasetConfig{})
	// Two ranks train 10 batches of 100 each, then rank 0 saves its state.
	l, _ := loader.New(ds, loader.Config{BatchSize: 100, Rank: 0, WorldSize: 2})
	for range 10 {
		b, _ := l.Next(context.Background())
		b.Release()
	}
	st := l.State()
	l.Close()

	// The job restarts on 4 ranks, each from rank 0's state: they split the
	// 2*10*100 = 2000 samples consumed off and share the rest.
	resumed, _ := loader.New(ds, loader.Config{BatchSize: 100, Rank: 3, WorldSize: 4})
	defer resumed.Close()
	if err := resumed.Restore(st); err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	for {
		b, err := resumed.Next(context.Background())
		if err != nil {
			break
		}
		n++
		b.Release()
	}
	fmt.Printf("%d windows; rank 3 of 4 yields %d batches of the rest, then %d per epoch\n", resumed.Samples(), n, resumed.Len())
	// Output:
	// 5185 windows; rank 3 of 4 yields 8 batches of the rest, then 13 per epoch
}
