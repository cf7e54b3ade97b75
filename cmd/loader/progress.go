package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/seed-c7c8f39b/loader/fetch"
)

// progressInterval is how often the plain (non-terminal) progress line is
// logged; a variable so that tests can shorten it.
var progressInterval = 5 * time.Second

// progress shows how a fetch run advances: a live bar on a terminal, a log
// line every few seconds otherwise, nothing when quiet.
type progress struct {
	total                 int
	start                 time.Time
	done, failed, retries atomic.Int64
	rows                  atomic.Int64
	bar                   *mpb.Bar
	container             *mpb.Progress
	stopTicker            chan struct{}
	tickerDone            sync.WaitGroup

	mu     sync.Mutex
	logged map[string]int64 // retries counted from the log, by symbol
}

// newProgress returns the progress of a run of total symbols, not shown
// yet.
func newProgress(total int) *progress {
	return &progress{total: total, start: time.Now(), logged: map[string]int64{}}
}

// show begins showing the progress on w: a bar on a terminal unless
// plain, log lines otherwise, nothing when quiet.
func (p *progress) show(w io.Writer, quiet, plain bool) {
	p.start = time.Now()
	switch {
	case quiet:
	case isTerminal(w) && !plain:
		p.container = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
		p.bar = p.container.AddBar(int64(p.total),
			mpb.PrependDecorators(
				decor.Name("fetch "),
				decor.CountersNoUnit("%d/%d symbols"),
			),
			mpb.AppendDecorators(
				decor.Any(func(decor.Statistics) string { return p.summary() }),
				decor.Name("  eta "),
				decor.AverageETA(decor.ET_STYLE_GO),
			),
		)
	default:
		p.stopTicker = make(chan struct{})
		p.tickerDone.Add(1)
		go p.logEvery(progressInterval)
	}
}

// record counts one finished symbol; it is fetch.Config.OnResult.
func (p *progress) record(res fetch.Result) {
	p.done.Add(1)
	p.rows.Add(res.File.Rows)
	if res.Status == dataset.StatusFailed {
		p.failed.Add(1)
	}
	// Retries the log showed are counted already; a source that does not
	// log them has its count here.
	p.mu.Lock()
	unlogged := int64(res.Attempts-1) - p.logged[res.Symbol]
	delete(p.logged, res.Symbol)
	p.mu.Unlock()
	if unlogged > 0 {
		p.retries.Add(unlogged)
	}
	if p.bar != nil {
		p.bar.Increment()
	}
}

// retried counts a retry of symbol as soon as the source logs it, not
// when the symbol ends.
func (p *progress) retried(symbol string) {
	p.mu.Lock()
	p.logged[symbol]++
	p.mu.Unlock()
	p.retries.Add(1)
}

// retryMessage is the message of the log records in which the Alpha
// Vantage client announces a retry.
const retryMessage = "retrying"

// retryCounter passes records on to the next handler and counts the
// source's retries into p as they are logged.
type retryCounter struct {
	next slog.Handler
	p    *progress
}

// logger returns a logger over next that counts the retries logged
// through it: the logger to give the source.
func (p *progress) logger(next slog.Handler) *slog.Logger {
	return slog.New(retryCounter{next, p})
}

func (h retryCounter) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn || h.next.Enabled(ctx, level)
}

func (h retryCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == retryMessage {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "symbol" {
				h.p.retried(a.Value.String())
				return false
			}
			return true
		})
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h retryCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return retryCounter{h.next.WithAttrs(attrs), h.p}
}

func (h retryCounter) WithGroup(name string) slog.Handler {
	return retryCounter{h.next.WithGroup(name), h.p}
}

// summary is the one-line state: rows, throughput, retries, failures.
func (p *progress) summary() string {
	elapsed := time.Since(p.start).Seconds()
	return fmt.Sprintf("%d rows  %.0f rows/s  %d retries  %d failed",
		p.rows.Load(), float64(p.rows.Load())/max(elapsed, 1e-9), p.retries.Load(), p.failed.Load())
}

func (p *progress) logEvery(interval time.Duration) {
	defer p.tickerDone.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			done := p.done.Load()
			eta := "unknown"
			if done > 0 {
				perSymbol := time.Since(p.start) / time.Duration(done)
				eta = (perSymbol * time.Duration(int64(p.total)-done)).Round(time.Second).String()
			}
			slog.Info("progress", "done", done, "total", p.total, "rows", p.rows.Load(),
				"retries", p.retries.Load(), "failed", p.failed.Load(), "eta", eta)
		case <-p.stopTicker:
			return
		}
	}
}

// stop ends the display; the bar is completed or aborted where it stands.
func (p *progress) stop() {
	if p.container != nil {
		if p.bar.Current() < int64(p.total) {
			p.bar.Abort(false)
		}
		p.container.Wait()
	}
	if p.stopTicker != nil {
		close(p.stopTicker)
		p.tickerDone.Wait()
	}
}

// isTerminal reports whether w, or the writer under a stopOnError, is a
// terminal.
func isTerminal(w io.Writer) bool {
	if s, ok := w.(*stopOnError); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
