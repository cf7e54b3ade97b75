package alphavantage

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// send records n requests spaced by every, as the client does when it
// sends them.
func send(p *pacer, n int, every time.Duration) {
	for range n {
		p.sent()
		time.Sleep(every)
	}
}

// TestPacerBurstCutsOnce checks that rate-limit answers arriving together
// are one signal: eight at once, and more within the window, cut once, to
// half of what was being sent; after the window, the next cuts again.
func TestPacerBurstCutsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(600, slog.New(slog.DiscardHandler))
		send(p, 10, 100*time.Millisecond) // 600 a minute for a second

		var wg sync.WaitGroup
		cuts := make(chan bool, 8)
		for range 8 {
			wg.Go(func() { cuts <- p.limited("IBM") })
		}
		wg.Wait()
		close(cuts)
		n := 0
		for cut := range cuts {
			if cut {
				n++
			}
		}
		if n != 1 || p.rate() != 300 {
			t.Fatalf("8 answers at once: %d cuts, rate %v; want 1 cut, to 300", n, p.rate())
		}
		if got := p.limiter.Limit(); got != perSecond(300) {
			t.Errorf("limiter at %v per second, want %v", got, perSecond(300))
		}

		time.Sleep(30 * time.Second)
		p.sent()
		if p.limited("IBM") || p.rate() != 300 {
			t.Errorf("an answer within the window cut again, to %v", p.rate())
		}

		time.Sleep(31 * time.Second)
		send(p, 10, time.Second) // 10 starts in the last minute, plus the one above
		if !p.limited("IBM") || p.rate() != 5.5 {
			t.Errorf("after the window: rate %v, want 5.5, half of the 11 sent in the last minute", p.rate())
		}
		time.Sleep(time.Minute)
		p.sent()
		if !p.limited("IBM") || p.rate() != MinRate {
			t.Errorf("a minute later: rate %v, want the floor %v", p.rate(), MinRate)
		}
	})
}

// TestPacerCut checks the rate a first cut sets: half of the lower of the
// rate and what was really sent, never below the floor.
func TestPacerCut(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ceiling float64
		starts  int
		every   time.Duration
		want    float64
	}{
		{"limited by the rate", 600, 10, 100 * time.Millisecond, 300},
		{"limited by what was sent", 600, 20, time.Second, 30},
		{"no limit: half of what was sent", math.Inf(1), 50, 100 * time.Millisecond, 300},
		{"a burst at the start counts over minSpan", math.Inf(1), 8, 0, 2400},
		{"the floor", 60, 3, 10 * time.Second, MinRate},
		{"a rate below the floor stays", 2, 2, 30 * time.Second, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPacer(tt.ceiling, slog.New(slog.DiscardHandler))
				send(p, tt.starts, tt.every)
				p.limited("IBM")
				if got := p.rate(); got != tt.want {
					t.Errorf("rate %v, want %v", got, tt.want)
				}
				if math.IsInf(tt.ceiling, 1) && p.limiter.Limit() == rate.Inf {
					t.Error("the limiter is still unlimited")
				}
			})
		})
	}
}

// TestPacerRaises checks the additive increase: after a window without a
// rate-limit answer in which the rate was used, one step (an eighth of the
// rate that was cut) per window, up to the ceiling and not past it; an
// unused rate is not raised.
func TestPacerRaises(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(120, slog.New(slog.DiscardHandler))
		send(p, 60, 500*time.Millisecond) // half a minute at 120 a minute
		p.limited("IBM")
		if p.rate() != 60 {
			t.Fatalf("cut to %v, want 60", p.rate())
		}
		// A minute at the new rate, every request accepted.
		var rates []float64
		for range 5 {
			for range 60 {
				p.sent()
				p.accept()
				time.Sleep(time.Second)
			}
			p.accept()
			rates = append(rates, p.rate())
		}
		want := []float64{75, 90, 105, 120, 120}
		for i := range want {
			if rates[i] != want[i] {
				t.Fatalf("rates after each minute %v, want %v", rates, want)
			}
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(120, slog.New(slog.DiscardHandler))
		send(p, 60, 500*time.Millisecond)
		p.limited("IBM")
		for range 3 {
			time.Sleep(time.Minute)
			p.sent()
			p.accept() // one request a minute: the rate of 60 goes unused
		}
		if p.rate() != 60 {
			t.Errorf("an unused rate was raised to %v", p.rate())
		}
	})
}

// TestPacerWait checks that a wait for the limiter ends when the client
// closes for new requests or ctx ends, and gives its token back.
func TestPacerWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(1, slog.New(slog.DiscardHandler)) // one a minute
		if err := p.wait(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		time.AfterFunc(time.Second, func() { close(closed) })
		start := time.Now()
		if err := p.wait(context.Background(), closed); !errors.Is(err, errClosed) || time.Since(start) != time.Second {
			t.Errorf("closed after 1s: %v after %v", err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := p.wait(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ctx ended: %v", err)
		}
		// The cancelled reservations are given back: the next request may
		// go a minute after the first.
		start = time.Now()
		if err := p.wait(context.Background(), nil); err != nil || time.Since(start) != time.Minute-3*time.Second {
			t.Errorf("next wait %v (%v), want the rest of the minute", time.Since(start), err)
		}
	})
}

// TestMeter checks the sliding count of a meter.
func TestMeter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMeter(time.Now(), time.Minute)
		for range 30 {
			m.add(time.Now())
			time.Sleep(time.Second)
		}
		if got := m.sum(time.Now()); got != 30 {
			t.Errorf("after 30 s: %d, want 30", got)
		}
		time.Sleep(45 * time.Second)
		// At 75 s, the window is the buckets of seconds 16 to 75.
		if got := m.sum(time.Now()); got != 14 {
			t.Errorf("45 s later: %d, want the 14 of seconds 16 to 29", got)
		}
		time.Sleep(time.Hour)
		if got := m.sum(time.Now()); got != 0 {
			t.Errorf("an hour later: %d, want 0", got)
		}
	})
}
