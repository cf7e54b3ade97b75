package alphavantage

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DecodeCSV reads the service's datatype=csv answer for a series of kind
// from r (TIME_SERIES_DAILY for the zero Kind; see FunctionName) and
// returns its bars as a kind.Schema() record built with mem, rows
// ascending by time and unique. A date or timestamp repeated with the same
// bar is kept once; repeated with other values it is an error. The caller
// owns the record.
//
// The body is the header line, then one line per bar, each line ended by
// CRLF (or LF), the last one included: a body whose last line has no line
// end is taken as truncated. Fields are plain: the service never quotes.
// Intraday timestamps ("2024-06-28 19:55:00") are US/Eastern wall-clock
// times, as the service sends them: CSV names no zone.
//
// The service sends its refusals as JSON even when CSV was asked for: a
// body starting with '{' is decoded as DecodeJSON would, so a refusal
// yields an error wrapping a *ServiceError. An HTML page or a
// gzip-compressed body is named as such, and so is the header of another
// kind of series. Other errors name symbol and the line, as DecodeJSON's
// do; more than MaxWireRows bars or a line longer than MaxWireToken is an
// error, so memory stays bounded whatever the body. An invalid kind is an
// error naming its setting.
func DecodeCSV(r io.Reader, symbol string, kind sources.Kind, mem memory.Allocator) (arrow.RecordBatch, error) {
	l, err := layoutOf(kind)
	if err != nil {
		return nil, fmt.Errorf("decode %s csv: %w", symbol, err)
	}
	s := newScanner(r)
	defer s.release()
	rows := getWireRows()
	defer rows.release()
	if err := decodeCSV(s, rows, symbol, &l); err != nil {
		return nil, fmt.Errorf("decode %s csv: %w", symbol, err)
	}
	if err := rows.sortDedupe(&l); err != nil {
		return nil, fmt.Errorf("decode %s csv: %w", symbol, err)
	}
	return rows.record(symbol, &l, mem), nil
}

// decodeCSV decodes the body under s, the answer for symbol, into rows.
func decodeCSV(s *scanner, rows *wireRows, symbol string, l *layout) error {
	if c, err := s.skipSpace(); err != nil {
		if s.rerr == io.EOF {
			return errors.New("empty body")
		}
		return err
	} else if c == '{' {
		d := jsonDecoder{s: s, symbol: symbol, layout: l, clock: newWallClock(sources.Exchange), rows: rows}
		return d.document()
	} else if what := s.sniff(); what != "" {
		return fmt.Errorf("line 1: got %s, not CSV", what)
	}

	line, ok, err := s.readLine()
	switch {
	case err != nil:
		return fmt.Errorf("line 1: %w", err)
	case !ok:
		return errors.New("empty body")
	case string(line) == l.csvHeader:
	case l.otherCSVHeader(string(line)) != "":
		return fmt.Errorf("line 1: header %q is of %s series, want %q", line, l.otherCSVHeader(string(line)), l.csvHeader)
	default:
		return fmt.Errorf("line 1: header %q, want %q", truncateForError(line), l.csvHeader)
	}

	var b bar
	clock := newWallClock(sources.Exchange)
	for n := 2; ; n++ {
		line, ok, err := s.readLine()
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if !ok {
			return nil
		}
		if len(line) == 0 {
			continue
		}
		if len(rows.at) >= MaxWireRows {
			return fmt.Errorf("line %d: %w (limit %d)", n, ErrTooManyRows, MaxWireRows)
		}
		if err := parseCSVLine(line, l, &clock, &b); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		rows.add(&b, l)
	}
}

// parseCSVLine parses one bar line: the timestamp, read with clock, then
// l's fields.
func parseCSVLine(line []byte, l *layout, clock *wallClock, b *bar) error {
	columns := l.fields
	i := bytes.IndexByte(line, ',')
	if i < 0 {
		return fmt.Errorf("1 field, want %d", len(columns)+1)
	}
	var err error
	if b.at, err = l.parseTime(line[:i], clock); err != nil {
		return err
	}
	rest := line[i:]
	for k, f := range columns {
		if len(rest) == 0 {
			return fmt.Errorf("%d fields, want %d", k+1, len(columns)+1)
		}
		rest = rest[1:] // the ',' before the field
		n, err := parseCSVField(rest, f, b)
		if err != nil {
			return fmt.Errorf("column %d: %w", k+2, err)
		}
		rest = rest[n:]
	}
	if len(rest) > 0 {
		return fmt.Errorf("more than %d fields", len(columns)+1)
	}
	return nil
}

// parseCSVField parses field f of b from the start of rest, up to the
// next ',' or the end, and returns the field's length. Plain numbers
// parse in the same pass that finds the field's end.
func parseCSVField(rest []byte, f int, b *bar) (int, error) {
	var (
		n  int
		ok bool
	)
	if f == fieldVolume {
		b.vol, n, ok = scanInt(rest)
	} else {
		b.value[f], n, ok = scanDecimal(rest)
	}
	if ok && (n == len(rest) || rest[n] == ',') {
		return n, nil
	}
	n = bytes.IndexByte(rest, ',')
	if n < 0 {
		n = len(rest)
	}
	var err error
	if f == fieldVolume {
		b.vol, err = parseWireInt(rest[:n])
	} else {
		b.value[f], err = parseWireFloat(rest[:n])
	}
	return n, err
}

// truncateForError shortens b for quoting in an error message.
func truncateForError(b []byte) []byte {
	if len(b) > 100 {
		return b[:100]
	}
	return b
}
