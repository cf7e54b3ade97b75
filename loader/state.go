package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// State is the position of a Loader, small enough to save with every model
// checkpoint (it marshals to JSON). Restoring it resumes exactly after the
// last batch Next returned.
type State struct {
	Seed uint64 `json:"seed"`
	// Epoch and Batch: the next batch to yield is batch Batch of epoch Epoch.
	Epoch int `json:"epoch"`
	Batch int `json:"batch"`
	// Start is the number of samples of the epoch's order consumed before
	// its batches began: 0, except in an epoch resumed with another world
	// size.
	Start     int `json:"start,omitempty"`
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
	epoch, next, start := l.epoch, l.next, l.cur.start
	if l.done {
		epoch, next, start = epoch+1, 0, 0
	}
	return State{
		Seed:      l.cfg.Seed,
		Epoch:     epoch,
		Batch:     next,
		Start:     start,
		Rank:      l.cfg.Rank,
		WorldSize: l.cfg.WorldSize,
		Files:     l.ds.fingerprint,
		Config:    l.configID(),
	}
}

// Restore moves the loader to st, so that the next batch is the one the
// loader that saved st had not yet yielded.
//
// With the world size st was saved with, the rank must be the same too, and
// the loader yields exactly the batches the saving loader had not yielded.
//
// With another world size, st may come from any rank of the old world, as
// long as every old rank had yielded as many batches of the epoch as the one
// that saved it: ranks training in lockstep that save at the same step do,
// so every new rank may load rank 0's state. The samples of the epoch that
// the old ranks had not yielded are then split anew among the new ranks, as
// a shorter epoch with equal batch counts per rank: together, the old and
// the new ranks yield every sample of the epoch once, no sample lost or
// repeated (padding and DropLast apply to that rest as they do to a whole
// epoch). A state at the end of an epoch resumes at the next one. The epochs
// after it are sharded for the new world size as usual.
//
// Restore refuses with ErrFilesChanged when the dataset's files differ, and
// with ErrStateMismatch when the seed or configuration differ, or the rank
// at the same world size.
func (l *Loader) Restore(st State) error {
	if st.Files != l.ds.fingerprint {
		return fmt.Errorf("%w: state has %s, files now %s", ErrFilesChanged, st.Files, l.ds.fingerprint)
	}
	mismatch := func(what string, saved, now any) error {
		return fmt.Errorf("%w: %s is %v in the state, %v here", ErrStateMismatch, what, saved, now)
	}
	n, c := len(l.samples), l.cfg
	switch {
	case st.Config != l.configID():
		return mismatch("config", st.Config, l.configID())
	case st.Seed != c.Seed:
		return mismatch("seed", st.Seed, c.Seed)
	case st.WorldSize == c.WorldSize && st.Rank != c.Rank:
		return mismatch("rank", st.Rank, c.Rank)
	case st.WorldSize < 1 || st.Rank < 0 || st.Rank >= st.WorldSize:
		return fmt.Errorf("%w: rank %d is not in [0, world size %d)", ErrStateMismatch, st.Rank, st.WorldSize)
	case st.Epoch < 0 || st.Start < 0 || st.Start > n:
		return fmt.Errorf("%w: position epoch %d start %d is outside 0..%d", ErrStateMismatch, st.Epoch, st.Start, n)
	}
	saved := newShard(n, st.Start, st.Rank, st.WorldSize, c.BatchSize, c.DropLast)
	if st.Batch < 0 || st.Batch > saved.batches {
		return fmt.Errorf("%w: position epoch %d batch %d is outside 0..%d", ErrStateMismatch, st.Epoch, st.Batch, saved.batches)
	}
	l.stop()
	l.done = false
	switch {
	case st.WorldSize == c.WorldSize:
		l.epoch, l.next, l.cur = st.Epoch, st.Batch, saved
	case st.Batch == saved.batches:
		l.epoch, l.next, l.cur = st.Epoch+1, 0, l.shard
	default:
		l.epoch, l.next = st.Epoch, 0
		l.cur = newShard(n, saved.consumed(st.Batch), c.Rank, c.WorldSize, c.BatchSize, c.DropLast)
	}
	return nil
}

// configID hashes the configuration that decides the batches.
func (l *Loader) configID() string {
	d, c := l.ds.cfg, l.cfg
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %s %s %d %t|%s %d %d %d %d %t %t",
		d.Features, d.Target, l.boundaryID(d.TrainEnd), l.boundaryID(d.ValEnd), d.Embargo, d.Normalize,
		c.Split, c.Window, c.Horizon, c.Stride, c.BatchSize, c.DropLast, c.Shuffle)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// boundaryID is split boundary t as configID hashes it: its date, as ever
// over daily bars; over intraday ones, the instant that ends the split.
func (l *Loader) boundaryID(t time.Time) string {
	if !l.ds.Intraday() || t.IsZero() {
		return t.Format(time.DateOnly)
	}
	return strconv.FormatInt(lastOf(t, l.ds.zone), 10)
}
