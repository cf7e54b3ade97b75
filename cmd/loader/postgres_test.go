package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/internal/pgtest"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// `loader fetch --out postgres://…` against a real server and the
// Alpha Vantage-compatible one: what arrives, what a second run and a
// resume do, what stops a run before its first request, and that the
// password appears in nothing the runs printed or stored.
func TestFetchIntoPostgres(t *testing.T) {
	pg := pgtest.Start(t, pgtest.TestSettings...)
	db := pg.CreateDB(t)
	conn := pg.Conn(t, db)
	ctx := context.Background()
	av, avURL := avtest.Start(t, avserver.Config{})
	t.Setenv("PG_TEST_AV_KEY", "pg-test-key")
	dsn := pg.URL(db)
	dir := t.TempDir()

	var printed []string // everything every run printed or wrote
	fetchPG := func(t *testing.T, extra ...string) (int, string, string, int64) {
		t.Helper()
		before := av.Stats().Requests
		report := filepath.Join(dir, "report.json")
		os.Remove(report)
		args := append([]string{"fetch", "--out", dsn, "--source", "alphavantage", "--base-url", avURL,
			"--api-key-env", "PG_TEST_AV_KEY", "--outputsize", "full", "--rate", "0", "--report", report}, extra...)
		code, stdout, stderr := runCLI(t, args...)
		js, _ := os.ReadFile(report)
		printed = append(printed, stdout, stderr, string(js))
		return code, stdout, stderr, av.Stats().Requests - before
	}
	rowsOf := func(syms ...string) int64 {
		var n int64
		for _, s := range syms {
			n += int64(len(sample.Series(s)))
		}
		return n
	}
	tableRows := func() int64 {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM prices").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	five := []string{"AAPL", "GOOGL", "IBM", "MSFT", "NVDA"}

	t.Run("first run", func(t *testing.T) {
		code, stdout, stderr, requests := fetchPG(t, "--symbols", strings.Join(five, ","))
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		if requests != 5 || tableRows() != rowsOf(five...) {
			t.Fatalf("%d requests, %d rows; want 5 and %d", requests, tableRows(), rowsOf(five...))
		}
		for _, want := range []string{"AAPL   5218 rows  2006-01-02 → 2025-12-31  public.prices", "5 symbols (5 ok, 0 failed, 0 skipped)"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		var rep struct {
			Symbols []struct{ File string } `json:"symbols"`
		}
		if err := json.Unmarshal([]byte(printed[len(printed)-1]), &rep); err != nil || len(rep.Symbols) != 5 || rep.Symbols[0].File != "public.prices" {
			t.Errorf("the JSON report: %v, %+v", err, rep)
		}
	})
	t.Run("second run changes nothing", func(t *testing.T) {
		code, _, stderr, _ := fetchPG(t, "--symbols", strings.Join(five, ","))
		if code != exitOK || tableRows() != rowsOf(five...) {
			t.Fatalf("exit %d, %d rows, want %d\n%s", code, tableRows(), rowsOf(five...), stderr)
		}
	})
	seven := append(five, "AMZN", "META")
	t.Run("resume requests only the rest", func(t *testing.T) {
		code, stdout, stderr, requests := fetchPG(t, "--symbols", strings.Join(seven, ","), "--resume")
		if code != exitOK || requests != 2 || tableRows() != rowsOf(seven...) {
			t.Fatalf("exit %d after %d requests, %d rows; want 2 requests and %d rows\n%s", code, requests, tableRows(), rowsOf(seven...), stderr)
		}
		if n := strings.Count(stdout, "(kept from an earlier run)"); n != 5 {
			t.Errorf("%d symbols kept, want 5:\n%s", n, stdout)
		}
	})
	t.Run("a second writer exits 75 at once", func(t *testing.T) {
		holder, err := postgres.Open(ctx, postgres.Options{URL: dsn})
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		start := time.Now()
		code, _, stderr, requests := fetchPG(t, "--symbols", "AAPL")
		if code != exitTempFail || requests != 0 || !strings.Contains(stderr, "is being written by another writer: loader pid ") {
			t.Fatalf("exit %d after %d requests, want 75 and none\n%s", code, requests, stderr)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("other settings are refused, or replaced with --overwrite", func(t *testing.T) {
		code, _, stderr, requests := fetchPG(t, "--symbols", "AAPL", "--transform", "sma:5")
		if code != exitUsage || requests != 0 || !strings.Contains(stderr, "--transform: the table has none, this run asks for sma:5") {
			t.Fatalf("exit %d after %d requests\n%s", code, requests, stderr)
		}
		code, _, stderr, _ = fetchPG(t, "--symbols", "AAPL", "--transform", "sma:5", "--overwrite")
		if code != exitOK || tableRows() != rowsOf("AAPL") {
			t.Fatalf("--overwrite: exit %d, %d rows\n%s", code, tableRows(), stderr)
		}
		var nulls int64
		conn.QueryRow(ctx, "SELECT count(*) FROM prices WHERE sma_5 IS NULL").Scan(&nulls)
		if nulls != 4 {
			t.Errorf("%d rows without an sma_5, want the first 4", nulls)
		}
	})
	t.Run("no request before the database is usable", func(t *testing.T) {
		u, _ := url.Parse(dsn)
		wrong := *u
		wrong.User = url.UserPassword(pgtest.User, pg.Password+"-wrong")
		noDB := *u
		noDB.Path = "/no_such_db"
		for _, tt := range []struct{ out, want string }{
			{wrong.String(), "password authentication failed"},
			{noDB.String(), `database "no_such_db" does not exist`},
			{"postgres://" + pgtest.User + "@127.0.0.1:1/" + db, "connection refused"},
		} {
			code, _, stderr, requests := fetchPG(t, "--symbols", "AAPL", "--out", tt.out)
			if code != exitFailure || requests != 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d after %d requests, want 1 and none, saying %q:\n%s", code, requests, tt.want, stderr)
			}
		}
	})
	t.Run("flags of the other kind of --out", func(t *testing.T) {
		if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL", "--out", dsn, "--format", "csv"); code != exitUsage || !strings.Contains(stderr, "--format needs a directory --out") {
			t.Errorf("--format with a database: exit %d\n%s", code, stderr)
		}
		if code, _, stderr := runCLI(t, "fetch", "--symbols", "AAPL", "--out", t.TempDir(), "--db-conns", "2"); code != exitUsage || !strings.Contains(stderr, "--db-conns needs --out postgres://") {
			t.Errorf("--db-conns with a directory: exit %d\n%s", code, stderr)
		}
	})

	// The password, in every spelling, is in nothing printed or stored.
	var stored []string
	for _, table := range []string{"loader_datasets", "loader_symbols"} {
		var text string
		if err := conn.QueryRow(ctx, "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM "+table+" t").Scan(&text); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, text)
	}
	if !strings.Contains(stored[1], "AAPL") {
		t.Fatalf("loader_symbols holds no AAPL: %q", stored[1])
	}
	escaped := url.UserPassword("", pg.Password).String()[1:]
	for _, secret := range []string{pg.Password, url.QueryEscape(pg.Password), escaped} {
		for _, text := range append(printed, stored...) {
			if strings.Contains(text, secret) {
				t.Fatalf("%q appears in:\n%s", secret, text)
			}
		}
	}
}

// `loader update postgres://…` brings a table up to date as `loader update
// DIR` does a directory: one compact request per symbol, the new days
// appended with their transforms, a changed history refetched whole, and
// the table then equal to a fresh fetch's, row for row.
func TestUpdatePostgres(t *testing.T) {
	pg := pgtest.Start(t, pgtest.TestSettings...)
	db := pg.CreateDB(t)
	conn := pg.Conn(t, db)
	ctx := context.Background()
	srv, avURL := startUpdateServer(t)
	dsn := pg.URL(db)
	syms := []string{"AAPL", "IBM", "MSFT"}
	shape := []string{"--adjusted", "--transform", "returns,sma:5"}

	if code, _, stderr := runCLI(t, avFetch(avURL, dsn, strings.Join(syms, ","), shape...)...); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s", code, stderr)
	}
	lastDays := func(table string) map[string]string {
		rows, err := conn.Query(ctx, "SELECT symbol, max(date)::text FROM "+table+" GROUP BY symbol")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var sym, last string
			if err := rows.Scan(&sym, &last); err != nil {
				t.Fatal(err)
			}
			out[sym] = last
		}
		return out
	}
	before := lastDays("prices")

	srv.Advance(5)
	code, stdout, stderr, compact, full := counted(t, srv, "update", dsn, "--base-url", avURL, "--rate", "0")
	if code != exitOK {
		t.Fatalf("update: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if compact != 3 || full != 0 {
		t.Errorf("update made %d compact and %d full requests, want one compact request per symbol", compact, full)
	}
	after := lastDays("prices")
	for _, sym := range syms {
		if !regexp.MustCompile(`(?m)^` + sym + `\s.*\(appended 5 bars\)$`).MatchString(stdout) {
			t.Errorf("report lacks %s appended 5 bars:\n%s", sym, stdout)
		}
		if after[sym] <= before[sym] || after[sym] != srv.LastDay().Format(time.DateOnly) {
			t.Errorf("%s ends %s after the update, %s before; want the server's last day %s", sym, after[sym], before[sym], srv.LastDay().Format(time.DateOnly))
		}
	}

	code, stdout, stderr, compact, full = counted(t, srv, "update", dsn, "--base-url", avURL, "--rate", "0")
	if code != exitOK || compact != 3 || full != 0 || strings.Count(stdout, "(unchanged)") != 3 {
		t.Errorf("a second update: exit %d, %d compact and %d full requests, want 3 unchanged symbols\n%s\n%s", code, compact, full, stdout, stderr)
	}

	srv.AddDividend("MSFT", srv.LastDay().AddDate(0, 0, -7), 0.8)
	srv.Advance(1)
	code, stdout, stderr, compact, full = counted(t, srv, "update", dsn, "--base-url", avURL, "--rate", "0", "--symbols", "KO")
	if code != exitOK {
		t.Fatalf("update after a dividend: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if compact != 3 || full != 2 {
		t.Errorf("%d compact and %d full requests: want a compact one per stored symbol, and full ones for MSFT's refetch and the new KO", compact, full)
	}
	if !regexp.MustCompile(`(?m)^MSFT\s.*\(refetched: adjusted_close of \S+ changed from \S+ to \S+\)$`).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^AAPL\s.*\(appended 1 bar\)$`).MatchString(stdout) || !strings.Contains(stdout, "4 symbols (4 ok") {
		t.Errorf("report:\n%s", stdout)
	}

	// The updated table equals a fresh fetch, row for row, value for value.
	all := append(syms, "KO")
	if code, _, stderr := runCLI(t, avFetch(avURL, dsn, strings.Join(all, ","), append(shape, "--table", "fresh")...)...); code != exitOK {
		t.Fatalf("fresh fetch: exit %d\n%s", code, stderr)
	}
	var differ, rows, freshRows int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM ((TABLE prices EXCEPT TABLE fresh) UNION ALL (TABLE fresh EXCEPT TABLE prices)) d").Scan(&differ); err != nil {
		t.Fatal(err)
	}
	conn.QueryRow(ctx, "SELECT count(*) FROM prices").Scan(&rows)
	conn.QueryRow(ctx, "SELECT count(*) FROM fresh").Scan(&freshRows)
	if differ != 0 || rows != freshRows || rows == 0 {
		t.Errorf("the updated table has %d rows, a fresh fetch %d; %d rows differ", rows, freshRows, differ)
	}
	// Its state rows carry the table's settings: a fetch --resume with them
	// keeps every symbol.
	code, stdout, stderr, compact, full = counted(t, srv, append(avFetch(avURL, dsn, strings.Join(all, ","), shape...), "--resume")...)
	if code != exitOK || compact+full != 0 {
		t.Errorf("fetch --resume after the update: exit %d after %d requests, want none\n%s\n%s", code, compact+full, stdout, stderr)
	}

	if code, _, stderr := runCLI(t, "update", t.TempDir(), "--table", "prices"); code != exitUsage || !strings.Contains(stderr, "--table needs a postgres:// database") {
		t.Errorf("--table with a directory: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "update", dsn, "--table", "nothing_here"); code != exitUsage || !strings.Contains(stderr, "holds no dataset") {
		t.Errorf("a table never loaded: exit %d\n%s", code, stderr)
	}
}

// Weekly and monthly bars go into a PostgreSQL table and are kept up to
// date there as daily ones are: one request per symbol for the fetch and
// for each update, the table then equal to a fresh fetch's. Intraday bars,
// whose months a run stages in a dataset, are refused before any request.
func TestWeeklyAndMonthlyInPostgres(t *testing.T) {
	pg := pgtest.Start(t, pgtest.TestSettings...)
	db := pg.CreateDB(t)
	conn := pg.Conn(t, db)
	ctx := context.Background()
	srv, avURL := startUpdateServer(t)
	dsn := pg.URL(db)
	syms := "IBM,KO"
	requests := func(args ...string) (int, string, int64) {
		t.Helper()
		before := srv.Stats().Requests
		code, stdout, stderr := runCLI(t, args...)
		return code, stdout + stderr, srv.Stats().Requests - before
	}
	for _, tt := range []struct {
		function string
		extra    []string
	}{
		{"weekly", []string{"--adjusted"}},
		{"monthly", nil},
	} {
		t.Run(tt.function, func(t *testing.T) {
			shape := append([]string{"--function", tt.function, "--table", tt.function}, tt.extra...)
			if code, out, n := requests(avFetch(avURL, dsn, syms, shape...)...); code != exitOK || n != 2 {
				t.Fatalf("fetch: exit %d after %d requests, want 0 after 2\n%s", code, n, out)
			}
			var rows int64
			conn.QueryRow(ctx, "SELECT count(*) FROM "+tt.function+" WHERE symbol = 'IBM'").Scan(&rows)
			if want := len(sample.Periods(sample.History("IBM", srv.LastDay()), sources.Function(tt.function))); rows != int64(want) {
				t.Errorf("%d %s bars of IBM stored, want the %d served", rows, tt.function, want)
			}

			srv.Advance(15)
			if code, out, n := requests("update", dsn, "--table", tt.function, "--base-url", avURL, "--rate", "0"); code != exitOK || n != 2 {
				t.Fatalf("update: exit %d after %d requests, want 0 after 2\n%s", code, n, out)
			}
			fresh := tt.function + "_fresh"
			if code, out, _ := requests(avFetch(avURL, dsn, syms, append(shape, "--table", fresh)...)...); code != exitOK {
				t.Fatalf("fresh fetch: exit %d\n%s", code, out)
			}
			var differ int64
			q := fmt.Sprintf("SELECT count(*) FROM ((TABLE %[1]s EXCEPT TABLE %[2]s) UNION ALL (TABLE %[2]s EXCEPT TABLE %[1]s)) d", tt.function, fresh)
			if err := conn.QueryRow(ctx, q).Scan(&differ); err != nil || differ != 0 {
				t.Errorf("the updated %s table and a fresh fetch differ in %d rows (%v)", tt.function, differ, err)
			}
		})
	}
	code, out, n := requests(avFetch(avURL, dsn, syms, "--function", "intraday", "--interval", "5min", "--table", "intraday")...)
	if code != exitUsage || n != 0 || !strings.Contains(out, "--function intraday") {
		t.Errorf("intraday into PostgreSQL: exit %d after %d requests, want 2 after none\n%s", code, n, out)
	}
}
