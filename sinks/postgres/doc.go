// Package postgres is a [fetch.Sink] that loads series into a PostgreSQL
// table, over pgx and its pool, with each symbol's rows and its state
// committed together:
//
//	sink, err := postgres.Open(ctx, postgres.Options{URL: "postgres://loader@db:5432/markets"})
//	…
//	report, err := fetch.Run(ctx, fetch.Config{Symbols: syms, Source: src, Sink: sink, WriteWorkers: 4})
//
// The URL's missing parts come from the PG* environment variables and a
// missing password from ~/.pgpass, as with psql. No error, log line or
// table ever holds the password: [Redact] is the URL to show.
//
// # Tables
//
// The data table (default prices) is created at the first write, or by
// [Open] when Options.Schema is given, with the series' columns:
//
//	symbol text NOT NULL, date date NOT NULL,
//	open, high, low, close double precision NOT NULL, volume bigint NOT NULL,
//	[adjusted_close, dividend, split_coefficient double precision NOT NULL,]
//	[transform columns double precision, nullable,]
//	PRIMARY KEY (symbol, date)
//
// An existing table whose columns differ is refused with a [SchemaError]
// naming each difference, unless Options.Overwrite replaces it. Weekly and
// monthly series are stored alike (adjusted ones without
// split_coefficient), one table per kind of series. An intraday series'
// table has timestamp timestamp with time zone NOT NULL instead of date,
// and PRIMARY KEY (symbol, timestamp); its bars read back in the
// exchange's zone (sources.TimestampType), and a state row's first and
// last date are the exchange days of its first and last bar.
//
// Beside it, in the same schema, loader_datasets records per data table
// the settings that shaped it (Options.Settings), and loader_symbols per
// stored symbol its rows, first and last date, fetched_at, written_at,
// attempts, the settings' hash and the series' metadata ([State]).
//
// # One transaction per symbol
//
// [Sink.Write] encodes the record as a binary COPY stream, then, on one
// connection and in one transaction: COPY into a temporary staging table,
// delete the symbol's rows the series lacks, INSERT … ON CONFLICT (symbol,
// date) DO UPDATE the rest (a row whose values are unchanged is not
// rewritten), upsert the state row, COMMIT. A symbol the table does not
// hold yet has nothing to merge: it is copied straight into the table,
// which is cheaper (BenchmarkWrite). A symbol is therefore wholly
// stored with its state row or not at all, whatever fails — the server
// killed, the connection terminated, the run cancelled — and writing the
// same series again changes nothing. [Sink.Completed] is what a resumed run
// may keep; [Sink.ReadSeries] and [Sink.States] are what an update reads.
//
// # One writer per table
//
// Open takes a session advisory lock (pg_try_advisory_lock) on a key
// derived from the table's qualified name and holds it until Close. A
// second writer of the same table fails at once with [ErrLocked], naming
// the first (loader exits 75 for it). Every transaction commits its state
// row only while the lock is held by the run, so a run whose lock
// connection ended re-takes the lock before it writes again, or stops if
// another writer took it.
//
// # Bounded connections
//
// Options.MaxConns (default 4) bounds the connections, the lock's
// included: it is the pool's MaxConns, and a write waits for a free
// connection, which is how the writers push back on the fetchers. Encoding
// happens before a connection is taken. Every path gives its connection
// back, and Close (or Abort) closes them all.
package postgres
