// Package datafiles knows how the files loader fetch writes are laid out in
// an output directory — one file per symbol (OUT/AAPL.parquet), hive
// partitions (OUT/symbol=AAPL/part-0.parquet) or a single file — and which
// names in it are data. It depends on nothing but the standard library, so
// that every reader of those files can share it.
package datafiles

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// hiveKey is the partition key of the hive layout.
const hiveKey = "symbol"

// Format is the kind of a data file, named by its extension.
type Format string

// The formats `loader fetch` writes.
const (
	Parquet Format = "parquet"
	Arrow   Format = "arrow"
	CSV     Format = "csv"
)

// FormatOf returns the format of path from its extension, and false for a
// file that is not a data file.
func FormatOf(path string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet", ".pq":
		return Parquet, true
	case ".arrow", ".ipc", ".feather":
		return Arrow, true
	case ".csv":
		return CSV, true
	}
	return "", false
}

// IsSkipped reports whether a name in an output directory is not data: the
// manifest and hidden or temporary files, whose names start with '.' or '_'.
func IsSkipped(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// List returns the data files under dir, sorted, walking hive partition
// directories and skipping what IsSkipped names.
func List(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && IsSkipped(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if _, ok := FormatOf(path); ok && d.Type().IsRegular() {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	slices.Sort(paths)
	return paths, nil
}

// PartitionSymbol returns the symbol a path names through a hive partition
// directory (".../symbol=AAPL/part-0.parquet"), and false if it has none.
func PartitionSymbol(path string) (string, bool) {
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if v, ok := strings.CutPrefix(part, hiveKey+"="); ok && v != "" {
			return v, true
		}
	}
	return "", false
}
