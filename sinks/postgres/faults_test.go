package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/internal/pgtest"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// isFatal stops a run as loader's does: at a source that cannot go on, a
// server that cannot be reached, a table lost to another writer.
func isFatal(err error) bool {
	return errors.Is(err, sources.ErrFatal) || errors.Is(err, postgres.ErrUnavailable) || errors.Is(err, postgres.ErrLocked)
}

// resume writes the symbols an earlier run did not complete, and returns
// how many it kept.
func resume(t *testing.T, opts postgres.Options, syms []string) int {
	t.Helper()
	sink, err := postgres.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	done, err := sink.Completed(context.Background(), syms)
	if err != nil {
		t.Fatal(err)
	}
	var rest []string
	for _, s := range syms {
		if _, ok := done[s]; !ok {
			rest = append(rest, s)
		}
	}
	rep, err := fetch.Run(context.Background(), fetch.Config{Symbols: rest, Source: sample.Source{}, Sink: sink, WriteWorkers: opts.MaxConns})
	if err != nil || rep.Incomplete() != 0 {
		t.Fatalf("resume: %v, %d of %d failed", err, rep.Incomplete(), len(rest))
	}
	return len(done)
}

// Killing the server mid-run leaves every symbol whole or absent; the
// committed ones stay, and a resumed run completes the rest.
func TestServerKilledMidRun(t *testing.T) {
	t.Parallel()
	srv := pgtest.Start(t, pgtest.TestSettings...)
	db := srv.CreateDB(t)
	opts := postgres.Options{URL: srv.URL(db), MaxConns: 4, Settings: map[string]string{"source": "sample"}}
	syms := symbolsN(100)

	sink, err := postgres.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int64
	var kill sync.Once
	rep, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: syms, Source: sample.Source{}, Sink: sink, WriteWorkers: 4, IsFatal: isFatal,
		OnResult: func(r fetch.Result) {
			if r.Status == dataset.StatusOK && ok.Add(1) >= 10 {
				kill.Do(func() { srv.Kill(t) })
			}
		},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !errors.Is(rep.Fatal, postgres.ErrUnavailable) {
		t.Errorf("the run went on without a server: fatal %v", rep.Fatal)
	}
	reported := map[string]bool{}
	tot := rep.Totals()
	for _, res := range rep.Results {
		reported[res.Symbol] = res.Status == dataset.StatusOK
		// A symbol fails writing, or is cut off in flight by the run's stop,
		// which names the write that found the server gone.
		var cut *fetch.CutOffError
		if res.Status == dataset.StatusFailed && !strings.HasPrefix(res.Err.Error(), "postgres: write "+res.Symbol) &&
			!(errors.As(res.Err, &cut) && errors.Is(cut.Cause, postgres.ErrUnavailable)) {
			t.Errorf("%s failed without a clear reason: %v", res.Symbol, res.Err)
		}
	}
	t.Logf("killed after %d commits: %d ok, %d failed, %d skipped; for example: %v", 10, tot.OK, tot.Failed, tot.Skipped, firstFailure(rep))
	if tot.Failed == 0 || tot.OK == len(syms) {
		t.Fatalf("the kill did not interrupt the run: %+v", tot)
	}

	srv.Restart(t)
	conn := srv.Conn(t, db)
	whole := checkWhole(t, conn, "prices", syms)
	for sym, okReported := range reported {
		if okReported && count(t, conn, "SELECT count(*) FROM prices WHERE symbol = $1", sym) == 0 {
			t.Errorf("%s was reported written but is not in the table", sym)
		}
	}
	if whole < tot.OK {
		t.Errorf("%d symbols whole, %d reported ok", whole, tot.OK)
	}
	if kept := resume(t, opts, syms); kept != whole {
		t.Errorf("the resumed run kept %d symbols, %d were whole", kept, whole)
	}
	if got := checkWhole(t, conn, "prices", syms); got != len(syms) {
		t.Fatalf("after resuming: %d of %d whole", got, len(syms))
	}
}

// Terminating the connections of the symbols in flight fails only those,
// with the server's reason; the run goes on, re-taking the table's lock if
// its connection was one of them.
func TestTerminatedConnectionsFailOnlyTheirSymbols(t *testing.T) {
	t.Parallel()
	_, url, admin := database(t)
	opts := postgres.Options{URL: url, MaxConns: 4}
	syms := symbolsN(60)
	sink, err := postgres.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var (
		ok         atomic.Int64
		terminated atomic.Int64
		mu         sync.Mutex
	)
	rep, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: syms, Source: sample.Source{}, Sink: sink, WriteWorkers: 4, IsFatal: isFatal,
		OnResult: func(r fetch.Result) {
			if r.Status != dataset.StatusOK || ok.Add(1) < 10 || terminated.Load() > 0 {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if terminated.Load() == 0 {
				var n int64
				err := admin.QueryRow(context.Background(), `
					SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
					WHERE datname = current_database() AND application_name LIKE 'loader%'
					  AND state <> 'idle' AND pid <> pg_backend_pid()`).Scan(&n)
				if err != nil {
					t.Error(err)
				}
				terminated.Store(n)
			}
		},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	k := terminated.Load()
	tot := rep.Totals()
	t.Logf("terminated %d connections: %d ok, %d failed; for example: %v", k, tot.OK, tot.Failed, firstFailure(rep))
	for _, r := range rep.Results {
		if r.Err != nil {
			t.Log(r.Symbol, r.Status, r.Err)
		}
	}
	if k == 0 {
		t.Skip("no write was in flight when the test looked; nothing was terminated")
	}
	// A connection terminated between two transactions fails nothing: the
	// pool's next ping replaces it.
	if int64(tot.Failed) > k || tot.OK+tot.Failed != len(syms) {
		t.Fatalf("%d connections terminated: %+v, want at most %d failed and the rest ok", k, tot, k)
	}
	// A terminated connection that held the table's lock fails the write
	// it carried with that reason instead; one whose client saw only its
	// socket close says its connection ended.
	for _, res := range rep.Results {
		if msg := res.Err; res.Status == dataset.StatusFailed &&
			!strings.Contains(msg.Error(), "terminating connection due to administrator command") &&
			!strings.Contains(msg.Error(), "the table's lock was lost with its connection") &&
			!strings.Contains(msg.Error(), "its connection ended") {
			t.Errorf("%s failed for another reason: %v", res.Symbol, res.Err)
		}
	}
	if whole := checkWhole(t, admin, "prices", syms); whole != tot.OK {
		t.Errorf("%d whole, %d reported ok", whole, tot.OK)
	}
	resume(t, opts, syms)
	if whole := checkWhole(t, admin, "prices", syms); whole != len(syms) {
		t.Errorf("after resuming %d of %d whole", whole, len(syms))
	}
}

// A run whose lock connection ended takes the lock again; if another
// writer took it meanwhile, the run's writes fail with ErrLocked and
// store nothing.
func TestLockLostWithItsConnection(t *testing.T) {
	t.Parallel()
	_, url, admin := database(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	write := func(sink *postgres.Sink, sym string) error {
		rec := sample.Bars(sym, false, mem)
		defer rec.Release()
		_, err := sink.Write(ctx, sources.Series{Symbol: sym, Record: rec, Attempts: 1})
		return err
	}
	holders := func() int64 {
		return count(t, admin, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
	}
	terminateAll := func() {
		count(t, admin, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name LIKE 'loader%' AND pid <> pg_backend_pid()`)
	}

	a := open(t, postgres.Options{URL: url, MaxConns: 1})
	if err := write(a, "AAA"); err != nil {
		t.Fatal(err)
	}
	terminateAll()
	if err := write(a, "BBB"); err != nil {
		t.Fatalf("after its lock connection was terminated: %v", err)
	}
	if n := holders(); n != 1 {
		t.Fatalf("%d advisory locks held, want the run's one", n)
	}

	terminateAll()
	b := open(t, postgres.Options{URL: url, MaxConns: 1})
	err := write(a, "CCC")
	if !errors.Is(err, postgres.ErrLocked) || !strings.Contains(err.Error(), "was taken by another writer") {
		t.Fatalf("writing after another writer took the table: %v, want ErrLocked", err)
	}
	if n := count(t, admin, "SELECT count(*) FROM prices WHERE symbol = 'CCC'"); n != 0 {
		t.Fatalf("a run without the lock stored %d rows", n)
	}
	if err := write(b, "CCC"); err != nil {
		t.Fatal(err)
	}
}

func firstFailure(rep fetch.Report) error {
	for _, res := range rep.Results {
		if res.Status == dataset.StatusFailed {
			return res.Err
		}
	}
	return nil
}
