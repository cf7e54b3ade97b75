// Package store is the place a dataset lives: a directory on the local file
// system, or a prefix of an object-store bucket such as s3://BUCKET/PREFIX.
// Writers and readers of datasets go through its small [Store] interface,
// so that every command that takes a directory also takes a URL:
//
//	data                   a local directory ([Dir])
//	file:///srv/data       the same, as a URL
//	s3://prices/daily      objects under daily/ in the bucket prices ([Bucket])
//
// Both kinds keep the same promise: an object appears under its final key
// only when it is complete. A directory writes a hidden temporary file,
// syncs it and renames it; a bucket uploads in one PUT, or in a multipart
// upload that is completed only at the end and aborted on failure.
//
// The core links no cloud SDK. A URL scheme works once a driver package
// registers it: import _ "github.com/seed-c7c8f39b/loader/dataset/store/s3store"
// for s3://, which the loader command does.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Object describes one stored object.
type Object struct {
	// Key is the object's name relative to the store, with '/' separators.
	Key  string
	Size int64
	// ETag is the object store's entity tag, which changes whenever the
	// object does; empty for a local file.
	ETag    string
	ModTime time.Time
}

// Store is a place that holds a dataset's objects. Keys are relative to it
// and use '/' separators. Every method is safe for concurrent use. Errors
// name the store and the key, never a credential; a missing key gives an
// error matching fs.ErrNotExist.
type Store interface {
	// String returns the location as the user named it ("data",
	// "s3://prices/daily"), for messages.
	String() string
	// List returns every object under the store, sorted by key.
	List(ctx context.Context) ([]Object, error)
	// Stat describes the object key.
	Stat(ctx context.Context, key string) (Object, error)
	// Open opens key for random access. Each ReadAt of a bucket's Reader is
	// a ranged read.
	Open(ctx context.Context, key string) (Reader, error)
	// ReadFile reads the whole object key.
	ReadFile(ctx context.Context, key string) ([]byte, error)
	// WriteFile replaces key with data in one atomic step.
	WriteFile(ctx context.Context, key string, data []byte) error
	// CreateExclusive writes key only if no object has that key, and fails
	// with an error matching fs.ErrExist otherwise: the primitive a lock
	// object needs.
	CreateExclusive(ctx context.Context, key string, data []byte) error
	// Create starts writing key. Nothing is visible under key until Commit;
	// Abort, or a cancelled ctx, discards what was written.
	Create(ctx context.Context, key string) (Upload, error)
	// Delete removes key.
	Delete(ctx context.Context, key string) error
	// Check makes one cheap request that fails with a clear error when the
	// store cannot be used at all: a bucket that does not exist, refused
	// credentials, a directory that is a file. Commands call it before they
	// spend anything else, such as API requests.
	Check(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// Reader reads one object at random offsets.
type Reader interface {
	io.ReaderAt
	io.Closer
	// Size is the object's size when it was opened.
	Size() int64
	// Object describes what was opened.
	Object() Object
}

// Upload is an object being written. It counts and hashes what it is
// given, so the manifest can record the object's size and SHA-256.
type Upload interface {
	io.Writer
	// Size returns the bytes written so far.
	Size() int64
	// HexSum returns the SHA-256 of the bytes written, in hex.
	HexSum() string
	// Commit makes the object visible under its key, replacing an earlier
	// one, and describes it. After an error nothing is left under the key
	// that was not there before.
	Commit() (Object, error)
	// Abort discards the upload. It may be called after Commit, which it
	// then leaves alone.
	Abort()
}

// Opener opens the store at a URL of the scheme it was registered for.
type Opener func(ctx context.Context, u *url.URL) (Store, error)

var (
	openersMu sync.Mutex
	openers   = map[string]Opener{}
)

// Register makes Open handle URLs of scheme with open. Driver packages call
// it from init; registering a scheme twice panics.
func Register(scheme string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	if _, dup := openers[scheme]; dup {
		panic("store: scheme " + scheme + " registered twice")
	}
	openers[scheme] = open
}

// schemeRE matches the start of a URL, "s3://": a path never starts so
// (a Windows drive letter has one colon and no slashes after a letter).
var schemeRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+)://`)

// IsURL reports whether location names a store by URL ("s3://b/p",
// "file:///x") rather than a local path.
func IsURL(location string) bool { return schemeRE.MatchString(location) }

// ErrNoDriver is matched by the error of Open for a URL scheme no driver
// registered.
var ErrNoDriver = errors.New("no driver")

// Open returns the store at location: a local path or file:// URL is a
// [Dir]; any other URL goes to the driver registered for its scheme.
func Open(ctx context.Context, location string) (Store, error) {
	m := schemeRE.FindStringSubmatch(location)
	if m == nil {
		return NewDir(location), nil
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", location, err)
	}
	scheme := strings.ToLower(m[1])
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("store: %s: a file URL names no host (file:///path)", location)
		}
		return NewDir(filepath.FromSlash(u.Path)), nil
	}
	openersMu.Lock()
	open := openers[scheme]
	known := slices.Sorted(func(yield func(string) bool) {
		for s := range openers {
			if !yield(s + "://") {
				return
			}
		}
	})
	openersMu.Unlock()
	if open == nil {
		hint := ""
		if scheme == "s3" {
			hint = ` (import _ "github.com/seed-c7c8f39b/loader/dataset/store/s3store")`
		}
		return nil, fmt.Errorf("store: %s: %w for %s://%s; this program knows %s", location, ErrNoDriver, scheme, hint,
			strings.Join(append([]string{"local paths", "file://"}, known...), ", "))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("store: %s: no bucket name", location)
	}
	return open(ctx, u)
}

// Join returns the location of key inside the store at location, for
// messages and reports: a path for a local store, a URL for the others.
func Join(location, key string) string {
	if IsURL(location) {
		return strings.TrimSuffix(location, "/") + "/" + key
	}
	return filepath.Join(location, filepath.FromSlash(key))
}

// Prefix returns the key prefix a URL path names: "/daily/" gives
// "daily/", and "" or "/" the bucket's root, "". It refuses a path with an
// empty, "." or ".." segment, which object stores take literally.
func Prefix(urlPath string) (string, error) {
	p := strings.Trim(urlPath, "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("prefix %q: empty, . or .. segment", urlPath)
		}
	}
	if path.Clean(p) != p {
		return "", fmt.Errorf("prefix %q is not clean", urlPath)
	}
	return p + "/", nil
}
