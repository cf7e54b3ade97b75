// Package s3test runs a real S3 server on 127.0.0.1 for the tests:
// versitygw (Apache-2.0, written in Go), whose posix backend serves every
// directory under its root as a bucket.
//
// [Binary] finds versitygw in $VERSITYGW, on PATH or in $(go env
// GOPATH)/bin, and otherwise builds the pinned [Version] with go install,
// so a machine with only Go runs the tests (the first build takes a few
// minutes). .ci/run installs it beforehand.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Module is the package go install builds, at Version.
const (
	Module  = "github.com/versity/versitygw/cmd/versitygw"
	Version = "v1.8.0"
)

// Region is the region the server is started with.
const Region = "us-east-1"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the path of the versitygw executable, building it when
// it is nowhere to be found. It skips the test under -short, and when it
// can be neither found nor built.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a real S3 server (versitygw)")
	}
	binOnce.Do(func() { binPath, binErr = findOrBuild() })
	if binErr != nil {
		t.Skipf("no S3 server for the end-to-end tests: %v", binErr)
	}
	return binPath
}

func findOrBuild() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gobin := goEnv("GOBIN")
	if gobin == "" {
		if gopath := goEnv("GOPATH"); gopath != "" {
			gobin = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin")
		}
	}
	if gobin != "" {
		if p := filepath.Join(gobin, "versitygw"); isExecutable(p) {
			return p, nil
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "loader-s3test", Version)
	p := filepath.Join(dir, "versitygw")
	if isExecutable(p) {
		return p, nil
	}
	cmd := exec.Command("go", "install", Module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %v\n%s", Module, Version, err, out)
	}
	return p, nil
}

func goEnv(name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func isExecutable(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0
}

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are its root credentials, random per
	// server, so a test can search its outputs for the secret.
	AccessKey, SecretKey string
	// Root is the directory whose subdirectories are the buckets.
	Root string

	t    testing.TB
	bin  string
	addr string
	log  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	waited chan error // receives cmd's exit
}

// Start runs a server with the buckets named, empty, and stops it when t
// ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	s := &Server{
		AccessKey: "LOADERTEST" + randomHex(5),
		SecretKey: "s3test-secret-" + randomHex(16),
		Root:      filepath.Join(dir, "root"),
		t:         t,
		bin:       bin,
		log:       filepath.Join(dir, "versitygw.log"),
	}
	for _, b := range buckets {
		if err := os.MkdirAll(filepath.Join(s.Root, b), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	for range 5 { // a free port can be taken between choosing and binding it
		s.addr = freeAddr(t)
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Endpoint = "http://" + s.addr
	t.Cleanup(s.Stop)
	return s
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// start runs the server on s.addr and waits until it accepts connections.
func (s *Server) start() error {
	log, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(s.bin, "--port", s.addr, "--region", Region, "--quiet", "posix", s.Root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(s.log)
			return fmt.Errorf("versitygw exited at start (%v):\n%s", err, out)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond); err == nil {
			c.Close()
			s.mu.Lock()
			s.cmd, s.waited = cmd, exited
			s.mu.Unlock()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return fmt.Errorf("versitygw did not listen on %s within 30s", s.addr)
}

// Env returns the environment a client process needs to use the server
// through the standard AWS variables, and no configuration files.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL=" + s.Endpoint,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Setenv sets Env in this process for the rest of t, for in-process
// clients.
func (s *Server) Setenv(t testing.TB) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
}

// Stop kills the server, as a crash would. It is safe to call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, waited := s.cmd, s.waited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-waited
}

// Restart starts a stopped server again on the same address and root.
func (s *Server) Restart() {
	s.t.Helper()
	var err error
	for range 50 { // the old socket may linger a moment
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatal(err)
}

// Log returns what the server printed.
func (s *Server) Log() string {
	out, _ := os.ReadFile(s.log)
	return string(out)
}

// Upload is a multipart upload the server holds in progress: begun and
// neither completed nor aborted.
type Upload struct {
	Key, ID string
}

// MultipartUploads returns the multipart uploads in progress in bucket,
// asked of the server directly (ListMultipartUploads), not through a proxy.
func (s *Server) MultipartUploads(t testing.TB, bucket string) []Upload {
	t.Helper()
	client := s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
	var uploads []Upload
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)}
	for {
		out, err := client.ListMultipartUploads(context.Background(), in)
		if err != nil {
			t.Fatalf("list the multipart uploads of %s: %v", bucket, err)
		}
		for _, u := range out.Uploads {
			uploads = append(uploads, Upload{Key: aws.ToString(u.Key), ID: aws.ToString(u.UploadId)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return uploads
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
