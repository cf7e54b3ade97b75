// Package atomicfile writes a file so that no reader ever sees it partial:
// under a hidden temporary name in the directory of its final name, synced,
// then renamed into place.
package atomicfile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
)

// tempMarker sits between the final name and a random suffix in the name of
// a file being written: DIR/.AAPL.parquet.tmp-123456. The leading dot hides
// it from readers that skip hidden files (DuckDB, Spark and pyarrow
// datasets); the marker lets RemoveStale recognise what a killed run left.
const tempMarker = ".tmp-"

// IsTemp reports whether name (a base name) is the temporary name of a
// File.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempMarker)
}

// Mode is the permission of a committed file: readable by everyone, as
// files made with os.Create are under the usual umask (the temporary file
// is created private, 0600).
const Mode = 0o644

// File is a file being written under a temporary name, which takes its
// final name only in Commit. It hashes and counts the bytes as they are
// written. It has no Close method on purpose: the format writers close
// what they write to when they finish, and the file must stay open until
// it is synced.
type File struct {
	f     *os.File
	buf   *bufio.Writer
	sum   hash.Hash
	n     int64
	final string
}

// Create starts the file whose final path is final. Its directory must
// exist.
func Create(final string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+tempMarker+"*")
	if err != nil {
		return nil, err
	}
	return &File{f: f, buf: bufio.NewWriterSize(f, 256<<10), sum: sha256.New(), final: final}, nil
}

// Write buffers p.
func (a *File) Write(p []byte) (int, error) {
	n, err := a.buf.Write(p)
	a.sum.Write(p[:n])
	a.n += int64(n)
	return n, err
}

// Final returns the path the file takes on Commit.
func (a *File) Final() string { return a.final }

// TempPath returns the temporary path of a.
func (a *File) TempPath() string { return a.f.Name() }

// Size returns the number of bytes written so far.
func (a *File) Size() int64 { return a.n }

// HexSum returns the SHA-256 of every byte written, in hex.
func (a *File) HexSum() string { return hex.EncodeToString(a.sum.Sum(nil)) }

// Commit flushes, syncs and closes the file and renames it to its final
// name. On error the temporary file is removed.
func (a *File) Commit() error {
	err := a.buf.Flush()
	if err == nil {
		err = a.f.Chmod(Mode)
	}
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.final)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return err
	}
	syncDir(filepath.Dir(a.final))
	return nil
}

// Discard closes and removes the temporary file.
func (a *File) Discard() {
	a.f.Close()
	os.Remove(a.f.Name())
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	out, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := out.Write(data); err != nil {
		out.Discard()
		return err
	}
	return out.Commit()
}

// syncDir makes a rename in dir durable. It is best effort: the rename has
// already happened and is visible, and some file systems refuse to sync a
// directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// RemoveStale removes the temporary files in dir and in those of its
// subdirectories that descend(name) selects (the hive partitions), which
// only a killed writer leaves.
func RemoveStale(dir string, descend func(name string) bool) error {
	var errs []error
	var clean func(d string)
	clean = func(d string) {
		entries, err := os.ReadDir(d)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, e := range entries {
			switch {
			case !e.IsDir() && IsTemp(e.Name()):
				if err := os.Remove(filepath.Join(d, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			case e.IsDir() && d == dir && descend(e.Name()):
				clean(filepath.Join(d, e.Name()))
			}
		}
	}
	clean(dir)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove stale temporary files in %s: %w", dir, err)
	}
	return nil
}
