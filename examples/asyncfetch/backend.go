package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// delayProxy forwards every request to an Alpha Vantage-compatible server
// after the latency of its symbol, so that the demo's fetches finish at
// different, known times. The server's own fault injection has one latency
// for every symbol; a per-symbol delay is the proxy's only job.
type delayProxy struct {
	latency  map[string]time.Duration
	upstream *httputil.ReverseProxy
	inFlight atomic.Int64
	peak     atomic.Int64
}

func (d *delayProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := d.inFlight.Add(1)
	defer d.inFlight.Add(-1)
	for p := d.peak.Load(); n > p && !d.peak.CompareAndSwap(p, n); p = d.peak.Load() {
	}

	delay := time.NewTimer(d.latency[strings.ToUpper(r.URL.Query().Get("symbol"))])
	defer delay.Stop()
	select {
	case <-delay.C:
	case <-r.Context().Done(): // the client gave up (its timeout) or the proxy is shutting down
		return
	}
	d.upstream.ServeHTTP(w, r)
}

// settle waits until no request of an earlier part is still held (a
// request the client timed out on ends when the proxy notices the closed
// connection), then restarts the peak count.
func (d *delayProxy) settle() error {
	for deadline := time.Now().Add(5 * time.Second); d.inFlight.Load() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("delay proxy: %d requests still in flight after 5s", d.inFlight.Load())
		}
	}
	d.peak.Store(0)
	return nil
}

// backend is the delay proxy listening on 127.0.0.1, in front of either a
// server given by URL or an in-process avserver.Server.
type backend struct {
	*delayProxy
	// queryURL is the proxy's Alpha Vantage query endpoint.
	queryURL string
	// upstream names the server behind the proxy.
	upstream string
	stop     []func(context.Context) error
}

// startBackend starts the proxy in front of upstream ("" starts a
// avserver.Server in-process). Close stops everything it started.
func startBackend(upstream string, latency map[string]time.Duration) (*backend, error) {
	b := &backend{upstream: upstream}
	if upstream == "" {
		b.upstream = "the in-process sample server"
		addr, err := b.startSampleServer()
		if err != nil {
			return nil, err
		}
		upstream = "http://" + addr + "/query"
	}
	target, err := url.Parse(upstream)
	if err != nil || target.Host == "" || (target.Scheme != "http" && target.Scheme != "https") {
		b.Close()
		return nil, fmt.Errorf("base URL %q: want an http(s) URL such as http://127.0.0.1:8080/query", upstream)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	b.delayProxy = &delayProxy{
		latency: latency,
		upstream: &httputil.ReverseProxy{
			Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host}) },
			Transport: transport,
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("delay proxy: %w", err)
	}
	srv := &http.Server{Handler: b.delayProxy, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	b.stop = append(b.stop, func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
		transport.CloseIdleConnections()
		return err
	})
	b.queryURL = "http://" + ln.Addr().String() + target.Path
	return b, nil
}

// startSampleServer serves the synthetic sample data on 127.0.0.1 and
// returns its address.
func (b *backend) startSampleServer() (string, error) {
	// The server logs injected truncations at debug level; the demo injects
	// none, and its output is the demo's, not the server's.
	srv, err := avserver.New(avserver.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("sample server: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	b.stop = append(b.stop, func(ctx context.Context) error {
		return errors.Join(srv.Shutdown(ctx), <-served)
	})
	return ln.Addr().String(), nil
}

// Close stops the proxy, then the server it fronts, and waits for both.
func (b *backend) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for i := len(b.stop) - 1; i >= 0; i-- {
		errs = append(errs, b.stop[i](ctx))
	}
	return errors.Join(errs...)
}
