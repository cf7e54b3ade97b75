package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/dataset/store"
	_ "github.com/seed-c7c8f39b/loader/dataset/store/s3store"
	"github.com/seed-c7c8f39b/loader/dataset/store/storetest"
	"github.com/seed-c7c8f39b/loader/internal/s3test"
)

func TestMain(m *testing.M) {
	// The AWS SDK's HTTP transport keeps idle connections with their
	// reader and writer goroutines until they time out.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// TestContract holds S3, through a real server, to the contract every
// store keeps.
func TestContract(t *testing.T) {
	srv := s3test.Start(t, "data")
	srv.Setenv(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := store.Open(context.Background(), fmt.Sprintf("s3://data/run-%d/prefix", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// TestCheckSaysWhatIsWrong: a missing bucket, a wrong key, a wrong secret
// and a server that is down each fail Check with an error that names the
// cause and never the secret.
func TestCheckSaysWhatIsWrong(t *testing.T) {
	srv := s3test.Start(t, "data")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name, url string
		env       map[string]string
		want      string
	}{
		{"ok", "s3://data/x", nil, ""},
		{"missing bucket", "s3://nope/x", nil, `bucket "nope" does not exist`},
		{"unknown key", "s3://data/x", map[string]string{"AWS_ACCESS_KEY_ID": "NOSUCHKEY"}, "does not know the access key"},
		{"wrong secret", "s3://data/x", map[string]string{"AWS_SECRET_ACCESS_KEY": "not-" + srv.SecretKey}, "secret key does not match"},
		{"no credentials", "s3://data/x", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "",
			"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"},
			"cannot get AWS credentials: set AWS_ACCESS_KEY_ID"},
		{"server down", "s3://data/x", map[string]string{"AWS_ENDPOINT_URL": down, "AWS_MAX_ATTEMPTS": "2"}, "cannot reach"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Setenv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			st, err := store.Open(context.Background(), tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			err = st.Check(context.Background())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want an error saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), srv.SecretKey) {
				t.Errorf("the error shows the secret: %v", err)
			}
			t.Log(err)
		})
	}
}

func TestOpenRefusesCredentialsInTheURL(t *testing.T) {
	_, err := store.Open(context.Background(), "s3://AKIA:secret@bucket/x")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open = %v, want an error that does not repeat the secret", err)
	}
}

// TestUploadsThatFailLeaveNothing: a multipart upload that is aborted in
// the middle (its context cancelled, as a stopped run does) or whose part
// the server never receives (the connection dies at every attempt) leaves
// no object under its key, and no multipart upload in progress on the
// server, whose parts would be stored, and billed, until a lifecycle rule
// removed them.
func TestUploadsThatFailLeaveNothing(t *testing.T) {
	srv := s3test.Start(t, "data")
	isPart := func(r *http.Request) bool { return r.Method == http.MethodPut && r.URL.Query().Has("partNumber") }
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16*7) // 21 MiB: three parts of 8 MiB

	tests := []struct {
		name string
		// fault is the proxy's; upload writes through u and ends it.
		fault  func(r *http.Request, n int64) s3test.Fault
		upload func(t *testing.T, u store.Upload)
	}{
		{"aborted while a part is on its way", nil, nil},
		{"the connection dies at every attempt of the second part", func(r *http.Request, _ int64) s3test.Fault {
			if isPart(r) && r.URL.Query().Get("partNumber") == "2" {
				return s3test.Cut
			}
			return s3test.Pass
		}, func(t *testing.T, u store.Upload) {
			u.Write(data)
			if _, err := u.Commit(); err == nil {
				t.Error("Commit succeeded although the second part never arrived")
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fault, upload := tt.fault, tt.upload
			if fault == nil {
				// The first part is held at the proxy until the upload is
				// aborted, so that the abort comes in the middle.
				arrived, release := make(chan struct{}), make(chan struct{})
				var once sync.Once
				fault = func(r *http.Request, _ int64) s3test.Fault {
					if isPart(r) {
						once.Do(func() { close(arrived) })
						<-release
					}
					return s3test.Pass
				}
				upload = func(t *testing.T, u store.Upload) {
					wrote := make(chan error)
					go func() {
						_, err := u.Write(data)
						wrote <- err
					}()
					<-arrived
					u.Abort()
					close(release)
					// Write may have returned before the abort, its bytes
					// handed to the uploader's buffers, or fail with it:
					// either way nothing may be left below.
					<-wrote
				}
			}
			proxy := s3test.NewProxy(t, srv, fault)
			for _, kv := range proxy.Env(srv) {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			t.Setenv("AWS_MAX_ATTEMPTS", "2")
			ctx := context.Background()
			prefix := fmt.Sprintf("failed-%d/", i)
			st, err := store.Open(ctx, "s3://data/"+prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			u, err := st.Create(ctx, "AAPL.parquet")
			if err != nil {
				t.Fatal(err)
			}
			upload(t, u)
			if _, err := st.Stat(ctx, "AAPL.parquet"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat after the failed upload = %v, want no object", err)
			}
			for _, left := range srv.MultipartUploads(t, "data") {
				if strings.HasPrefix(left.Key, prefix) {
					t.Errorf("a multipart upload is left in progress: %+v", left)
				}
			}
		})
	}
}
