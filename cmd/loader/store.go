package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

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
