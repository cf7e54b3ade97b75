package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seed-c7c8f39b/loader/internal/atomicfile"
)

// Dir is a dataset directory on the local file system. It writes as loader
// always has: a hidden temporary file in the final file's directory,
// synced, then renamed into place.
type Dir struct {
	path string
}

// NewDir returns the store of the directory at path. It creates nothing:
// writes create the directories they need.
func NewDir(path string) *Dir { return &Dir{path: path} }

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

// String returns the directory's path.
func (d *Dir) String() string { return d.path }

// file returns the path of key, refusing one that would leave the
// directory.
func (d *Dir) file(key string) (string, error) {
	rel := filepath.FromSlash(key)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("store: key %q leaves %s", key, d.path)
	}
	return filepath.Join(d.path, rel), nil
}

// List returns every regular file below the directory, sorted by key.
func (d *Dir) List(ctx context.Context) ([]Object, error) {
	var objs []Object
	err := filepath.WalkDir(d.path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.path, p)
		if err != nil {
			return err
		}
		objs = append(objs, Object{Key: filepath.ToSlash(rel), Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", d.path, err)
	}
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objs, nil
}

// Stat describes the regular file key.
func (d *Dir) Stat(_ context.Context, key string) (Object, error) {
	p, err := d.file(key)
	if err != nil {
		return Object{}, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return Object{}, fmt.Errorf("store: %w", err)
	}
	if !info.Mode().IsRegular() {
		return Object{}, fmt.Errorf("store: %s is not a regular file", p)
	}
	return Object{Key: key, Size: info.Size(), ModTime: info.ModTime()}, nil
}

// Open opens the file key.
func (d *Dir) Open(ctx context.Context, key string) (Reader, error) {
	p, err := d.file(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return &dirReader{File: f, obj: Object{Key: key, Size: info.Size(), ModTime: info.ModTime()}}, nil
}

type dirReader struct {
	*os.File
	obj Object
}

func (r *dirReader) Size() int64    { return r.obj.Size }
func (r *dirReader) Object() Object { return r.obj }

// ReadFile reads the file key.
func (d *Dir) ReadFile(_ context.Context, key string) ([]byte, error) {
	p, err := d.file(key)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p) // its errors name the file
}

// WriteFile replaces the file key atomically: temporary file, fsync,
// rename.
func (d *Dir) WriteFile(_ context.Context, key string, data []byte) error {
	p, err := d.mkdirFor(key)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(p, data)
}

// CreateExclusive creates the file key with data unless it exists.
func (d *Dir) CreateExclusive(_ context.Context, key string, data []byte) error {
	p, err := d.mkdirFor(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, atomicfile.Mode)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return fmt.Errorf("store: write %s: %w", p, err)
	}
	return nil
}

// Create starts the file key under a hidden temporary name beside it.
func (d *Dir) Create(ctx context.Context, key string) (Upload, error) {
	p, err := d.mkdirFor(key)
	if err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(p)
	if err != nil {
		return nil, err
	}
	return &dirUpload{File: f, ctx: ctx, key: key}, nil
}

func (d *Dir) mkdirFor(key string) (string, error) {
	p, err := d.file(key)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return p, nil
}

type dirUpload struct {
	*atomicfile.File
	ctx context.Context
	key string
}

func (u *dirUpload) Commit() (Object, error) {
	if err := u.ctx.Err(); err != nil {
		u.File.Discard()
		return Object{}, fmt.Errorf("store: write %s: %w", u.File.Final(), err)
	}
	if err := u.File.Commit(); err != nil {
		return Object{}, err
	}
	return Object{Key: u.key, Size: u.File.Size()}, nil
}

// Abort removes the temporary file. It is safe while a Write is in
// progress, which then fails or goes to a file nobody will see.
func (u *dirUpload) Abort() { u.File.Discard() }

// Delete removes the file key.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.file(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Check fails if the path exists and is not a directory. A missing
// directory is fine: writers create it, readers find it empty.
func (d *Dir) Check(context.Context) error {
	info, err := os.Stat(d.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("store: %w", err)
	case !info.IsDir():
		return fmt.Errorf("store: %s is not a directory", d.path)
	}
	return nil
}

// Close does nothing: a directory holds no connection.
func (d *Dir) Close() error { return nil }
