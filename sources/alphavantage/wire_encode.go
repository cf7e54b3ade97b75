package alphavantage

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
)

// The texts and keys of the Alpha Vantage daily series, as the service
// writes them. The decoders read the same keys.
const (
	infoDaily         = "Daily Prices (open, high, low, close) and Volumes"
	infoDailyAdjusted = "Daily Time Series with Splits and Dividend Events"
	keyMetaData       = "Meta Data"
	metaSymbol        = "2. Symbol"
	keyTimeSeries     = "Time Series (Daily)"
	timeZone          = "US/Eastern"

	csvHeader         = "timestamp,open,high,low,close,volume"
	csvHeaderAdjusted = "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient"
)

// Bar field keys of the JSON time series. The adjusted series numbers its
// fields differently: "5." is the adjusted close there, not the volume.
var (
	jsonFields         = []string{"1. open", "2. high", "3. low", "4. close", "5. volume"}
	jsonFieldsAdjusted = []string{"1. open", "2. high", "3. low", "4. close",
		"5. adjusted close", "6. volume", "7. dividend amount", "8. split coefficient"}
)

// EncodeJSON writes bars (oldest first, as sample.Series returns them) to w
// in the exact layout of the service's TIME_SERIES_DAILY answer, or of
// TIME_SERIES_DAILY_ADJUSTED when adjusted: "Meta Data", then "Time Series
// (Daily)" newest first, every value a string, prices with 4 decimals,
// pretty-printed with 4-space indentation. outputSize ("compact", "full"
// or "" for compact) only labels the answer: trimming to the newest 100
// bars is the caller's business.
func EncodeJSON(w io.Writer, symbol string, bars []sources.Bar, adjusted bool, outputSize string) error {
	var sizeLabel string
	switch outputSize {
	case "", "compact":
		sizeLabel = "Compact"
	case "full":
		sizeLabel = "Full size"
	default:
		return fmt.Errorf("encode %s json: unknown output size %q (want compact or full)", symbol, outputSize)
	}
	info := infoDaily
	if adjusted {
		info = infoDailyAdjusted
	}
	lastRefreshed := ""
	if len(bars) > 0 {
		lastRefreshed = string(appendDate(nil, bars[len(bars)-1].Date))
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 512)
	b = append(b, "{\n    \"Meta Data\": {\n        \"1. Information\": "...)
	b = appendJSONString(b, info)
	b = append(b, ",\n        \"2. Symbol\": "...)
	b = appendJSONString(b, symbol)
	b = append(b, ",\n        \"3. Last Refreshed\": "...)
	b = appendJSONString(b, lastRefreshed)
	b = append(b, ",\n        \"4. Output Size\": "...)
	b = appendJSONString(b, sizeLabel)
	b = append(b, ",\n        \"5. Time Zone\": \""+timeZone+"\"\n    },\n    \"Time Series (Daily)\": {"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("encode %s json: %w", symbol, err)
	}

	fields := jsonFields
	if adjusted {
		fields = jsonFieldsAdjusted
	}
	for i := len(bars) - 1; i >= 0; i-- {
		bar := &bars[i]
		b = b[:0]
		if i != len(bars)-1 {
			b = append(b, ',')
		}
		b = append(b, "\n        \""...)
		b = appendDate(b, bar.Date)
		b = append(b, "\": {"...)
		for f, name := range fields {
			if f > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n            \""...)
			b = append(b, name...)
			b = append(b, "\": \""...)
			b = appendBarField(b, bar, f, adjusted)
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
// answer: the header, then one line per bar newest first, CRLF line ends
// after every line including the last.
func EncodeCSV(w io.Writer, bars []sources.Bar, adjusted bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	header, fields := csvHeader, len(jsonFields)
	if adjusted {
		header, fields = csvHeaderAdjusted, len(jsonFieldsAdjusted)
	}
	b := make([]byte, 0, 256)
	b = append(append(b, header...), '\r', '\n')
	for i := len(bars) - 1; i >= 0; i-- {
		bar := &bars[i]
		b = appendDate(b, bar.Date)
		for f := range fields {
			b = append(b, ',')
			b = appendBarField(b, bar, f, adjusted)
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

// appendBarField appends the f-th wire field of bar, in the order of
// jsonFields or jsonFieldsAdjusted (the CSV columns follow the same order).
func appendBarField(b []byte, bar *sources.Bar, f int, adjusted bool) []byte {
	switch f {
	case 0:
		return strconv.AppendFloat(b, bar.Open, 'f', 4, 64)
	case 1:
		return strconv.AppendFloat(b, bar.High, 'f', 4, 64)
	case 2:
		return strconv.AppendFloat(b, bar.Low, 'f', 4, 64)
	case 3:
		return strconv.AppendFloat(b, bar.Close, 'f', 4, 64)
	}
	if !adjusted {
		return strconv.AppendInt(b, bar.Volume, 10)
	}
	switch f {
	case 4:
		return strconv.AppendFloat(b, bar.AdjustedClose, 'f', 4, 64)
	case 5:
		return strconv.AppendInt(b, bar.Volume, 10)
	case 6:
		return strconv.AppendFloat(b, bar.Dividend, 'f', 4, 64)
	default:
		return appendSplit(b, bar.SplitCoefficient)
	}
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
