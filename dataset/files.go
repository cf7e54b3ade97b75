package dataset

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seed-c7c8f39b/loader/sources"
)

// PartitionKey is the partition key of the hive layout: its directories
// are named PartitionKey=NAME, NAME the symbol's [FileName]. It is the
// symbol column's name, as readers of hive datasets make the key a column.
const PartitionKey = sources.ColSymbol

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
// directory (".../symbol=EURUSD%3DX/part-0.parquet" names "EURUSD=X"), and
// false if it has none or its name is not a [FileName].
func PartitionSymbol(path string) (string, bool) {
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if v, ok := strings.CutPrefix(part, PartitionKey+"="); ok && v != "" {
			sym, err := SymbolOf(v)
			return sym, err == nil
		}
	}
	return "", false
}
