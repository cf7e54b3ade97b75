package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"

	"github.com/spf13/cobra"
)

// shutdownGrace bounds how long `loader serve` waits for answers in flight
// after Ctrl-C.
const shutdownGrace = 5 * time.Second

func newServeCmd() *cobra.Command {
	var (
		addr    string
		cacheMB int
		cfg     avserver.Config
	)
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve an Alpha Vantage-compatible endpoint over the SYNTHETIC sample data",
		Long: `Serve GET /query like Alpha Vantage's time series over the built-in
SYNTHETIC sample data: TIME_SERIES_DAILY, _WEEKLY and _MONTHLY and their
_ADJUSTED forms, and TIME_SERIES_INTRADAY (interval 1min|5min|15min|30min|60min,
extended_hours, adjusted, month=YYYY-MM), in datatype json|csv, with
outputsize compact|full. It answers with the service's refusals (HTTP 200
with a JSON body) a missing or wrong API key, an unknown function or interval,
a month before its history (2006-01) and an implausible symbol (not a valid
ticker, or longer than 10 characters). Point 'loader fetch --base-url' at it
to work offline.

Faults can be injected for demos and tests: latency, HTTP 503s, HTTP 429s with
Retry-After, rate-limit Notes and bodies cut short. They are drawn from --seed:
the same requests meet the same faults in every run.

It listens on 127.0.0.1 unless --addr says otherwise, and stops on Ctrl-C.`,
		Example: `  loader serve
  loader serve --addr 127.0.0.1:9000 --api-key demo --latency 50ms --jitter 50ms
  loader serve --fail-503 0.1 --fail-429 0.1 --rate-limit-note 0.05 --truncate 0.05 --seed 7`,
		Args: noArgs("give the address with --addr HOST:PORT"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return usagef("%s %q: want host:port, e.g. 127.0.0.1:8080", flagRef(cmd, "addr"), addr)
			}
			if cacheMB < 1 {
				return usagef("%s %d: want at least 1", flagRef(cmd, "cache-mb"), cacheMB)
			}
			if err := checkFaults(cmd, cfg); err != nil {
				return err
			}
			cfg.CacheBytes = cacheMB << 20
			cfg.Logger = slog.Default()
			srv, err := avserver.New(cfg)
			if err != nil {
				return usageError{err}
			}
			return serve(cmd, srv, addr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fl.StringVar(&cfg.APIKey, "api-key", "", "the only API key accepted (default: any non-empty key)")
	fl.BoolVar(&cfg.FreeTier, "free-tier", false, "refuse TIME_SERIES_DAILY_ADJUSTED and the daily outputsize=full as premium, like a free key")
	fl.IntVar(&cfg.DailyLimit, "daily-limit", 0, "answer the daily-limit refusal after this many requests (0: never)")
	fl.DurationVar(&cfg.Faults.Latency, "latency", 0, "delay every answer by this much")
	fl.DurationVar(&cfg.Faults.Jitter, "jitter", 0, "add up to this much random delay to every answer")
	fl.Float64Var(&cfg.Faults.Fail503, "fail-503", 0, "share of answers that are HTTP 503 (0..1)")
	fl.Float64Var(&cfg.Faults.Fail429, "fail-429", 0, "share of answers that are HTTP 429 (0..1)")
	fl.DurationVar(&cfg.Faults.RetryAfter, "retry-after", time.Second, "Retry-After sent with the 429s (whole seconds)")
	fl.Float64Var(&cfg.Faults.RateLimitNote, "rate-limit-note", 0, "share of answers that are the service's rate-limit Note (0..1)")
	fl.Float64Var(&cfg.Faults.Truncate, "truncate", 0, "share of answers cut short halfway (0..1)")
	fl.Uint64Var(&cfg.Faults.Seed, "seed", 1, "seed of the injected faults")
	fl.IntVar(&cacheMB, "cache-mb", 64, "memory for encoded answers kept for reuse, in MiB (a full JSON history is about 1 MiB)")
	return cmd
}

// checkFaults checks the values of the serve flags in their own names:
// the same checks as avserver.Config's, which name the struct's fields.
func checkFaults(cmd *cobra.Command, cfg avserver.Config) error {
	f := cfg.Faults
	sum := 0.0
	for _, share := range []struct {
		flag  string
		value float64
	}{{"fail-503", f.Fail503}, {"fail-429", f.Fail429}, {"rate-limit-note", f.RateLimitNote}, {"truncate", f.Truncate}} {
		if !(share.value >= 0 && share.value <= 1) {
			return usagef("%s %v: want a share between 0 and 1", flagRef(cmd, share.flag), share.value)
		}
		sum += share.value
	}
	if sum > 1 {
		return usagef("--fail-503, --fail-429, --rate-limit-note and --truncate add up to %v: want at most 1 (each answer meets one fault at most)", sum)
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{{"latency", f.Latency}, {"jitter", f.Jitter}, {"retry-after", f.RetryAfter}} {
		if d.value < 0 {
			return usagef("%s %v: must not be negative", flagRef(cmd, d.flag), d.value)
		}
	}
	if cfg.DailyLimit < 0 {
		return usagef("%s %d: want 0 (no limit) or more", flagRef(cmd, "daily-limit"), cfg.DailyLimit)
	}
	return nil
}

// serve runs srv on addr until the command's context is cancelled (Ctrl-C,
// SIGTERM or SIGHUP), then shuts it down.
func serve(cmd *cobra.Command, srv *avserver.Server, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "serving Alpha Vantage-compatible sample data on http://%s/query\n", ln.Addr())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-cmd.Context().Done():
	}

	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(ctx)
	err = errors.Join(err, <-served)
	stats := srv.Stats()
	slog.Info("serve: stopped", "requests", stats.Requests, "faults", stats.Faults, "peak_in_flight", stats.PeakInFlight)
	if err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}
