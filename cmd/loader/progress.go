package main

import (
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
}

// startProgress begins showing progress of total symbols on w.
func startProgress(w io.Writer, total int, quiet bool) *progress {
	p := &progress{total: total, start: time.Now()}
	switch {
	case quiet:
	case isTerminal(w):
		p.container = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
		p.bar = p.container.AddBar(int64(total),
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
	return p
}

// record counts one finished symbol; it is fetch.Config.OnResult.
func (p *progress) record(res fetch.Result) {
	p.done.Add(1)
	p.rows.Add(res.File.Rows)
	if res.Status == dataset.StatusFailed {
		p.failed.Add(1)
	}
	if res.Attempts > 1 {
		p.retries.Add(int64(res.Attempts - 1))
	}
	if p.bar != nil {
		p.bar.Increment()
	}
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
