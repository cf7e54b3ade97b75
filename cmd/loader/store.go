package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	// s3:// for every command that takes a dataset location.
	_ "github.com/seed-c7c8f39b/loader/dataset/store/s3store"
)

// openStore opens the dataset location a flag names, a directory or an
// object-store URL, and makes one request to check it can be used, so that
// a missing bucket or refused credentials fail the command before it
// spends anything else.
func openStore(ctx context.Context, flag, location string) (store.Store, error) {
	st, err := store.Open(ctx, location)
	if err != nil {
		return nil, usagef("%s: %w", flag, err)
	}
	if err := st.Check(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// lockManifest takes the lock object of the manifest a run writes to an
// object store, so that a second writer of the same manifest (the same
// shard, or two runs without --shard) stops at once with exit status 75.
// Writers of different shards take different locks and run together. A
// local directory needs no lock object; release is then a no-op.
func lockManifest(ctx context.Context, st store.Store, manifest string) (release func(), err error) {
	if _, local := st.(*store.Dir); local {
		return func() {}, nil
	}
	lease, err := store.AcquireLease(ctx, st, dataset.LockName(manifest), 0)
	var locked *store.LockedError
	if errors.As(err, &locked) {
		return nil, &exitError{code: exitTempFail, err: fmt.Errorf("another run writes this dataset: %w; run again later", err)}
	}
	if err != nil {
		return nil, err
	}
	return func() {
		if err := lease.Release(context.WithoutCancel(ctx)); err != nil {
			slog.Warn("could not remove the lock object", "err", err)
		}
	}, nil
}

// parseSize reads a size in bytes: a number with an optional unit, K, M,
// G or T (powers of 1024, with or without "iB"/"B"): "20GiB", "512M".
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := 1.0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mult, t = float64(int64(1)<<(10*(i+1))), t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || v < 0 || v*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("%q: want a size such as 20GiB or 512M", s)
	}
	return int64(v * mult), nil
}
