package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"
)

// ErrUnavailable is matched (errors.Is) by the error of a Write that could
// not reach the server at all: every later symbol would fail the same way,
// so a run should stop rather than fetch them.
var ErrUnavailable = errors.New("the server is unreachable")

// ErrClosed is returned by the methods of a closed Sink.
var ErrClosed = errors.New("postgres: sink closed")

// Sink writes series into one PostgreSQL table, each symbol's rows and its
// state row in one transaction. It is a fetch.Sink, safe for concurrent
// use; Open it, Write any number of series, then Close or Abort it.
type Sink struct {
	opts      Options
	table     tableName
	key       int64
	hash      string // of opts.Settings
	pool      *pgxpool.Pool
	scrub     *scrubber
	sem       chan struct{} // one token per connection a write may use
	lock      holder
	relocking sync.Mutex
	location  string // the redacted URL, for people

	mu       sync.Mutex // guards the fields below
	cols     []column   // the table's, nil until it is known to fit
	settings map[string]string
	closed   bool
}

// Open connects to opts.URL, takes the table's lock and prepares the state
// tables, and with opts.Schema the data table. It fails before anything is
// fetched when the server is unreachable, refuses the credentials or lacks
// the database (the error never holds the password), when another writer
// holds the table (ErrLocked), or when the table differs from the run
// (*SchemaError, *SettingsError).
func Open(ctx context.Context, opts Options) (*Sink, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	scrub := newScrubber(opts.URL)
	table, err := parseTable(opts.Table)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, scrub.error(fmt.Errorf("postgres: %w", err))
	}
	scrub.add(cfg.ConnConfig.Password)
	cfg.MaxConns = int32(opts.MaxConns)
	cfg.MinConns = 0
	// A connection that ended while idle (the server restarted, or an
	// administrator terminated it) must not fail the next symbol: one
	// round trip per write finds out first.
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "loader"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, scrub.error(fmt.Errorf("postgres: %w", err))
	}
	s := &Sink{
		opts:     opts,
		table:    table,
		pool:     pool,
		scrub:    scrub,
		sem:      make(chan struct{}, opts.MaxConns),
		hash:     settingsHash(opts.Settings),
		location: Redact(opts.URL),
	}
	if err := s.open(ctx); err != nil {
		pool.Close()
		return nil, s.scrub.error(err)
	}
	return s, nil
}

// open takes the lock and prepares the tables.
func (s *Sink) open(ctx context.Context) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err) // pgx names the user, database and address
	}
	if s.table.schema == "" {
		if err := c.QueryRow(ctx, "SELECT current_schema()").Scan(&s.table.schema); err != nil {
			c.Release()
			return fmt.Errorf("postgres: %w", err)
		}
	}
	s.key = lockKey(s.table)
	ok, err := tryLock(ctx, c.Conn(), s.key)
	if err != nil || !ok {
		holderOf := ""
		if err == nil {
			_, holderOf = lockHolder(ctx, c.Conn(), s.key)
		}
		c.Release()
		if err != nil {
			return fmt.Errorf("postgres: lock %s: %w", s.table, err)
		}
		return fmt.Errorf("postgres: %w", &LockError{Table: s.table.String(), Holder: holderOf})
	}
	s.lock.conn, s.lock.pid = c, c.Conn().PgConn().PID()
	err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return s.prepare(ctx, tx) })
	if err != nil {
		s.lock.release(s.key)
		return err
	}
	s.lock.put(c)
	return nil
}

// prepare creates the state tables, checks or records the settings, and
// replaces or checks the data table.
func (s *Sink) prepare(ctx context.Context, tx pgx.Tx) error {
	// Runs on other tables of the schema may create the state tables at
	// the same moment: CREATE TABLE IF NOT EXISTS is not safe against that.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey(tableName{s.table.schema, SymbolsTable})); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if _, err := tx.Exec(ctx, stateDDL(s.table)); err != nil {
		return fmt.Errorf("postgres: create the state tables in schema %s: %w", s.table.schema, err)
	}
	settings, err := recordSettings(ctx, tx, s.table, s.opts.Settings, s.opts.Overwrite)
	if err != nil {
		return err
	}
	s.settings = settings
	if s.opts.Overwrite {
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+s.table.ident()); err != nil {
			return fmt.Errorf("postgres: drop %s: %w", s.table, err)
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE table_name = $1", s.table.sibling(SymbolsTable)), s.table.name); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	if s.opts.Schema == nil {
		return nil
	}
	cols, err := s.fit(ctx, tx, s.opts.Schema)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	s.cols = cols
	return nil
}

// fit returns the table's columns after checking that series of schema fit
// them, creating the table if it is missing.
func (s *Sink) fit(ctx context.Context, q querier, schema *arrow.Schema) ([]column, error) {
	want, err := columnsOf(schema)
	if err != nil {
		return nil, err
	}
	have, keyed, err := tableColumns(ctx, q, s.table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", s.table, err)
	}
	if have == nil {
		if _, err := q.Exec(ctx, createTable(s.table, want)); err != nil {
			return nil, fmt.Errorf("create %s: %w", s.table, err)
		}
		return want, nil
	}
	if diffs := differences(want, have, keyed); len(diffs) > 0 {
		return nil, &SchemaError{Table: s.table.String(), Differences: diffs}
	}
	return have, nil
}

// Table returns the data table's qualified name, schema.name.
func (s *Sink) Table() string { return s.table.String() }

// Location returns the database's URL without its password, for logs.
func (s *Sink) Location() string { return s.location }

// Settings returns the settings recorded for the table: those of
// Options.Settings, or the table's own when Options.Settings is nil.
func (s *Sink) Settings() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// Stat returns the pool's counters: how many connections are open and in
// use. It never counts more than MaxConns.
func (s *Sink) Stat() *pgxpool.Stat { return s.pool.Stat() }

// Write stores ser's rows as the whole of its symbol in the table, and its
// state row, in one transaction: afterwards the table holds exactly these
// rows of the symbol (rows it held that the series lacks are deleted,
// unchanged rows are not rewritten), or, on error, what it held before.
// Writing the same series again changes nothing. The caller keeps
// ownership of ser.Record.
func (s *Sink) Write(ctx context.Context, ser sources.Series) (dataset.File, error) {
	f, err := s.write(ctx, ser)
	return f, s.scrub.error(err)
}

func (s *Sink) write(ctx context.Context, ser sources.Series) (dataset.File, error) {
	if s.isClosed() {
		return dataset.File{}, ErrClosed
	}
	rec := ser.Record
	cols, idx, types, err := s.copyColumns(ctx, rec.Schema())
	if err != nil {
		return dataset.File{}, fmt.Errorf("postgres: write %s: %w", ser.Symbol, err)
	}
	first, last, err := dateRange(rec)
	if err != nil {
		return dataset.File{}, fmt.Errorf("postgres: write %s: %w", ser.Symbol, err)
	}
	// Encoding comes before taking a connection: no connection waits on
	// the CPU.
	bp := copyBuffers.Get().(*[]byte)
	payload := encodeCopy((*bp)[:0], ser.Symbol, rec, idx, types)
	defer func() {
		*bp = payload[:0]
		copyBuffers.Put(bp)
	}()
	st := State{
		Symbol:    ser.Symbol,
		Rows:      rec.NumRows(),
		FirstDate: first,
		LastDate:  last,
		Attempts:  ser.Attempts,
		Meta:      ser.Meta,
	}
	if at, ok := ser.Meta["fetched_at"]; ok {
		st.FetchedAt, _ = time.Parse(time.RFC3339, at)
	}

	c, err := s.acquire(ctx)
	if err != nil {
		return dataset.File{}, fmt.Errorf("postgres: write %s: %w", ser.Symbol, err)
	}
	defer func() { s.release(c) }()
	for attempt := 0; ; attempt++ {
		err = s.commit(ctx, c, cols, payload, st)
		switch {
		case err == nil:
			return dataset.File{Path: s.table.String(), Bytes: int64(len(payload)), Rows: st.Rows, FirstDate: first, LastDate: last}, nil
		case attempt > 0:
		case errors.Is(err, errLockLost):
			if err := s.relock(ctx, c); err != nil {
				return dataset.File{}, fmt.Errorf("postgres: write %s: %w", ser.Symbol, err)
			}
			continue
		case pgconn.SafeToRetry(err):
			// The connection had ended before this write began (the
			// server restarted, or it was terminated while idle):
			// nothing reached the server, so a new one may try.
			s.release(c)
			if c, err = s.acquire(ctx); err != nil {
				c = nil
				return dataset.File{}, fmt.Errorf("postgres: write %s: %w", ser.Symbol, err)
			}
			continue
		}
		if errors.Is(err, errCommit) {
			return dataset.File{}, fmt.Errorf("postgres: write %s to %s: %w", ser.Symbol, s.table, err)
		}
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) && c.Conn().IsClosed() {
			// The server ended the connection mid-write, and the client
			// saw only its own socket close.
			err = fmt.Errorf("%w: %w", errConnEnded, err)
		}
		return dataset.File{}, fmt.Errorf("postgres: write %s to %s: rolled back, none of its rows were stored: %w", ser.Symbol, s.table, err)
	}
}

// copyBuffers keeps the buffers of COPY streams for reuse.
var copyBuffers = sync.Pool{New: func() any { return new([]byte) }}

var (
	// errLockLost is the commit's finding that the run no longer holds
	// the table's lock.
	errLockLost = errors.New("the table's lock was lost with its connection")
	// errCommit marks a failed COMMIT, whose outcome the client cannot
	// know.
	// errConnEnded marks a write whose connection ended under it
	// without the server's reason reaching the client.
	errConnEnded = errors.New("its connection ended")
	errCommit    = errors.New("COMMIT failed; the symbol is stored whole with its state row, or not at all")
)

// commit runs the transaction that stores one symbol and commits it. A
// symbol the table holds is copied into a staging table, its rows the
// series lacks are deleted, and the rest merged; one it does not hold is
// copied straight in, which is the same with nothing to merge. The state
// row is written only while the run holds the lock.
func (s *Sink) commit(ctx context.Context, c *pgxpool.Conn, cols []column, payload []byte, st State) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	q := s.statements(cols)
	var held bool
	if err := tx.QueryRow(ctx, q.held, st.Symbol).Scan(&held); err != nil {
		return err
	}
	b := &pgx.Batch{}
	if held {
		if _, err := tx.Exec(ctx, q.stage); err != nil {
			return err
		}
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(payload), q.copyStage); err != nil {
			return fmt.Errorf("COPY: %w", err)
		}
		b.Queue(q.delete, st.Symbol)
		b.Queue(q.merge)
	} else if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(payload), q.copyTable); err != nil {
		return fmt.Errorf("COPY: %w", err)
	}
	classid, objid := lockIDs(s.key)
	var first, last any
	if st.Rows > 0 {
		first, last = st.FirstDate, st.LastDate
	}
	var fetched any
	if !st.FetchedAt.IsZero() {
		fetched = st.FetchedAt
	}
	meta := st.Meta
	if meta == nil {
		meta = map[string]string{}
	}
	b.Queue(q.state, s.table.name, st.Symbol, st.Rows, first, last, fetched, st.Attempts, s.hash, meta,
		int64(classid), int64(objid), int64(s.lock.lockPID()))
	br := tx.SendBatch(ctx, b)
	steps := []string{"state row"}
	if held {
		steps = []string{"delete the rows the series lacks", "merge", "state row"}
	}
	var tag pgconn.CommandTag
	for _, step := range steps {
		if tag, err = br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("%s: %w", step, err)
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return errLockLost
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%w: %w", errCommit, err)
	}
	return nil
}

// relock takes the table's lock again on c after its connection ended, so
// that the run goes on; if another writer took it meanwhile, the run has
// lost the table.
func (s *Sink) relock(ctx context.Context, c *pgxpool.Conn) error {
	// One at a time, so that a write finds the lock its run took again.
	s.relocking.Lock()
	defer s.relocking.Unlock()
	// A session closed by this side may hold the lock a moment longer,
	// until its server process notices.
	deadline := time.Now().Add(relockWait)
	for {
		ok, err := tryLock(ctx, c.Conn(), s.key)
		if err != nil {
			return fmt.Errorf("take the lock of %s again: %w", s.table, err)
		}
		if ok {
			s.lock.promote(c)
			return nil
		}
		pid, desc := lockHolder(ctx, c.Conn(), s.key)
		if pid != 0 && pid == s.lock.lockPID() {
			return nil // another write of this run took it again first
		}
		if (pid != 0 && pid != s.lock.lostPID()) || time.Now().After(deadline) {
			return &LockError{Table: s.table.String(), Holder: desc, Lost: true}
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// relockWait bounds how long relock waits for the server to end a session
// of this run that held the lock.
const relockWait = 5 * time.Second

// acquire returns a connection for one write: the lock's own when no other
// write uses it, else one of the pool's. With one token per connection,
// the pool always has one free when the lock's is busy, so at most
// MaxConns connections are ever open and none waits for another forever.
func (s *Sink) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c := s.lock.take(ctx); c != nil {
		return c, nil
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		<-s.sem
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return c, nil
}

// release gives back a connection acquire returned. It gives back the
// connection before the token, which keeps acquire's promise.
func (s *Sink) release(c *pgxpool.Conn) {
	if c == nil {
		return
	}
	if !s.lock.put(c) {
		c.Release()
	}
	<-s.sem
}

// copyColumns returns the table's columns, checked against a series of
// schema (the table is created at the first write when Options.Schema
// was not given), and the record's columns to COPY, skipping symbol.
func (s *Sink) copyColumns(ctx context.Context, schema *arrow.Schema) ([]column, []int, []pgType, error) {
	want, err := columnsOf(schema)
	if err != nil {
		return nil, nil, nil, err
	}
	have, err := s.tableFor(ctx, schema)
	if err != nil {
		return nil, nil, nil, err
	}
	const keyed = true // checked when the table was fitted
	if diffs := differences(want, have, keyed); len(diffs) > 0 {
		return nil, nil, nil, &SchemaError{Table: s.table.String(), Differences: diffs}
	}
	var (
		cols  []column
		idx   []int
		types []pgType
	)
	for i, f := range schema.Fields() {
		if f.Name == sources.ColSymbol {
			continue
		}
		t, _ := typeOf(f.Type)
		cols = append(cols, column{name: f.Name, typ: t})
		idx = append(idx, i)
		types = append(types, t)
	}
	return cols, idx, types, nil
}

// tableFor returns the table's columns, fitting the table to schema first
// if no write has yet. The other writes wait for the first.
func (s *Sink) tableFor(ctx context.Context, schema *arrow.Schema) ([]column, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cols != nil {
		return s.cols, nil
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer s.release(c)
	var cols []column
	err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		var err error
		cols, err = s.fit(ctx, tx, schema)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.cols = cols
	return cols, nil
}

// statements are the SQL of one symbol's transaction.
type statements struct{ held, stage, copyStage, copyTable, delete, merge, state string }

// statements builds the SQL that writes a record whose non-symbol columns
// are cols, in its order, after the symbol.
func (s *Sink) statements(cols []column) statements {
	const stage = "pg_temp.loader_stage"
	ident := func(name string) string { return pgx.Identifier{name}.Sanitize() }
	key := keyOf(cols)
	symbol, date := ident(sources.ColSymbol), ident(key)
	defs, names := []string{symbol + " text"}, []string{symbol}
	var set, old, fresh []string
	for _, c := range cols {
		defs = append(defs, ident(c.name)+" "+c.typ.name)
		names = append(names, ident(c.name))
		if c.name != key {
			set = append(set, ident(c.name)+" = EXCLUDED."+ident(c.name))
			old = append(old, "d."+ident(c.name))
			fresh = append(fresh, "EXCLUDED."+ident(c.name))
		}
	}
	list := strings.Join(names, ", ")
	conflict := "DO NOTHING"
	switch len(set) {
	case 0:
	case 1:
		conflict = fmt.Sprintf("DO UPDATE SET %s WHERE %s IS DISTINCT FROM %s", set[0], old[0], fresh[0])
	default:
		conflict = fmt.Sprintf("DO UPDATE SET %s WHERE (%s) IS DISTINCT FROM (%s)",
			strings.Join(set, ", "), strings.Join(old, ", "), strings.Join(fresh, ", "))
	}
	return statements{
		held: fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s = $1)", s.table.ident(), symbol),
		// A staging table per connection, emptied by every commit. Its
		// rows are not WAL-logged.
		stage:     fmt.Sprintf("CREATE TEMP TABLE IF NOT EXISTS loader_stage (%s) ON COMMIT DELETE ROWS", strings.Join(defs, ", ")),
		copyStage: fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", stage, list),
		copyTable: fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", s.table.ident(), list),
		delete: fmt.Sprintf("DELETE FROM %s AS d WHERE d.%s = $1 AND NOT EXISTS (SELECT 1 FROM %s s WHERE s.%s = d.%s)",
			s.table.ident(), symbol, stage, date, date),
		merge: fmt.Sprintf("INSERT INTO %s AS d (%s) SELECT %s FROM %s ON CONFLICT (%s, %s) %s",
			s.table.ident(), list, list, stage, symbol, date, conflict),
		state: fmt.Sprintf(`
			INSERT INTO %s AS st (table_name, symbol, rows, first_date, last_date, fetched_at, written_at, attempts, settings_hash, meta)
			SELECT $1::text, $2::text, $3::bigint, $4::date, $5::date, $6::timestamptz, now(), $7::integer, $8::text, $9::jsonb
			WHERE EXISTS (
				SELECT 1 FROM pg_locks
				WHERE locktype = 'advisory' AND granted AND objsubid = 1
				  AND classid::bigint = $10 AND objid::bigint = $11 AND pid = $12::integer
				  AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
			ON CONFLICT (table_name, symbol) DO UPDATE SET
				rows = EXCLUDED.rows, first_date = EXCLUDED.first_date, last_date = EXCLUDED.last_date,
				fetched_at = EXCLUDED.fetched_at, written_at = EXCLUDED.written_at, attempts = EXCLUDED.attempts,
				settings_hash = EXCLUDED.settings_hash, meta = EXCLUDED.meta`, s.table.sibling(SymbolsTable)),
	}
}

// dateRange returns the first and last date of rec's date column, or of
// an intraday series' timestamp column the exchange days (sources.Exchange)
// of its first and last bar, as UTC midnights: what the state row's dates
// hold.
func dateRange(rec arrow.RecordBatch) (first, last time.Time, err error) {
	idx, intraday, err := sources.TimeAxis(rec.Schema())
	if err != nil {
		return first, last, fmt.Errorf("the series has %w", err)
	}
	col := rec.Column(idx)
	if col.NullN() > 0 {
		return first, last, fmt.Errorf("the %s column holds nulls", rec.ColumnName(idx))
	}
	n := col.Len()
	if n == 0 {
		return first, last, nil
	}
	switch a := col.(type) {
	case *array.Date32:
		return a.Value(0).ToTime(), a.Value(n - 1).ToTime(), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		if !intraday {
			return a.Value(0).ToTime(unit).UTC(), a.Value(n - 1).ToTime(unit).UTC(), nil
		}
		return sources.DayOf(a.Value(0).ToTime(unit)), sources.DayOf(a.Value(n - 1).ToTime(unit)), nil
	}
	return first, last, fmt.Errorf("the %s column is %s", rec.ColumnName(idx), col.DataType())
}

func (s *Sink) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close releases the table's lock and closes every connection. Each
// symbol was committed when its Write returned, so Close loses nothing and
// returns nil unless the Sink was already closed.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	s.lock.release(s.key)
	s.pool.Close()
	return nil
}

// Abort is Close for a cancelled run: the writes it cancelled were rolled
// back by the server, and the symbols committed before stay.
func (s *Sink) Abort() { _ = s.Close() }
