package alphavantage

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// maxJSONDepth bounds the nesting of values the decoder skips (Meta Data,
// unknown keys): the service never nests deeper than 3.
const maxJSONDepth = 8

// DecodeJSON reads the service's JSON answer to TIME_SERIES_DAILY (or
// TIME_SERIES_DAILY_ADJUSTED when adjusted) from r and returns its bars as
// a sources.DailySchema(adjusted) record built with mem, rows ascending by date and
// unique. The wire lists the newest day first; any order is accepted. A
// date repeated with the same bar is kept once; repeated with other values
// it is an error. The caller owns the record.
//
// A body that is an "Error Message", "Note" or "Information" object with
// no time series yields an error wrapping a *ServiceError. A body whose
// "Meta Data" names another symbol than symbol ("2. Symbol", compared
// without regard to case) yields one wrapping ErrSymbolMismatch. An HTML
// page or a gzip-compressed body is named as such. Other bodies
// that are not a well-formed series (malformed JSON, missing or extra
// nesting, missing fields, values that are not finite non-negative
// numbers, dates outside 1900..2100, more than MaxWireRows bars, a token
// longer than MaxWireToken) yield an error naming symbol and the byte
// offset. Decoding streams r through a fixed buffer: memory grows with
// the number of bars, not the size of the body.
func DecodeJSON(r io.Reader, symbol string, adjusted bool, mem memory.Allocator) (arrow.RecordBatch, error) {
	d := jsonDecoder{s: newScanner(r), symbol: symbol, adjusted: adjusted}
	defer d.s.release()
	rows := getWireRows()
	defer rows.release()
	d.rows = rows
	if err := d.document(); err != nil {
		return nil, fmt.Errorf("decode %s json: %w", symbol, err)
	}
	if err := rows.sortDedupe(); err != nil {
		return nil, fmt.Errorf("decode %s json: %w", symbol, err)
	}
	return rows.record(symbol, adjusted, mem), nil
}

type jsonDecoder struct {
	s        *scanner
	symbol   string
	adjusted bool
	rows     *wireRows
}

// document decodes the top-level object.
func (d *jsonDecoder) document() error {
	s := d.s
	c, err := s.skipSpace()
	if err != nil {
		return err
	}
	if c != '{' {
		if what := s.sniff(); what != "" {
			return s.errorf("got %s, not JSON", what)
		}
		return s.errorf("want '{', got %s", describe(c))
	}
	s.pos++
	var (
		sawSeries bool
		service   *ServiceError
	)
	first := true
	for {
		key, done, err := s.nextKey(first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		first = false
		switch string(key) {
		case keyTimeSeries:
			if sawSeries {
				return s.errorf("second %q", keyTimeSeries)
			}
			sawSeries = true
			if err := d.series(); err != nil {
				return err
			}
		case "Error Message", "Note", "Information":
			k := string(key)
			c, err := s.skipSpace()
			if err != nil {
				return err
			}
			if c != '"' {
				return s.errorf("%q is not a string", k)
			}
			msg, err := s.readString()
			if err != nil {
				return err
			}
			if service == nil {
				service = classifyServiceMessage(k, string(msg))
			}
		case keyMetaData:
			if err := d.metaData(); err != nil {
				return err
			}
		default: // anything the service may add
			if err := s.skipValue(0); err != nil {
				return err
			}
		}
	}
	if err := s.expectEOF(); err != nil {
		return err
	}
	switch {
	case sawSeries:
		// An advisory message next to a series does not spoil the data.
		return nil
	case service != nil:
		return service
	default:
		return errors.New("no \"" + keyTimeSeries + "\" in the body")
	}
}

// metaData checks the "Meta Data" object: its "2. Symbol", when it has
// one, must be the symbol asked for. The rest is skipped.
func (d *jsonDecoder) metaData() error {
	s := d.s
	if c, err := s.skipSpace(); err != nil || c != '{' {
		if err != nil {
			return err
		}
		return s.skipValue(0)
	}
	s.pos++
	for first := true; ; first = false {
		key, done, err := s.nextKey(first)
		if err != nil || done {
			return err
		}
		if string(key) != metaSymbol {
			if err := s.skipValue(1); err != nil {
				return err
			}
			continue
		}
		c, err := s.skipSpace()
		if err != nil {
			return err
		}
		if c != '"' {
			return s.errorf("%q is not a string", metaSymbol)
		}
		at := s.offset()
		named, err := s.readString()
		if err != nil {
			return err
		}
		if !bytes.EqualFold(named, []byte(d.symbol)) {
			return fmt.Errorf("offset %d: %w: its %q names %q", at, ErrSymbolMismatch, keyMetaData, truncateForError(named))
		}
	}
}

// series decodes the object of bars keyed by date.
func (d *jsonDecoder) series() error {
	s := d.s
	if err := s.expect('{'); err != nil {
		return err
	}
	var b bar
	first := true
	for {
		at := s.offset()
		key, done, err := s.nextKey(first)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		first = false
		if b.date, err = parseWireDate(key); err != nil {
			return fmt.Errorf("offset %d: %w", at, err)
		}
		if len(d.rows.date) >= MaxWireRows {
			return fmt.Errorf("offset %d: %w (limit %d)", at, ErrTooManyRows, MaxWireRows)
		}
		if err := d.bar(&b); err != nil {
			return fmt.Errorf("date %s: %w", dateString(b.date), err)
		}
		d.rows.add(&b, d.adjusted)
	}
}

// bar decodes one bar's object of fields into b.
func (d *jsonDecoder) bar(b *bar) error {
	s := d.s
	if err := s.expect('{'); err != nil {
		return err
	}
	b.seen = 0
	first := true
	for {
		key, done, err := s.nextKey(first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		first = false
		f := d.field(key)
		if f < 0 {
			if err := s.skipValue(1); err != nil {
				return err
			}
			continue
		}
		c, err := s.skipSpace()
		if err != nil {
			return err
		}
		at := s.offset()
		if c != '"' {
			return fmt.Errorf("offset %d: field %q: want a string", at, d.fieldName(f))
		}
		v, err := s.readString()
		if err != nil {
			return err
		}
		if f == fieldVolume {
			b.vol, err = parseWireInt(v)
		} else {
			b.value[f], err = parseWireFloat(v)
		}
		if err != nil {
			return fmt.Errorf("offset %d: field %q: %w", at, d.fieldName(f), err)
		}
		b.seen |= 1 << f
	}
	for f := range numFields {
		if d.fieldName(f) != "" && b.seen&(1<<f) == 0 {
			return fmt.Errorf("offset %d: missing field %q", s.offset(), d.fieldName(f))
		}
	}
	return nil
}

// field returns the bar field index of a wire key, or -1 for keys the
// decoder ignores.
func (d *jsonDecoder) field(key []byte) int {
	if d.adjusted {
		switch string(key) {
		case "1. open":
			return fieldOpen
		case "2. high":
			return fieldHigh
		case "3. low":
			return fieldLow
		case "4. close":
			return fieldClose
		case "5. adjusted close":
			return fieldAdjustedClose
		case "6. volume":
			return fieldVolume
		case "7. dividend amount":
			return fieldDividend
		case "8. split coefficient":
			return fieldSplit
		}
		return -1
	}
	switch string(key) {
	case "1. open":
		return fieldOpen
	case "2. high":
		return fieldHigh
	case "3. low":
		return fieldLow
	case "4. close":
		return fieldClose
	case "5. volume":
		return fieldVolume
	}
	return -1
}

// fieldName returns the wire key of field f, or "" when the series has no
// such field.
func (d *jsonDecoder) fieldName(f int) string {
	if d.adjusted {
		return jsonFieldsAdjusted[f]
	}
	switch f {
	case fieldOpen, fieldHigh, fieldLow, fieldClose:
		return jsonFields[f]
	case fieldVolume:
		return jsonFields[4]
	}
	return ""
}

func dateString(days int32) string {
	return string(appendDate(nil, arrow.Date32(days).ToTime()))
}
