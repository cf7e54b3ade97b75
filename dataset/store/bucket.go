package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Bucket is a prefix of an object-store bucket, through gocloud.dev/blob:
// S3 (package s3store), or in tests an in-memory or file-backed bucket.
//
// Objects are written in one PUT, or for large ones a multipart upload
// that is completed only at Commit; a failed or aborted upload leaves
// nothing under its key. Reads whose body is cut short are retried with
// backoff; the driver retries failed requests itself (s3store configures
// the AWS SDK to retry 503 SlowDown, throttling and connection errors).
type Bucket struct {
	b        *blob.Bucket
	location string
	opts     BucketOptions
}

// BucketOptions adapt a Bucket to its driver.
type BucketOptions struct {
	// ListETag returns the entity tag of a listed object, or "" when the
	// listing carries none; nil means listings carry none, and Stat gives
	// it.
	ListETag func(*blob.ListObject) string
	// Secrets returns strings that must never appear in an error, such as
	// a secret key or session token; they are replaced by "[REDACTED]".
	Secrets func() []string
	// Explain, if set, turns an error of Check into a clearer one, or
	// returns nil to keep it.
	Explain func(error) error
	// PartSize is the size of the parts of a multipart upload, and the
	// size below which an object is sent in one PUT; 0 means the driver's
	// default (8 MiB for S3).
	PartSize int
	// ReadAttempts bounds the attempts of a read cut short (default 5).
	ReadAttempts int
	// Permanent, if set, reports errors that retrying cannot cure beyond
	// those the portable error codes name, such as refused credentials.
	Permanent func(error) bool
	// BeforeWrite, if set, is the blob.WriterOptions.BeforeWrite of every
	// write, through which a driver reaches what the portable API does not
	// (s3store: how a failed multipart upload is aborted).
	BeforeWrite func(asFunc func(any) bool) error
}

// NewBucket returns the store of the objects under prefix (a [Prefix]:
// "" or ending in '/') of b, named location in messages. It takes b over:
// Close closes it.
func NewBucket(b *blob.Bucket, prefix, location string, opts BucketOptions) *Bucket {
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix)
	}
	if opts.ReadAttempts < 1 {
		opts.ReadAttempts = 5
	}
	return &Bucket{b: b, location: location, opts: opts}
}

// String returns the bucket's URL, s3://BUCKET/PREFIX.
func (s *Bucket) String() string { return s.location }

// Blob returns the underlying bucket, for what the Store interface does not
// cover.
func (s *Bucket) Blob() *blob.Bucket { return s.b }

// ErrUnavailable is matched by the errors of a store that could not be
// reached or kept failing after its retries: connections refused or cut,
// 5xx answers, throttling. Every later request would most likely fail the
// same way, so a run that writes should stop rather than spend more.
var ErrUnavailable = errors.New("store unavailable")

// isRefusal reports a service's answer that retrying cannot change
// (credentials refused, no such bucket), which the portable error codes do
// not all name.
func isRefusal(err error) bool {
	c := gcerrors.Code(err)
	return c == gcerrors.NotFound || c == gcerrors.PermissionDenied || c == gcerrors.FailedPrecondition ||
		c == gcerrors.InvalidArgument || c == gcerrors.Canceled
}

// Error is the error of an operation of a Bucket. Its message names the
// operation and the object's URL, and never holds a secret the bucket
// knows of. It matches fs.ErrNotExist, fs.ErrExist and fs.ErrPermission
// as the service's answer means.
type Error struct {
	Op, Location string
	Err          error
	secrets      []string
	permanent    func(error) bool
}

func (e *Error) Error() string {
	return Redact("store: "+e.Op+" "+e.Location+": "+e.Err.Error(), e.secrets)
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return transient(context.Background(), e.Err) && !isRefusal(e.Err) && (e.permanent == nil || !e.permanent(e.Err))
	case fs.ErrNotExist:
		return gcerrors.Code(e.Err) == gcerrors.NotFound
	case fs.ErrExist:
		c := gcerrors.Code(e.Err)
		return c == gcerrors.FailedPrecondition || c == gcerrors.AlreadyExists
	case fs.ErrPermission:
		return gcerrors.Code(e.Err) == gcerrors.PermissionDenied
	}
	return false
}

func (s *Bucket) fail(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var secrets []string
	if s.opts.Secrets != nil {
		secrets = s.opts.Secrets()
	}
	loc := s.location
	if key != "" {
		loc = Join(s.location, key)
	}
	return &Error{Op: op, Location: loc, Err: err, secrets: secrets, permanent: s.opts.Permanent}
}

// Redact returns msg with every one of secrets, also URL-escaped,
// replaced by "[REDACTED]".
func Redact(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) < 4 { // too short to be a credential, and would mangle the text
			continue
		}
		for _, form := range []string{s, urlEscape(s)} {
			msg = strings.ReplaceAll(msg, form, "[REDACTED]")
		}
	}
	return msg
}

func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// List returns every object under the prefix, sorted by key.
func (s *Bucket) List(ctx context.Context) ([]Object, error) {
	var objs []Object
	token := blob.FirstPageToken
	for len(token) > 0 {
		var page []*blob.ListObject
		err := s.retry(ctx, func() error {
			var err error
			page, token, err = s.b.ListPage(ctx, token, 1000, nil)
			return err
		})
		if err != nil {
			return nil, s.fail("list", "", err)
		}
		for _, o := range page {
			if o.IsDir {
				continue
			}
			obj := Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime}
			if s.opts.ListETag != nil {
				obj.ETag = s.opts.ListETag(o)
			}
			objs = append(objs, obj)
		}
	}
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objs, nil
}

// Stat describes key, with its ETag.
func (s *Bucket) Stat(ctx context.Context, key string) (Object, error) {
	var a *blob.Attributes
	err := s.retry(ctx, func() error {
		var err error
		a, err = s.b.Attributes(ctx, key)
		return err
	})
	if err != nil {
		return Object{}, s.fail("stat", key, err)
	}
	return Object{Key: key, Size: a.Size, ETag: a.ETag, ModTime: a.ModTime}, nil
}

// Open opens key for ranged reads: each ReadAt is one GET of its range.
func (s *Bucket) Open(ctx context.Context, key string) (Reader, error) {
	obj, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.OpenObject(ctx, obj), nil
}

// OpenObject is Open for an object already described, by List for
// instance, which saves the request Open makes for its size.
func (s *Bucket) OpenObject(ctx context.Context, obj Object) Reader {
	return &bucketReader{s: s, ctx: ctx, obj: obj}
}

type bucketReader struct {
	s   *Bucket
	ctx context.Context
	obj Object
}

func (r *bucketReader) Size() int64    { return r.obj.Size }
func (r *bucketReader) Object() Object { return r.obj }
func (r *bucketReader) Close() error   { return nil }

// ReadAt reads len(p) bytes at off in one ranged GET, retried when the
// body is cut short. Near the end of the object it returns what there is
// and io.EOF.
func (r *bucketReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("store: read %s: negative offset", Join(r.s.location, r.obj.Key))
	}
	if off >= r.obj.Size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.obj.Size-off)
	var n int
	err := r.s.retry(r.ctx, func() error {
		rd, err := r.s.b.NewRangeReader(r.ctx, r.obj.Key, off, want, nil)
		if err != nil {
			return err
		}
		defer rd.Close()
		n, err = io.ReadFull(rd, p[:want])
		return err
	})
	if err != nil {
		return n, r.s.fail("read", r.obj.Key, err)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// ReadFile reads key in one GET, retried when the body is cut short.
func (s *Bucket) ReadFile(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := s.retry(ctx, func() error {
		var err error
		data, err = s.b.ReadAll(ctx, key)
		return err
	})
	if err != nil {
		return nil, s.fail("read", key, err)
	}
	return data, nil
}

// WriteFile replaces key with data in one PUT.
func (s *Bucket) WriteFile(ctx context.Context, key string, data []byte) error {
	return s.fail("write", key, s.b.WriteAll(ctx, key, data, s.writerOptions(key)))
}

// CreateExclusive writes key with If-None-Match: *, which the service
// refuses when the key exists.
func (s *Bucket) CreateExclusive(ctx context.Context, key string, data []byte) error {
	opts := s.writerOptions(key)
	opts.IfNotExist = true
	return s.fail("create", key, s.b.WriteAll(ctx, key, data, opts))
}

func (s *Bucket) writerOptions(key string) *blob.WriterOptions {
	ct := "application/octet-stream"
	switch path.Ext(key) {
	case ".json":
		ct = "application/json"
	case ".csv":
		ct = "text/csv"
	}
	return &blob.WriterOptions{ContentType: ct, BufferSize: s.opts.PartSize, BeforeWrite: s.opts.BeforeWrite}
}

// Create starts an upload of key. Its bytes stream to the service as they
// are written (one PUT below the part size, parts above it); Commit
// completes it, Abort or a cancelled ctx abandons it and the service
// keeps nothing.
func (s *Bucket) Create(ctx context.Context, key string) (Upload, error) {
	ctx, cancel := context.WithCancel(ctx)
	w, err := s.b.NewWriter(ctx, key, s.writerOptions(key))
	if err != nil {
		cancel()
		return nil, s.fail("create", key, err)
	}
	return &bucketUpload{s: s, ctx: ctx, cancel: cancel, w: w, key: key, sum: sha256.New()}, nil
}

type bucketUpload struct {
	s      *Bucket
	ctx    context.Context
	cancel context.CancelFunc
	key    string

	mu     sync.Mutex // held by Write, Commit and Abort's close
	w      *blob.Writer
	sum    hash.Hash
	n      int64
	closed bool
}

func (u *bucketUpload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return 0, u.s.fail("write", u.key, errors.New("upload is closed"))
	}
	n, err := u.w.Write(p)
	u.sum.Write(p[:n])
	u.n += int64(n)
	if err != nil {
		return n, u.s.fail("write", u.key, err)
	}
	return n, nil
}

func (u *bucketUpload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n
}

func (u *bucketUpload) HexSum() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return hex.EncodeToString(u.sum.Sum(nil))
}

// Commit completes the upload and reads back the object's ETag (one HEAD
// request). An object whose ETag cannot be read is still committed.
func (u *bucketUpload) Commit() (Object, error) {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return Object{}, u.s.fail("commit", u.key, errors.New("upload is closed"))
	}
	u.closed = true
	err := u.w.Close()
	n := u.n
	u.mu.Unlock()
	defer u.cancel()
	if err != nil {
		return Object{}, u.s.fail("upload", u.key, err)
	}
	obj, err := u.s.Stat(u.ctx, u.key)
	if err != nil || obj.Size != n {
		return Object{Key: u.key, Size: n}, nil
	}
	return obj, nil
}

// Abort cancels the upload's context first, which unblocks a Write or
// Commit in progress, so it is safe to call while they run.
func (u *bucketUpload) Abort() {
	u.cancel()
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.closed {
		u.closed = true
		u.w.Close() // returns the cancellation; the driver aborts the upload
	}
}

// Delete removes key.
func (s *Bucket) Delete(ctx context.Context, key string) error {
	return s.fail("delete", key, s.b.Delete(ctx, key))
}

// Check lists one object: it fails when the bucket does not exist, the
// credentials are refused or the service cannot be reached.
func (s *Bucket) Check(ctx context.Context) error {
	_, _, err := s.b.ListPage(ctx, blob.FirstPageToken, 1, nil)
	if err == nil {
		return nil
	}
	if s.opts.Explain != nil {
		if clear := s.opts.Explain(err); clear != nil {
			err = clear
		}
	} else if gcerrors.Code(err) == gcerrors.NotFound {
		err = fmt.Errorf("the bucket does not exist: %w", err)
	}
	return s.fail("open", "", err)
}

// Close closes the bucket.
func (s *Bucket) Close() error { return s.b.Close() }

// retry runs op until it succeeds, fails for good, or ReadAttempts are
// spent, with exponential backoff and jitter between attempts.
func (s *Bucket) retry(ctx context.Context, op func() error) error {
	var err error
	for attempt := range s.opts.ReadAttempts {
		if attempt > 0 {
			wait := time.Duration(50<<attempt) * time.Millisecond
			wait = wait/2 + time.Duration(rand.Int64N(int64(wait)))
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(wait):
			}
		}
		if err = op(); err == nil || !transient(ctx, err) || s.opts.Permanent != nil && s.opts.Permanent(err) {
			return err
		}
	}
	return err
}

// transient reports whether err may pass on its own: a body cut short, a
// connection refused or reset, or a service error that is not a refusal.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound, gcerrors.PermissionDenied, gcerrors.FailedPrecondition, gcerrors.InvalidArgument,
		gcerrors.AlreadyExists, gcerrors.Unimplemented, gcerrors.Canceled:
		return false
	}
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne) || gcerrors.Code(err) == gcerrors.Internal ||
		gcerrors.Code(err) == gcerrors.ResourceExhausted || gcerrors.Code(err) == gcerrors.Unknown
}
