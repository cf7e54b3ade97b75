package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// State is the position of a Loader, small enough to save with every model
// checkpoint (it marshals to JSON). Restoring it resumes exactly after the
// last batch Next returned.
type State struct {
	Seed uint64 `json:"seed"`
	// Epoch and Batch: the next batch to yield is batch Batch of epoch Epoch.
	Epoch     int `json:"epoch"`
	Batch     int `json:"batch"`
	Rank      int `json:"rank"`
	WorldSize int `json:"world_size"`
	// Files is the Dataset's Fingerprint.
	Files string `json:"files"`
	// Config identifies everything else that decides the batches' content
	// and order: columns, splits, window, horizon, stride, batch size,
	// drop-last and shuffle. Workers and Prefetch are not part of it.
	Config string `json:"config"`
}

// State returns the loader's position: batches already returned by Next
// count as consumed, batches prefetched but not yet returned do not.
func (l *Loader) State() State {
	epoch, next := l.epoch, l.next
	if l.done {
		epoch, next = epoch+1, 0
	}
	return State{
		Seed:      l.cfg.Seed,
		Epoch:     epoch,
		Batch:     next,
		Rank:      l.cfg.Rank,
		WorldSize: l.cfg.WorldSize,
		Files:     l.ds.fingerprint,
		Config:    l.configID(),
	}
}

// Restore moves the loader to st, so that the next batch is the one the
// loader that saved st had not yet yielded. It refuses with ErrFilesChanged
// when the dataset's files differ, and with ErrStateMismatch when the seed,
// rank, world size or configuration differ.
func (l *Loader) Restore(st State) error {
	if st.Files != l.ds.fingerprint {
		return fmt.Errorf("%w: state has %s, files now %s", ErrFilesChanged, st.Files, l.ds.fingerprint)
	}
	mismatch := func(what string, saved, now any) error {
		return fmt.Errorf("%w: %s is %v in the state, %v here", ErrStateMismatch, what, saved, now)
	}
	switch {
	case st.Config != l.configID():
		return mismatch("config", st.Config, l.configID())
	case st.Seed != l.cfg.Seed:
		return mismatch("seed", st.Seed, l.cfg.Seed)
	case st.Rank != l.cfg.Rank:
		return mismatch("rank", st.Rank, l.cfg.Rank)
	case st.WorldSize != l.cfg.WorldSize:
		return mismatch("world size", st.WorldSize, l.cfg.WorldSize)
	case st.Epoch < 0 || st.Batch < 0 || st.Batch > l.shard.batches:
		return fmt.Errorf("%w: position epoch %d batch %d is outside 0..%d", ErrStateMismatch, st.Epoch, st.Batch, l.shard.batches)
	}
	l.stop()
	l.epoch, l.next, l.done = st.Epoch, st.Batch, false
	return nil
}

// configID hashes the configuration that decides the batches.
func (l *Loader) configID() string {
	d, c := l.ds.cfg, l.cfg
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %s %s %d %t|%s %d %d %d %d %t %t",
		d.Features, d.Target, d.TrainEnd.Format(time.DateOnly), d.ValEnd.Format(time.DateOnly), d.Embargo, d.Normalize,
		c.Split, c.Window, c.Horizon, c.Stride, c.BatchSize, c.DropLast, c.Shuffle)
	return hex.EncodeToString(h.Sum(nil)[:8])
}
