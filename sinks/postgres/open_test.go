package postgres_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/pgtest"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/transform"
)

// Open fails at once, clearly and without the password, when the server
// cannot be used.
func TestOpenFailsClearly(t *testing.T) {
	srv := pgtest.Shared(t)
	db := srv.CreateDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().String()
	ln.Close()

	withPassword := func(raw, pw string) string {
		u, _ := url.Parse(raw)
		u.User = url.UserPassword(pgtest.User, pw)
		return u.String()
	}
	good := srv.URL(db)
	tests := []struct {
		name, url, want string
	}{
		{"unreachable", strings.Replace(good, "127.0.0.1:"+portOf(good), closedPort, 1), "connection refused"},
		{"wrong password", withPassword(good, srv.Password+"-wrong"), "password authentication failed"},
		{"no such database", strings.Replace(good, "/"+db+"?", "/no_such_db?", 1), `database "no_such_db" does not exist`},
		{"not a URL", "postgres://%zz", "postgres:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := postgres.Open(context.Background(), postgres.Options{URL: tt.url})
			if err == nil {
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v to fail", d)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "postgres: ") {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			for _, secret := range secrets(srv.Password) {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error holds the password: %v", err)
				}
			}
		})
	}
}

// The password from PGPASSWORD or ~/.pgpass works and is scrubbed as
// well as one in the URL.
func TestPasswordFromEnvironmentAndPgpass(t *testing.T) {
	srv := pgtest.Shared(t)
	db := srv.CreateDB(t)
	bare := strings.Replace(srv.URL(db), ":"+url.UserPassword("", srv.Password).String()[1:]+"@", "@", 1)
	if strings.Contains(bare, "pw") {
		t.Fatalf("the URL still holds the password: %s", bare)
	}

	t.Run("PGPASSWORD", func(t *testing.T) {
		t.Setenv("PGPASSWORD", srv.Password)
		t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
		sink := open(t, postgres.Options{URL: bare})
		sink.Close()
	})
	t.Run("PGPORT, PGDATABASE and postgresql://", func(t *testing.T) {
		t.Setenv("PGPASSWORD", srv.Password)
		t.Setenv("PGPORT", portOf(bare))
		t.Setenv("PGDATABASE", db)
		sink := open(t, postgres.Options{URL: "postgresql://" + pgtest.User + "@127.0.0.1/?sslmode=disable"})
		sink.Close()
	})
	t.Run("pgpass", func(t *testing.T) {
		pass := filepath.Join(t.TempDir(), "pgpass")
		line := "127.0.0.1:" + portOf(bare) + ":" + db + ":" + pgtest.User + ":" + strings.ReplaceAll(srv.Password, ":", `\:`) + "\n"
		if err := os.WriteFile(pass, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PGPASSWORD", "")
		t.Setenv("PGPASSFILE", pass)
		sink := open(t, postgres.Options{URL: bare})
		sink.Close()

		// A pgpass password that the server refuses is not shown either.
		wrong := strings.Replace(line, srv.Password, srv.Password+"-wrong", 1)
		os.WriteFile(pass, []byte(wrong), 0o600)
		_, err := postgres.Open(context.Background(), postgres.Options{URL: bare})
		if err == nil || strings.Contains(err.Error(), srv.Password) {
			t.Fatalf("Open with a wrong pgpass password: %v", err)
		}
	})
}

// An existing table with other columns is refused, naming every
// difference, unless Overwrite replaces it.
func TestSchemaMismatchRefused(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE TABLE prices (symbol text, date date, open double precision, high double precision,
		low double precision, close double precision, volume integer, note text, PRIMARY KEY (symbol, date))`); err != nil {
		t.Fatal(err)
	}
	features, _ := transform.Parse("sma:5")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaAfter(t, features, mem)

	_, err := postgres.Open(ctx, postgres.Options{URL: url, Schema: schema})
	t.Log(err)
	var se *postgres.SchemaError
	if !errors.As(err, &se) || !errors.Is(err, postgres.ErrSchema) {
		t.Fatalf("Open: %v, want a SchemaError", err)
	}
	for _, want := range []string{"column volume is integer, the series has bigint", "it has no column sma_5 (double precision)", "column note (text) is not in the series"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}

	// Without a schema given, the first write finds the mismatch.
	sink := open(t, postgres.Options{URL: url})
	rec := sample.Bars("AAPL", false, mem)
	defer rec.Release()
	if _, err := sink.Write(ctx, sources.Series{Symbol: "AAPL", Record: rec}); !errors.Is(err, postgres.ErrSchema) {
		t.Fatalf("Write: %v, want a SchemaError", err)
	}
	sink.Close()

	replaced := open(t, postgres.Options{URL: url, Schema: schema, Overwrite: true})
	replaced.Close()
	var cols string
	conn.QueryRow(ctx, "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'prices'::regclass AND attnum > 0 AND NOT attisdropped").Scan(&cols)
	if want := "symbol text, date date, open double precision, high double precision, low double precision, close double precision, volume bigint, sma_5 double precision"; cols != want {
		t.Fatalf("after Overwrite the columns are\n%s\nwant\n%s", cols, want)
	}
}

// A table recorded with other settings is refused, naming them, unless
// Overwrite; Completed keeps only symbols of the run's settings.
func TestSettingsRecordedAndChecked(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	ctx := context.Background()
	base := map[string]string{"--source": "sample", "--transform": ""}
	load(t, postgres.Options{URL: url, Settings: base}, []string{"AAPL", "MSFT"})

	other := map[string]string{"--source": "sample", "--transform": "sma:5", "--start": "2020-01-01"}
	_, err := postgres.Open(ctx, postgres.Options{URL: url, Settings: other})
	if !errors.Is(err, postgres.ErrSettings) {
		t.Fatalf("Open with other settings: %v, want ErrSettings", err)
	}
	for _, want := range []string{"--transform: the table has none, this run asks for sma:5", "--start: the table has none, this run asks for 2020-01-01"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}

	same := open(t, postgres.Options{URL: url, Settings: base})
	done, err := same.Completed(ctx, []string{"AAPL", "MSFT", "IBM"})
	if err != nil || len(done) != 2 || done["AAPL"].Rows == 0 {
		t.Fatalf("Completed = %v, %v; want AAPL and MSFT", done, err)
	}
	if got := same.Settings(); got["--source"] != "sample" {
		t.Errorf("Settings() = %v", got)
	}
	same.Close()

	replaced := open(t, postgres.Options{URL: url, Settings: other, Overwrite: true})
	done, err = replaced.Completed(ctx, []string{"AAPL", "MSFT"})
	if err != nil || len(done) != 0 {
		t.Fatalf("after Overwrite Completed = %v, %v; want none", done, err)
	}
	if n := count(t, conn, "SELECT count(*) FROM loader_symbols"); n != 0 {
		t.Errorf("Overwrite left %d state rows", n)
	}
}

// schemaAfter returns the schema of a daily series after fn.
func schemaAfter(t *testing.T, fn transform.Func, mem memory.Allocator) *arrow.Schema {
	t.Helper()
	rec := sample.Bars("X", false, mem)
	defer rec.Release()
	out, err := fn(rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	return out.Schema()
}

func portOf(raw string) string {
	u, _ := url.Parse(raw)
	return u.Port()
}

// secrets returns the spellings of a password that must never be shown.
func secrets(pw string) []string {
	return []string{pw, url.QueryEscape(pw), url.PathEscape(pw), url.UserPassword("", pw).String()[1:]}
}
