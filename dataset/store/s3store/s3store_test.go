package s3store_test

import (
	"context"
	"fmt"
	"net"
	"strings"
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
