package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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

// PathSymbol returns the symbol of the rows of the data file at path that
// lack a symbol column: its hive partition's (see PartitionSymbol), else
// the symbol whose FileName its base name is, else that base name without
// its extension.
func PathSymbol(path string) string {
	if sym, ok := PartitionSymbol(path); ok {
		return sym
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if sym, err := SymbolOf(base); err == nil {
		return sym
	}
	return base
}

// Files returns the data files of the dataset in dir, sorted: with a
// manifest, the files of the symbols it lists as ok that exist (the files a
// writer has not finished, and those it does not list, are not part of the
// dataset); without one, every data file List finds, since such a
// directory was not written by loader. A manifest that cannot be read is
// an error: what it would exclude is unknown.
func Files(dir string) ([]string, error) {
	m, err := LoadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return List(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	return m.files(dir), nil
}

// files returns the existing files of m's ok entries under dir, sorted and
// without repeats (the single layout's one file).
func (m *Manifest) files(dir string) []string {
	var paths []string
	for _, e := range m.Entries() {
		if e.Status != StatusOK || e.File == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(e.File))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// Unlisted returns the data files under dir that are not part of its
// dataset: those List finds that the manifest does not list as an ok
// symbol's file, such as the files of another format an overwritten
// dataset left, or files put there by hand. Without a manifest every file
// is part of the directory's data, and Unlisted returns none.
func Unlisted(dir string) ([]string, error) {
	m, err := LoadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	all, err := List(dir)
	if err != nil {
		return nil, err
	}
	listed := m.files(dir)
	var out []string
	for _, p := range all {
		if _, found := slices.BinarySearch(listed, p); !found {
			out = append(out, p)
		}
	}
	return out, nil
}

// RemoveUnlisted removes the files Unlisted returns, and the hive partition
// directories that it leaves empty, and returns what it removed. It is the
// end of a run that replaced a dataset (--overwrite), under its lock.
func RemoveUnlisted(dir string) ([]string, error) {
	paths, err := Unlisted(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
		if parent := filepath.Dir(p); parent != dir && strings.HasPrefix(filepath.Base(parent), PartitionKey+"=") {
			os.Remove(parent) // only if empty
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("remove files that no longer belong to %s: %w", dir, err)
	}
	return removed, nil
}
