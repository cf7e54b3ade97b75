// Package loader is the DataLoader: it turns Parquet or Arrow IPC files of
// bars (what `loader fetch` writes: daily, weekly, monthly or intraday)
// into training batches of time-series windows.
//
// A [Dataset] loads the chosen feature and target columns of every file into
// memory once, as contiguous float32 rows per symbol. A sample is a window of
// Window consecutive rows of one symbol, never spanning two symbols; its
// label is the target at the Horizon rows that follow the window:
//
//	rows   s … s+Window-1   s+Window … s+Window+Horizon-1
//	       └── X: features ┘└────────── Y: target ──────┘
//
// A [Loader] iterates a split of a Dataset in batches:
//
//	ds, err := loader.Open("data", loader.DatasetConfig{
//		Features: []string{loader.LogReturn, "volume"},
//		Target:   loader.LogReturn,
//		TrainEnd: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC),
//	})
//	l, err := loader.New(ds, loader.Config{Split: loader.Train, Window: 32, BatchSize: 256, Shuffle: true, Seed: 1})
//	defer l.Close()
//	for {
//		b, err := l.Next(ctx) // io.EOF at the end of each epoch
//		...
//		b.Release()
//	}
//
// The contract training code relies on:
//
//   - Order. The batches of an epoch are a pure function of the dataset, the
//     configuration, the seed and the epoch number. Workers assemble batches
//     by index and a reorder step hands them out in order, so the number of
//     workers changes speed, never content or order.
//   - Memory. Batches come from a pool and go back to it on [Batch.Release];
//     at most Prefetch batches are assembled ahead of the consumer.
//   - Sharding. Rank and WorldSize split every epoch into disjoint,
//     interleaved shares of equal batch counts, like PyTorch's
//     DistributedSampler (see [Config.DropLast] for how remainders are
//     handled, and [Batch.Padded] for the padding DistributedSampler hides).
//   - Splits. Train, validation and test are cut by date, with an optional
//     embargo, so no window or label of one split reads a row of another.
//
// Intraday datasets (a timestamp column, see [Dataset.Intraday]) work the
// same way, per bar: a window is Window consecutive bars, running on
// across the night and the weekend as the bars do; the embargo counts
// bars; a split boundary is a date (the split ends with that day's last
// bar in exchange time) or, when it is not a midnight, an instant; and a
// batch's Dates are the bars' timestamps in the exchange's zone.
//   - Resume. [Loader.State] is a small JSON-serialisable value; a loader
//     restored from it yields exactly the batches not yet yielded, and
//     refuses when the files or the configuration changed. Restored with
//     another world size, it splits the rest of the epoch anew among the
//     new ranks: no sample lost or repeated.
package loader
