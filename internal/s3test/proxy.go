package s3test

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Fault is what a Proxy does with one request.
type Fault int

const (
	// Pass forwards the request.
	Pass Fault = iota
	// SlowDown answers 503 SlowDown, as S3 does when a prefix is asked
	// too fast, without forwarding.
	SlowDown
	// Cut reads half the request body, if any, then drops the connection:
	// the server died mid-upload.
	Cut
)

// Proxy sits between clients and a Server and injects faults. Its
// Endpoint replaces the server's in the clients' environment.
type Proxy struct {
	Endpoint string

	fault    func(r *http.Request, n int64) Fault
	requests atomic.Int64
	faults   atomic.Int64
	srv      *http.Server
	wg       sync.WaitGroup
}

// NewProxy starts a proxy to s on 127.0.0.1 that asks fault about every
// request, n counting them from 1, and stops it when t ends.
func NewProxy(t testing.TB, s *Server, fault func(r *http.Request, n int64) Fault) *Proxy {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Endpoint: "http://" + ln.Addr().String(), fault: fault}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = discardLog
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.requests.Add(1)
		switch p.fault(r, n) {
		case SlowDown:
			p.faults.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>`+
				`<Message>Please reduce your request rate.</Message></Error>`)
		case Cut:
			p.faults.Add(1)
			if r.ContentLength > 0 {
				io.CopyN(io.Discard, r.Body, r.ContentLength/2)
			}
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					if tc, ok := c.(*net.TCPConn); ok {
						tc.SetLinger(0) // a reset, as from a dead server
					}
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		default:
			rp.ServeHTTP(w, r)
		}
	}), ErrorLog: discardLog}
	p.wg.Go(func() { p.srv.Serve(ln) })
	t.Cleanup(p.Close)
	return p
}

// Requests returns the requests seen, Faults those that got a fault.
func (p *Proxy) Requests() int64 { return p.requests.Load() }
func (p *Proxy) Faults() int64   { return p.faults.Load() }

// Env returns s's environment with the proxy as the endpoint.
func (p *Proxy) Env(s *Server) []string {
	env := s.Env()
	for i, kv := range env {
		if len(kv) > len("AWS_ENDPOINT_URL=") && kv[:len("AWS_ENDPOINT_URL=")] == "AWS_ENDPOINT_URL=" {
			env[i] = "AWS_ENDPOINT_URL=" + p.Endpoint
		}
	}
	return env
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.Close()
	p.wg.Wait()
}

var discardLog = log.New(io.Discard, "", 0)
