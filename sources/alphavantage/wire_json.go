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

// maxJSONDepth bounds the nesting of values the decoder skips (Meta Data,
// unknown keys): the service never nests deeper than 3.
const maxJSONDepth = 8

// DecodeJSON reads the service's JSON answer for a series of kind from r
// (TIME_SERIES_DAILY for the zero Kind; see FunctionName) and returns its
// bars as a kind.Schema() record built with mem, rows ascending by time
// and unique. The wire lists the newest bar first; any order is accepted.
// A date or timestamp repeated with the same bar is kept once; repeated
// with other values it is an error. The caller owns the record.
//
// Intraday timestamps ("2024-06-28 19:55:00") are wall-clock times in
// the "Time Zone" of "Meta Data" (US/Eastern, sources.Exchange, daylight
// saving time included), and become the true instants. When "Meta Data"
// comes after the series, or is absent, they are read as US/Eastern; a
// later "Meta Data" naming another zone is then an error.
//
// A body that is an "Error Message", "Note" or "Information" object with
// no time series yields an error wrapping a *ServiceError. A body whose
// "Meta Data" names another symbol than symbol ("2. Symbol", compared
// without regard to case) yields one wrapping ErrSymbolMismatch. A body
// holding the series of another function or interval than kind's (a
// "Weekly Time Series" for a daily kind, "Time Series (1min)" for 5min),
// or whose "Meta Data" names another interval, is an error saying so. An
// HTML page or a gzip-compressed body is named as such. Other bodies
// that are not a well-formed series (malformed JSON, missing or extra
// nesting, missing fields, values that are not finite non-negative
// numbers, dates outside 1900..2100, malformed timestamps, more than
// MaxWireRows bars, a token longer than MaxWireToken) yield an error
// naming symbol and the byte offset. An invalid kind is an error naming
// its setting. Decoding streams r through a fixed buffer: memory grows
// with the number of bars, not the size of the body.
func DecodeJSON(r io.Reader, symbol string, kind sources.Kind, mem memory.Allocator) (arrow.RecordBatch, error) {
	l, err := layoutOf(kind)
	if err != nil {
		return nil, fmt.Errorf("decode %s json: %w", symbol, err)
	}
	d := jsonDecoder{s: newScanner(r), symbol: symbol, layout: &l, clock: newWallClock(sources.Exchange)}
	defer d.s.release()
	rows := getWireRows()
	defer rows.release()
	d.rows = rows
	if err := d.document(); err != nil {
		return nil, fmt.Errorf("decode %s json: %w", symbol, err)
	}
	if err := rows.sortDedupe(&l); err != nil {
		return nil, fmt.Errorf("decode %s json: %w", symbol, err)
	}
	return rows.record(symbol, &l, mem), nil
}

type jsonDecoder struct {
	s      *scanner
	symbol string
	layout *layout
	// clock reads the intraday timestamps in their zone: US/Eastern
	// until "Meta Data" names one.
	clock     wallClock
	sawSeries bool
	rows      *wireRows
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
	var service *ServiceError
	first := true
	for {
		at := s.offset()
		key, done, err := s.nextKey(first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		first = false
		switch k := string(key); {
		case k == d.layout.seriesKey:
			if d.sawSeries {
				return s.errorf("second %q", d.layout.seriesKey)
			}
			d.sawSeries = true
			if err := d.series(); err != nil {
				return err
			}
		case isSeriesKey(k):
			return fmt.Errorf("offset %d: the body holds %q, not the %q of the %s series asked for",
				at, truncateForError(key), d.layout.seriesKey, d.layout.describe())
		case k == "Error Message" || k == "Note" || k == "Information":
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
		case k == keyMetaData:
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
	case d.sawSeries:
		// An advisory message next to a series does not spoil the data.
		return nil
	case service != nil:
		return service
	default:
		return errors.New("no \"" + d.layout.seriesKey + "\" in the body")
	}
}

// metaData checks the "Meta Data" object: its "2. Symbol", when it has
// one, must be the symbol asked for; an intraday series' "4. Interval"
// must be the one asked for, and its "6. Time Zone" sets the zone of its
// timestamps. Keys are matched by their name after the number ("Time
// Zone" is "5. Time Zone" in the daily series). The rest is skipped.
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
		name := metaName(key)
		if name != metaSymbol && (!d.layout.intraday || name != metaInterval && name != metaTimeZone) {
			if err := s.skipValue(1); err != nil {
				return err
			}
			continue
		}
		full := string(key) // key aliases the buffer, which may move
		c, err := s.skipSpace()
		if err != nil {
			return err
		}
		if c != '"' {
			return s.errorf("%q is not a string", full)
		}
		at := s.offset()
		value, err := s.readString()
		if err != nil {
			return err
		}
		switch name {
		case metaSymbol:
			if !bytes.EqualFold(value, []byte(d.symbol)) {
				return fmt.Errorf("offset %d: %w: its %q names %q", at, ErrSymbolMismatch, keyMetaData, truncateForError(value))
			}
		case metaInterval:
			if string(value) != d.layout.kind.Interval {
				return fmt.Errorf("offset %d: the %q of its %q is %q, not the %s asked for",
					at, name, keyMetaData, truncateForError(value), d.layout.kind.Interval)
			}
		case metaTimeZone:
			loc, err := zoneLocation(value)
			if err != nil {
				return fmt.Errorf("offset %d: %w", at, err)
			}
			if d.sawSeries && loc != d.clock.loc {
				return fmt.Errorf("offset %d: %q after the series names time zone %q; its timestamps were read as %s",
					at, keyMetaData, value, wireZone)
			}
			d.clock.setLocation(loc)
		}
	}
}

// metaName returns the name of a "Meta Data" key the decoder reads,
// without its number ("Time Zone" for "6. Time Zone"), or "" for the
// others.
func metaName(key []byte) string {
	if i := bytes.Index(key, []byte(". ")); i > 0 && i <= 3 {
		key = key[i+2:]
	}
	switch string(key) { // no allocation but for the names it reads
	case metaSymbol:
		return metaSymbol
	case metaInterval:
		return metaInterval
	case metaTimeZone:
		return metaTimeZone
	}
	return ""
}

// The names of the "Meta Data" keys the decoder reads.
const (
	metaSymbol   = "Symbol"
	metaInterval = "Interval"
	metaTimeZone = "Time Zone"
)

// series decodes the object of bars keyed by date or timestamp.
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
		if b.at, err = d.layout.parseTime(key, &d.clock); err != nil {
			return fmt.Errorf("offset %d: %w", at, err)
		}
		if len(d.rows.at) >= MaxWireRows {
			return fmt.Errorf("offset %d: %w (limit %d)", at, ErrTooManyRows, MaxWireRows)
		}
		if err := d.bar(&b); err != nil {
			return fmt.Errorf("%s %s: %w", d.layout.timeWord(), d.layout.formatTime(b.at), err)
		}
		d.rows.add(&b, d.layout)
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
		f := d.layout.fieldOf(key)
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
			return fmt.Errorf("offset %d: field %q: want a string", at, d.layout.keyOf(f))
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
			return fmt.Errorf("offset %d: field %q: %w", at, d.layout.keyOf(f), err)
		}
		b.seen |= 1 << f
	}
	for i, f := range d.layout.fields {
		if b.seen&(1<<f) == 0 {
			return fmt.Errorf("offset %d: missing field %q", s.offset(), d.layout.keys[i])
		}
	}
	return nil
}
