package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/internal/leaktest"
	"github.com/seed-c7c8f39b/loader/internal/pgtest"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m, pgtest.StopShared) }

// database returns a new database on the shared server and its URL.
func database(t *testing.T) (*pgtest.Server, string, *pgx.Conn) {
	t.Helper()
	srv := pgtest.Shared(t)
	db := srv.CreateDB(t)
	return srv, srv.URL(db), srv.Conn(t, db)
}

// open opens a sink that t's cleanup closes.
func open(t *testing.T, opts postgres.Options) *postgres.Sink {
	t.Helper()
	sink, err := postgres.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	return sink
}

// symbolsN returns n distinct tickers.
func symbolsN(n int) []string {
	syms := make([]string, n)
	for i := range syms {
		syms[i] = fmt.Sprintf("S%03d", i)
	}
	return syms
}

// load runs fetch.Run over the sample source into a new sink of opts.
func load(t *testing.T, opts postgres.Options, syms []string) fetch.Report {
	t.Helper()
	sink, err := postgres.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	rep, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: syms, Source: sample.Source{}, Sink: sink, WriteWorkers: opts.MaxConns,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// count returns one integer a query selects.
func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// checkWhole fails t unless every symbol is either absent from table and
// loader_symbols, or holds exactly its full sample history with a state
// row that says so; it returns how many are whole.
func checkWhole(t *testing.T, conn *pgx.Conn, table string, syms []string) int {
	t.Helper()
	ctx := context.Background()
	whole := 0
	for _, sym := range syms {
		rows := count(t, conn, "SELECT count(*) FROM "+table+" WHERE symbol = $1", sym)
		var stateRows int64
		err := conn.QueryRow(ctx, "SELECT rows FROM loader_symbols WHERE table_name = $1 AND symbol = $2", table, sym).Scan(&stateRows)
		switch {
		case err == pgx.ErrNoRows && rows == 0:
		case err == pgx.ErrNoRows:
			t.Errorf("%s: %d rows without a state row: half-written", sym, rows)
		case err != nil:
			t.Fatal(err)
		case rows != stateRows || rows != int64(len(sample.Series(sym))):
			t.Errorf("%s: %d rows, state row says %d, the history has %d", sym, rows, stateRows, len(sample.Series(sym)))
		default:
			whole++
		}
	}
	return whole
}

// checkValues fails t unless table holds exactly sample.Series(sym), value
// for value, read through pgx's own decoding.
func checkValues(t *testing.T, conn *pgx.Conn, table, sym string) {
	t.Helper()
	rows, err := conn.Query(context.Background(),
		"SELECT date, open, high, low, close, volume FROM "+table+" WHERE symbol = $1 ORDER BY date", sym)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := sample.Series(sym)
	i := 0
	for rows.Next() {
		var b sources.Bar
		if err := rows.Scan(&b.Date, &b.Open, &b.High, &b.Low, &b.Close, &b.Volume); err != nil {
			t.Fatal(err)
		}
		if i >= len(want) {
			t.Fatalf("%s: more than the %d rows served", sym, len(want))
		}
		w := want[i]
		if !b.Date.Equal(w.Date) || b.Open != w.Open || b.High != w.High || b.Low != w.Low || b.Close != w.Close || b.Volume != w.Volume {
			t.Fatalf("%s row %d: got %+v, served %+v", sym, i, b, w)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(want) {
		t.Fatalf("%s: %d rows, served %d", sym, i, len(want))
	}
}

// loaderConns counts loader's connections to conn's database.
func loaderConns(t *testing.T, conn *pgx.Conn) int64 {
	t.Helper()
	return count(t, conn, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'loader%' AND pid <> pg_backend_pid()")
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
