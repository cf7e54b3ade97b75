package sinks

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
// datasets); the marker lets New recognise what a killed run left behind.
const tempMarker = ".tmp-"

// isTemp reports whether name (a base name) is a temporary file of a sink.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempMarker)
}

// atomicFile is a file written under a temporary name in the directory of
// its final name, which it takes only in commit, after an fsync. It hashes
// and counts the bytes as they are written.
type atomicFile struct {
	f     *os.File
	buf   *bufio.Writer
	sum   hash.Hash
	n     int64
	final string
}

// createAtomic starts the file whose final path is final.
func createAtomic(final string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+tempMarker+"*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{f: f, buf: bufio.NewWriterSize(f, 256<<10), sum: sha256.New(), final: final}, nil
}

// Write buffers p. atomicFile has no Close method on purpose: the format
// writers close what they write to when they finish, and the file must stay
// open until it is synced.
func (a *atomicFile) Write(p []byte) (int, error) {
	n, err := a.buf.Write(p)
	a.sum.Write(p[:n])
	a.n += int64(n)
	return n, err
}

// tempPath returns the temporary path of a.
func (a *atomicFile) tempPath() string { return a.f.Name() }

// finalMode is the permission of a finished file: readable by everyone, as
// files made with os.Create are under the usual umask (the temporary file
// is created private, 0600).
const finalMode = 0o644

// commit flushes, syncs and closes the file and renames it to its final
// name. On error the temporary file is removed.
func (a *atomicFile) commit() error {
	err := a.buf.Flush()
	if err == nil {
		err = a.f.Chmod(finalMode)
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

// discard closes and removes the temporary file.
func (a *atomicFile) discard() {
	a.f.Close()
	os.Remove(a.f.Name())
}

// hexSum returns the SHA-256 of every byte written, in hex.
func (a *atomicFile) hexSum() string { return hex.EncodeToString(a.sum.Sum(nil)) }

// syncDir makes a rename in dir durable. It is best effort: the rename has
// already happened and is visible, and some file systems refuse to sync a
// directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// removeStaleTemps removes the temporary files in dir and in its hive
// partition directories (symbol=...), which only a killed run leaves.
func removeStaleTemps(dir string) error {
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
			case !e.IsDir() && isTemp(e.Name()):
				if err := os.Remove(filepath.Join(d, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			case e.IsDir() && d == dir && strings.HasPrefix(e.Name(), hiveKey+"="):
				clean(filepath.Join(d, e.Name()))
			}
		}
	}
	clean(dir)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sinks: remove stale temporary files in %s: %w", dir, err)
	}
	return nil
}
