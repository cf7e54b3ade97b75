package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"
)

// ErrNoSymbol is matched (errors.Is) by the error of State and ReadSeries
// for a symbol the table does not hold.
var ErrNoSymbol = errors.New("the table holds no such symbol")

// State returns the state row of symbol.
func (s *Sink) State(ctx context.Context, symbol string) (State, error) {
	var st State
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		st, err = s.state(ctx, tx, symbol)
		return err
	})
	return st, err
}

// States returns the state rows of every symbol the table holds, ordered by
// symbol: what an update brings up to date.
func (s *Sink) States(ctx context.Context) ([]State, error) {
	var states []State
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE table_name = $1 ORDER BY symbol",
			stateColumns, s.table.sibling(SymbolsTable)), s.table.name)
		if err != nil {
			return err
		}
		states, err = scanStates(rows)
		return err
	})
	return states, err
}

// Completed returns the state rows of those of symbols that an earlier run
// stored with the same settings (Options.Settings; any, without them): the
// symbols a resumed run keeps. A state row is committed with its symbol's
// rows, so every one it returns is whole.
func (s *Sink) Completed(ctx context.Context, symbols []string) (map[string]State, error) {
	done := make(map[string]State)
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, fmt.Sprintf(
			"SELECT %s FROM %s WHERE table_name = $1 AND symbol = ANY ($2) AND ($3 = '' OR settings_hash = $3)",
			stateColumns, s.table.sibling(SymbolsTable)), s.table.name, symbols, s.hash)
		if err != nil {
			return err
		}
		states, err := scanStates(rows)
		for _, st := range states {
			done[st.Symbol] = st
		}
		return err
	})
	return done, err
}

// ReadSeries returns the stored rows of symbol, ascending by date (or by
// timestamp, intraday), as a
// series of the table's columns built with mem, with the Attempts and Meta
// of its state row: what `loader update` compares a new answer with and
// merges it into. Rows and state come from one snapshot. The caller owns
// the record.
func (s *Sink) ReadSeries(ctx context.Context, symbol string, mem memory.Allocator) (sources.Series, error) {
	var ser sources.Series
	err := s.read(ctx, func(tx pgx.Tx) error {
		st, err := s.state(ctx, tx, symbol)
		if err != nil {
			return err
		}
		cols, _, err := tableColumns(ctx, tx, s.table)
		if err != nil {
			return err
		}
		rec, err := s.readRows(ctx, tx, symbol, cols, mem)
		if err != nil {
			return err
		}
		if rec.NumRows() != st.Rows {
			rec.Release()
			return fmt.Errorf("%s holds %d rows of %s, its state row says %d", s.table, rec.NumRows(), symbol, st.Rows)
		}
		ser = sources.Series{Symbol: symbol, Record: rec, Attempts: st.Attempts, Meta: st.Meta}
		return nil
	})
	return ser, err
}

// Read returns the stored rows of symbol as ReadSeries does, every column
// the table holds (transform columns included, as Write was given them),
// and what holds them, as Write describes it (without Bytes, which only a
// write knows): the sink is a fetch.Reader, so that `loader update` brings
// its symbols up to date. The caller releases the record.
func (s *Sink) Read(ctx context.Context, symbol string, mem memory.Allocator) (arrow.RecordBatch, dataset.File, error) {
	ser, err := s.ReadSeries(ctx, symbol, mem)
	if err != nil {
		return nil, dataset.File{}, err
	}
	first, last, err := dateRange(ser.Record)
	if err != nil {
		ser.Record.Release()
		return nil, dataset.File{}, fmt.Errorf("postgres: read %s: %w", symbol, err)
	}
	return ser.Record, dataset.File{Path: s.table.String(), Rows: ser.Record.NumRows(), FirstDate: first, LastDate: last}, nil
}

// read runs fn in a read-only snapshot on one of the sink's connections.
func (s *Sink) read(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.isClosed() {
		return ErrClosed
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return s.scrub.error(fmt.Errorf("postgres: %w", err))
	}
	defer s.release(c)
	err = pgx.BeginTxFunc(ctx, c, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
	if err != nil {
		return s.scrub.error(fmt.Errorf("postgres: %w", err))
	}
	return nil
}

func (s *Sink) state(ctx context.Context, tx pgx.Tx, symbol string) (State, error) {
	rows, err := tx.Query(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE table_name = $1 AND symbol = $2",
		stateColumns, s.table.sibling(SymbolsTable)), s.table.name, symbol)
	if err != nil {
		return State{}, err
	}
	states, err := scanStates(rows)
	if err != nil {
		return State{}, err
	}
	if len(states) == 0 {
		return State{}, fmt.Errorf("%s: %s: %w", s.table, symbol, ErrNoSymbol)
	}
	return states[0], nil
}

// readRows reads symbol's rows of the columns cols in binary and builds
// them into a record.
func (s *Sink) readRows(ctx context.Context, tx pgx.Tx, symbol string, cols []column, mem memory.Allocator) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		t, ok := typeNamed(c.typ.name)
		if !ok {
			return nil, fmt.Errorf("%s: column %s is %s, which loader does not read", s.table, c.name, c.typ.name)
		}
		cols[i].typ = t
		fields[i] = arrow.Field{Name: c.name, Type: t.arrow, Nullable: !c.notNull}
		if c.name == sources.ColTimestamp && t.name == timestamptzType.name {
			// timestamptz keeps the instant, not the zone: an intraday
			// series' bars read back in the exchange's, as written.
			fields[i].Type = sources.TimestampType
		}
		names[i] = pgx.Identifier{c.name}.Sanitize()
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	sql := fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1 ORDER BY %s", strings.Join(names, ", "), s.table.ident(),
		pgx.Identifier{sources.ColSymbol}.Sanitize(), pgx.Identifier{keyOf(cols)}.Sanitize())
	const textOID, binary = 25, 1
	rr := tx.Conn().PgConn().ExecParams(ctx, sql, [][]byte{[]byte(symbol)}, []uint32{textOID}, nil, []int16{binary})
	for rr.NextRow() {
		for i, v := range rr.Values() {
			if v == nil {
				b.Field(i).AppendNull()
				continue
			}
			if err := cols[i].typ.decode(v, b.Field(i)); err != nil {
				rr.Close()
				return nil, fmt.Errorf("%s: read %s of %s: %w", s.table, cols[i].name, symbol, err)
			}
		}
	}
	if _, err := rr.Close(); err != nil {
		return nil, err
	}
	return b.NewRecordBatch(), nil
}
