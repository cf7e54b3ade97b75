package alphavantage_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// connectProxy is an HTTP proxy that tunnels CONNECT requests carrying
// its credentials to one address, whatever host they name, and records
// the hosts asked for.
type connectProxy struct {
	ln       net.Listener
	upstream string
	auth     string // the Proxy-Authorization it wants

	mu      sync.Mutex
	targets []string
	conns   []net.Conn
	wg      sync.WaitGroup
}

// startProxy serves a connectProxy on 127.0.0.1 until the test ends.
func startProxy(t *testing.T, upstream, user, password string) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln, upstream: upstream,
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.track(c)
			p.wg.Go(func() { p.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *connectProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	req, err := http.ReadRequest(r)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Method+" "+req.Host)
	p.mu.Unlock()
	if req.Method != http.MethodConnect || req.Header.Get("Proxy-Authorization") != p.auth {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.track(up)
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, r); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
}

func (p *connectProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// TestAlphaVantageThroughProxy fetches through an HTTP proxy named by
// HTTP_PROXY, with credentials. The base URL names a host that is not
// loopback, since loopback is never proxied (TestProxyFor checks that
// choice, and NO_PROXY's); the proxy tunnels it to the fake server on
// 127.0.0.1. What this proves: the environment is read, the proxy is
// dialled and sent the credentials, and the answer comes back through
// it; with the wrong password the error says so and shows neither
// password.
func TestAlphaVantageThroughProxy(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	upstream := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/query")
	proxy := startProxy(t, upstream, "loader", "pr0xy-s3cret")
	for _, name := range []string{"HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		t.Setenv(name, "")
	}
	base := "http://quotes.example/query"

	t.Run("right credentials", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", "http://loader:pr0xy-s3cret@"+proxy.ln.Addr().String())
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		var logs bytes.Buffer
		av := newTestClient(t, base, alphavantage.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		s, err := av.Fetch(context.Background(), "IBM", mem)
		if err != nil {
			t.Fatal(err)
		}
		wantServed(t, s.Record, "IBM", false, "compact")
		s.Record.Release()
		if got := proxy.seen(); len(got) != 1 || got[0] != "CONNECT quotes.example:80" {
			t.Errorf("the proxy saw %v, want one CONNECT quotes.example:80", got)
		}
		if n := srv.Stats().Requests; n != 1 {
			t.Errorf("the server saw %d requests, want 1", n)
		}
		if !strings.Contains(logs.String(), "connecting through a proxy") || !strings.Contains(logs.String(), "loader:xxxxx@") ||
			strings.Contains(logs.String(), "pr0xy-s3cret") {
			t.Errorf("the log does not name the proxy, or shows its password:\n%s", logs.String())
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", "http://loader:wr0ng-s3cret@"+proxy.ln.Addr().String())
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		var logs bytes.Buffer
		av := newTestClient(t, base, alphavantage.Config{Retries: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		_, err := av.Fetch(context.Background(), "IBM", mem)
		if err == nil || !strings.Contains(err.Error(), "407") {
			t.Fatalf("error %v, want the proxy's 407", err)
		}
		for _, secret := range []string{"wr0ng-s3cret", "pr0xy-s3cret", testKey} {
			if strings.Contains(err.Error()+logs.String(), secret) {
				t.Errorf("%q leaked:\n%v\n%s", secret, err, logs.String())
			}
		}
	})
}

// TestAlphaVantageTLS checks that certificate problems are not retried
// and that the error names the problem.
func TestAlphaVantageTLS(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start func(*httptest.Server)
		https bool // whether the client speaks TLS to a server that does not
		want  string
		as    func(error) bool
	}{
		{"self-signed", (*httptest.Server).StartTLS, false,
			"fetch IBM: TLS: the server's certificate is signed by an unknown authority",
			func(err error) bool { var v *tls.CertificateVerificationError; return errors.As(err, &v) }},
		{"no TLS at all", (*httptest.Server).Start, true,
			"fetch IBM: TLS: the server does not speak TLS (is the URL http://, not https://?)",
			func(err error) bool { var r tls.RecordHeaderError; return errors.As(err, &r) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var conns, requests atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake's failure, by design
			tt.start(srv)
			defer srv.Close()
			url := srv.URL + "/query"
			if tt.https {
				url = "https://" + strings.TrimPrefix(url, "http://")
			}
			av := newTestClient(t, url, alphavantage.Config{Retries: 3})
			_, err := av.Fetch(context.Background(), "IBM", mem)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !tt.as(err) {
				t.Fatalf("error %v, want %q… wrapping the TLS error", err, tt.want)
			}
			av.Close()
			srv.Close()
			if n := conns.Load(); n != 1 || requests.Load() != 0 {
				t.Errorf("%d connections, %d requests: want 1 and none, not retried", n, requests.Load())
			}
		})
	}
}

// TestAlphaVantageRedirect checks that a redirect is not followed, and that
// its error says where it pointed, key redacted, and suggests https.
func TestAlphaVantageRedirect(t *testing.T) {
	for _, tt := range []struct {
		name, location, want string
	}{
		{"to https, with the key", "https://www.alphavantage.co/query?function=TIME_SERIES_DAILY&apikey=" + testKey,
			`HTTP 301: redirected to "https://www.alphavantage.co/query?apikey=REDACTED&function=TIME_SERIES_DAILY", not followed (the request carries the API key): use the https:// URL as the base URL (https://`},
		{"relative", "/v2/query",
			`HTTP 301: redirected to "http://127.0.0.1:`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var requests atomic.Int64
			url := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Location", tt.location)
				w.WriteHeader(http.StatusMovedPermanently)
			}))
			av := newTestClient(t, url, alphavantage.Config{})
			_, err := av.Fetch(context.Background(), "IBM", mem)
			var he *alphavantage.HTTPError
			if !errors.As(err, &he) || he.Status != http.StatusMovedPermanently || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v\nwant one saying %s", err, tt.want)
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(he.Location, testKey) {
				t.Errorf("the key leaked: %v", err)
			}
			if tt.name == "relative" && !strings.Contains(he.Location, "/v2/query") {
				t.Errorf("Location %q, want the relative one resolved", he.Location)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1: neither followed nor retried", n)
			}
		})
	}
}

// TestAlphaVantageWrongBodies checks the answers that are not the series
// asked for: an HTML page, a gzip-compressed body, another symbol's.
func TestAlphaVantageWrongBodies(t *testing.T) {
	var ibm, gz bytes.Buffer
	bars := sample.Series("IBM")
	if err := alphavantage.EncodeJSON(&ibm, "IBM", bars[len(bars)-100:], sources.Kind{}, "compact"); err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(&gz)
	zw.Write(ibm.Bytes())
	zw.Close()
	for _, tt := range []struct {
		name     string
		body     []byte
		header   map[string]string
		symbol   string
		want     string
		requests int64
	}{
		{"html", []byte("<!DOCTYPE html><html><title>Sign in to the Wi-Fi</title></html>"), map[string]string{"Content-Type": "text/html"},
			"IBM", "fetch IBM: decode IBM json: offset 0: got an HTML page, not JSON after 2 attempts", 2},
		{"gzip", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"},
			"IBM", "fetch IBM: decode IBM json: offset 0: got a gzip-compressed body, not JSON after 2 attempts", 2},
		{"another symbol", ibm.Bytes(), nil,
			"MSFT", `fetch MSFT: decode MSFT json: offset 121: the answer is for another symbol: its "Meta Data" names "IBM"`, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var requests atomic.Int64
			url := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Write(tt.body)
			}))
			av := newTestClient(t, url, alphavantage.Config{Retries: 1})
			_, err := av.Fetch(context.Background(), tt.symbol, mem)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v\nwant  %s", err, tt.want)
			}
			if tt.name == "another symbol" && !errors.Is(err, alphavantage.ErrSymbolMismatch) {
				t.Errorf("%v does not match ErrSymbolMismatch", err)
			}
			if n := requests.Load(); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}
