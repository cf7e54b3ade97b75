package alphavantage

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
)

// The keys of the service's JSON answers that every function shares.
const keyMetaData = "Meta Data"

// EncodeJSON writes bars (oldest first, as sample.Series returns them) to
// w in the exact layout of the service's answer for a series of kind (see
// FunctionName): "Meta Data", then the series newest first, every value a
// string, prices with 4 decimals, pretty-printed with 4-space
// indentation. Intraday bars are stamped in exchange time
// ("2024-06-28 19:55:00", US/Eastern). "3. Last Refreshed" is the newest
// bar's date or timestamp. outputSize ("compact", "full" or "" for
// compact) only labels the daily and intraday answers, which carry it:
// trimming to the newest 100 bars is the caller's business. An invalid
// kind is an error naming its setting.
func EncodeJSON(w io.Writer, symbol string, bars []sources.Bar, kind sources.Kind, outputSize string) error {
	l, err := layoutOf(kind)
	if err != nil {
		return fmt.Errorf("encode %s json: %w", symbol, err)
	}
	var sizeLabel string
	switch outputSize {
	case "", "compact":
		sizeLabel = "Compact"
	case "full":
		sizeLabel = "Full size"
	default:
		return fmt.Errorf("encode %s json: unknown output size %q (want compact or full)", symbol, outputSize)
	}
	lastRefreshed := ""
	if len(bars) > 0 {
		lastRefreshed = string(appendBarTime(nil, &l, bars[len(bars)-1].Date))
	}
	meta := [][2]string{{"Information", l.info}, {"Symbol", symbol}, {"Last Refreshed", lastRefreshed}}
	switch {
	case l.intraday:
		meta = append(meta, [2]string{"Interval", kind.Interval}, [2]string{"Output Size", sizeLabel})
	case !kind.IsPeriod():
		meta = append(meta, [2]string{"Output Size", sizeLabel})
	}
	meta = append(meta, [2]string{"Time Zone", wireZone})

	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 512)
	b = append(b, "{\n    \"Meta Data\": {"...)
	for i, kv := range meta {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n        \""...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, ". "...)
		b = append(b, kv[0]...)
		b = append(b, "\": "...)
		b = appendJSONString(b, kv[1])
	}
	b = append(b, "\n    },\n    "...)
	b = appendJSONString(b, l.seriesKey)
	b = append(b, ": {"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("encode %s json: %w", symbol, err)
	}

	for i := len(bars) - 1; i >= 0; i-- {
		bar := &bars[i]
		b = b[:0]
		if i != len(bars)-1 {
			b = append(b, ',')
		}
		b = append(b, "\n        \""...)
		b = appendBarTime(b, &l, bar.Date)
		b = append(b, "\": {"...)
		for k, f := range l.fields {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n            \""...)
			b = append(b, l.keys[k]...)
			b = append(b, "\": \""...)
			b = appendBarField(b, bar, f)
			b = append(b, '"')
		}
		b = append(b, "\n        }"...)
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("encode %s json: %w", symbol, err)
		}
	}
	end := "\n    }\n}"
	if len(bars) == 0 {
		end = "}\n}"
	}
	if _, err := bw.WriteString(end); err != nil {
		return fmt.Errorf("encode %s json: %w", symbol, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("encode %s json: %w", symbol, err)
	}
	return nil
}

// EncodeCSV writes bars (oldest first) to w as the service's datatype=csv
// answer for a series of kind: the header, then one line per bar newest
// first, CRLF line ends after every line including the last. Intraday
// bars are stamped in exchange time, as in EncodeJSON. An invalid kind is
// an error naming its setting.
func EncodeCSV(w io.Writer, bars []sources.Bar, kind sources.Kind) error {
	l, err := layoutOf(kind)
	if err != nil {
		return fmt.Errorf("encode csv: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 256)
	b = append(append(b, l.csvHeader...), '\r', '\n')
	for i := len(bars) - 1; i >= 0; i-- {
		bar := &bars[i]
		b = appendBarTime(b, &l, bar.Date)
		for _, f := range l.fields {
			b = append(b, ',')
			b = appendBarField(b, bar, f)
		}
		b = append(b, '\r', '\n')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("encode csv: %w", err)
		}
		b = b[:0]
	}
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("encode csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("encode csv: %w", err)
	}
	return nil
}

// appendBarTime appends a bar's date, or an intraday bar's timestamp in
// exchange time.
func appendBarTime(b []byte, l *layout, t time.Time) []byte {
	if l.intraday {
		return appendTimestamp(b, t)
	}
	return appendDate(b, t)
}

// appendBarField appends field f (fieldOpen…) of bar as the wire writes
// it.
func appendBarField(b []byte, bar *sources.Bar, f int) []byte {
	switch f {
	case fieldOpen:
		return strconv.AppendFloat(b, bar.Open, 'f', 4, 64)
	case fieldHigh:
		return strconv.AppendFloat(b, bar.High, 'f', 4, 64)
	case fieldLow:
		return strconv.AppendFloat(b, bar.Low, 'f', 4, 64)
	case fieldClose:
		return strconv.AppendFloat(b, bar.Close, 'f', 4, 64)
	case fieldAdjustedClose:
		return strconv.AppendFloat(b, bar.AdjustedClose, 'f', 4, 64)
	case fieldVolume:
		return strconv.AppendInt(b, bar.Volume, 10)
	case fieldDividend:
		return strconv.AppendFloat(b, bar.Dividend, 'f', 4, 64)
	}
	return appendSplit(b, bar.SplitCoefficient)
}

// appendSplit appends a split coefficient the way the service prints it:
// the shortest exact form with at least one decimal ("1.0", "2.0", "0.5").
func appendSplit(b []byte, v float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, '.', '0')
}

// appendDate appends t as YYYY-MM-DD.
func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, time.DateOnly)
	}
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}

// appendJSONString appends s as a JSON string literal. Unlike
// strconv.Quote it escapes only what JSON requires.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
