// Package s3store opens s3://BUCKET/PREFIX as a [store.Store], so that
// every loader command and library entry that takes a dataset directory
// also takes an S3 prefix. Import it for its side effect:
//
//	import _ "github.com/seed-c7c8f39b/loader/dataset/store/s3store"
//
// Credentials, region and endpoint come from the standard AWS environment
// and configuration files, as every AWS tool reads them:
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN;
// AWS_PROFILE (with ~/.aws/config and ~/.aws/credentials); AWS_REGION
// (default us-east-1); AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 for an
// S3-compatible server, which then is addressed path-style
// (http://HOST/BUCKET/KEY), as such servers need. AWS_MAX_ATTEMPTS
// overrides the attempts per request (default 8).
//
// The secret key and the session token never appear in an error: the
// store's errors replace them, also URL-escaped, by "[REDACTED]".
//
// An object of 8 MiB or more is sent as a multipart upload, completed only
// at Commit. One that fails or is abandoned (Abort, a cancelled context)
// is aborted with AbortMultipartUpload, so the server keeps none of its
// parts. A process that is killed cannot abort its upload: its parts stay
// on the server, invisible under the key, until a bucket lifecycle rule
// (AbortIncompleteMultipartUpload) removes them.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// Scheme is the URL scheme this package registers.
const Scheme = "s3"

// DefaultRegion is the region used when the environment names none; an
// S3-compatible server usually accepts any.
const DefaultRegion = "us-east-1"

// defaultAttempts is how often one request is tried: a 503 SlowDown or a
// connection refused while a server restarts should pass within them
// (backoff up to 5 s between attempts).
const defaultAttempts = 8

func init() { store.Register(Scheme, Open) }

// Open returns the store of the objects under u's path in the bucket u's
// host names. It makes no request: [store.Store.Check] makes the first.
func Open(ctx context.Context, u *url.URL) (store.Store, error) {
	prefix, err := store.Prefix(u.Path)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", u.Redacted(), err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("store: %s: want s3://BUCKET/PREFIX, without user, query or fragment: "+
			"credentials and endpoint come from the AWS environment", u.Redacted())
	}
	location := "s3://" + u.Host + "/" + prefix
	sec := &secrets{}
	cfg, endpoint, err := loadConfig(ctx, sec)
	if err != nil {
		return nil, fmt.Errorf("store: %s: AWS configuration: %s", location, redacted(err, sec))
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.UsePathStyle = true
		}
	})
	b, err := s3blob.OpenBucket(ctx, client, u.Host, &s3blob.Options{
		// Third-party servers expect no checksum headers the SDK would add.
		RequestChecksumCalculation: checksums,
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s: %s", location, redacted(err, sec))
	}
	return store.NewBucket(b, prefix, location, store.BucketOptions{
		ListETag:    listETag,
		Secrets:     sec.list,
		Explain:     explainer(u.Host, endpoint),
		Permanent:   permanent,
		BeforeWrite: abortOnAFreshContext(client),
	}), nil
}

// checksums is when the SDK adds checksums to requests: when the request
// requires one.
const checksums = aws.RequestChecksumCalculationWhenRequired

// AbortTimeout bounds the AbortMultipartUpload request of an upload that
// failed or was abandoned, retries included.
const AbortTimeout = 15 * time.Second

// abortOnAFreshContext returns the BeforeWrite of every write: it gives
// the write's transfer manager a FailTimeout, so that a multipart upload
// that fails is aborted with a context of its own. Without it (s3blob sets
// none) the transfer manager sends AbortMultipartUpload with the upload's
// context, which an abandoned upload (Abort, a stopped run) has already
// cancelled: the request never leaves, and the server keeps the upload's
// parts, invisible and billed, until a lifecycle rule removes them.
//
// The transfer manager's options cannot be changed once it is made, so
// the one s3blob made for the write, not yet used, is replaced by one with
// the options s3blob gives it: the bucket's checksum calculation and, as
// this store sets neither a part size nor a concurrency, the default ones.
func abortOnAFreshContext(client *s3.Client) func(func(any) bool) error {
	return func(as func(any) bool) error {
		var tm *transfermanager.Client
		if !as(&tm) {
			return errors.New("s3store: the driver offers no transfer manager to configure")
		}
		*tm = *transfermanager.New(client, func(o *transfermanager.Options) {
			o.RequestChecksumCalculation = checksums
			o.FailTimeout = AbortTimeout
		})
		return nil
	}
}

// loadConfig reads the AWS configuration from the environment and files,
// and returns the endpoint it names, if any.
func loadConfig(ctx context.Context, sec *secrets) (aws.Config, string, error) {
	sec.add(os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))
	attempts := defaultAttempts
	if v := os.Getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return aws.Config{}, "", fmt.Errorf("AWS_MAX_ATTEMPTS=%q: want a positive number", v)
		}
		attempts = n
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		// The SDK's own warnings (such as falling back to IMDSv1 while
		// looking for credentials) would print raw on stderr, outside
		// --log-format; what matters reaches the caller as an error.
		config.WithLogger(logging.Nop{}),
		config.WithRequestChecksumCalculation(checksums),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = 5 * time.Second
				// The SDK's client-side retry budget would stop retrying a
				// server that restarts under many parallel requests.
				o.RateLimiter = ratelimit.None
			})
		}),
	)
	if err != nil {
		return aws.Config{}, "", err
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL_S3")
	if endpoint == "" {
		endpoint = aws.ToString(cfg.BaseEndpoint)
	}
	if cfg.Credentials != nil {
		cfg.Credentials = aws.NewCredentialsCache(recording{cfg.Credentials, sec})
	}
	return cfg, endpoint, nil
}

// recording remembers the secrets of the credentials it retrieves, those
// of a profile or a role as well as the environment's, for redaction.
type recording struct {
	aws.CredentialsProvider
	sec *secrets
}

func (r recording) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := r.CredentialsProvider.Retrieve(ctx)
	r.sec.add(c.SecretAccessKey, c.SessionToken)
	if err != nil {
		return c, credentialsError{err}
	}
	return c, nil
}

// credentialsError marks the failure to get credentials from any of the
// places the SDK looks (environment, shared files, container or instance
// role), which the SDK reports only as text.
type credentialsError struct{ err error }

func (e credentialsError) Error() string { return e.err.Error() }
func (e credentialsError) Unwrap() error { return e.err }

// secrets is the set of strings no error may show.
type secrets struct {
	mu   sync.Mutex
	vals []string
}

func (s *secrets) add(vals ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vals {
		if v != "" {
			s.vals = append(s.vals, v)
		}
	}
}

func (s *secrets) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.vals...)
}

func redacted(err error, sec *secrets) string { return store.Redact(err.Error(), sec.list()) }

// listETag reads the ETag S3's listing carries for every object.
func listETag(o *blob.ListObject) string {
	var obj types.Object
	if o.As(&obj) {
		return aws.ToString(obj.ETag)
	}
	return ""
}

// permanent reports the service's answers that no retry cures.
func permanent(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "InvalidAccessKeyId", "XAdminUserNotFound", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "AccessDenied",
		"NoSuchBucket", "AuthorizationHeaderMalformed", "InvalidBucketName", "PermanentRedirect":
		return true
	}
	return false
}

// explainer turns the failure of a store's first request into a message
// that says what to fix, quoting the service's code and message rather
// than the SDK's whole chain of wrappers (which errors.As still reaches).
func explainer(bucket, endpoint string) func(error) error {
	where := "AWS S3"
	if endpoint != "" {
		where = endpoint
	}
	return func(err error) error {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			said := fmt.Sprintf("(%s: %s)", ae.ErrorCode(), ae.ErrorMessage())
			switch ae.ErrorCode() {
			case "NoSuchBucket", "NotFound":
				return explained{fmt.Sprintf("bucket %q does not exist at %s: create it, or check AWS_ENDPOINT_URL and AWS_REGION %s", bucket, where, said), err}
			case "InvalidAccessKeyId", "XAdminUserNotFound": // the second is versitygw's
				return explained{fmt.Sprintf("%s does not know the access key: check AWS_ACCESS_KEY_ID or AWS_PROFILE %s", where, said), err}
			case "SignatureDoesNotMatch":
				return explained{fmt.Sprintf("%s refused the signature: the secret key does not match the access key; check AWS_SECRET_ACCESS_KEY %s", where, said), err}
			case "ExpiredToken", "InvalidToken":
				return explained{fmt.Sprintf("%s refused the session token: renew AWS_SESSION_TOKEN %s", where, said), err}
			case "AccessDenied", "Forbidden":
				return explained{fmt.Sprintf("%s denied access to bucket %q: check the credentials' permissions %s", where, bucket, said), err}
			case "PermanentRedirect", "AuthorizationHeaderMalformed":
				return explained{fmt.Sprintf("bucket %q is in another region: set AWS_REGION %s", bucket, said), err}
			}
		}
		var ce credentialsError
		if errors.As(err, &ce) {
			return explained{fmt.Sprintf("cannot get AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (%v)", innermost(ce.err)), err}
		}
		var oe *net.OpError
		if errors.As(err, &oe) {
			return explained{fmt.Sprintf("cannot reach %s: %v", where, oe), err}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return explained{fmt.Sprintf("%s did not answer in time", where), err}
		}
		return nil
	}
}

// innermost is the last error of err's chain: the one that says what
// happened, without the SDK's layers of context.
func innermost(err error) error {
	for next := errors.Unwrap(err); next != nil; next = errors.Unwrap(err) {
		err = next
	}
	return err
}

// explained is an error with a clearer message than its cause's.
type explained struct {
	msg string
	err error
}

func (e explained) Error() string { return e.msg }
func (e explained) Unwrap() error { return e.err }
