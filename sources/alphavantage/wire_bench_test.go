package alphavantage_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sampleBody returns the full AAPL sample series in the wire format.
func sampleBody(b *testing.B, format string, adjusted bool) []byte {
	return sampleBodyOf(b, sample.Series("AAPL"), format, adjusted)
}

// compactBody returns the newest 100 AAPL bars, as outputsize=compact
// would, to show the fixed cost per call.
func compactBody(b *testing.B, format string) []byte {
	bars := sample.Series("AAPL")
	return sampleBodyOf(b, bars[len(bars)-100:], format, false)
}

// kind1minMonth is the kind of the largest answer the service gives.
var kind1minMonth = sources.Kind{Function: sources.Intraday, Interval: "1min", ExtendedHours: true}

// monthBody returns a month of AAPL's 1min bars with extended hours,
// about 22,000 of them, as month=YYYY-MM would.
func monthBody(b *testing.B, format string) []byte {
	return bodyOf(b, sample.Intraday("AAPL", sources.Month{Year: 2024, Month: 7}, kind1minMonth, sample.End), format, kind1minMonth)
}

func sampleBodyOf(b *testing.B, bars []sources.Bar, format string, adjusted bool) []byte {
	return bodyOf(b, bars, format, sources.Kind{Adjusted: adjusted})
}

func bodyOf(b *testing.B, bars []sources.Bar, format string, kind sources.Kind) []byte {
	b.Helper()
	var body bytes.Buffer
	var err error
	if format == "csv" {
		err = alphavantage.EncodeCSV(&body, bars, kind)
	} else {
		err = alphavantage.EncodeJSON(&body, "AAPL", bars, kind, "full")
	}
	if err != nil {
		b.Fatal(err)
	}
	return body.Bytes()
}

// benchmarkDecode measures decode on body. It uses the plain Go allocator:
// the checked one records a stack trace per allocation, which would
// dominate small bodies; the tests check for leaks.
func benchmarkDecode(b *testing.B, decode decodeFunc, body []byte, kind sources.Kind) {
	mem := memory.NewGoAllocator()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec, err := decode(bytes.NewReader(body), "AAPL", kind, mem)
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	b.Run("daily", func(b *testing.B) {
		benchmarkDecode(b, alphavantage.DecodeJSON, sampleBody(b, "json", false), kindDaily)
	})
	b.Run("adjusted", func(b *testing.B) {
		benchmarkDecode(b, alphavantage.DecodeJSON, sampleBody(b, "json", true), kindDailyAdjusted)
	})
	b.Run("compact", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeJSON, compactBody(b, "json"), kindDaily) })
	b.Run("intraday-month", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeJSON, monthBody(b, "json"), kind1minMonth) })
}

func BenchmarkDecodeCSV(b *testing.B) {
	b.Run("daily", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeCSV, sampleBody(b, "csv", false), kindDaily) })
	b.Run("adjusted", func(b *testing.B) {
		benchmarkDecode(b, alphavantage.DecodeCSV, sampleBody(b, "csv", true), kindDailyAdjusted)
	})
	b.Run("compact", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeCSV, compactBody(b, "csv"), kindDaily) })
	b.Run("intraday-month", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeCSV, monthBody(b, "csv"), kind1minMonth) })
}

// BenchmarkDecodeJSONStdlib is the baseline: encoding/json into maps of
// strings, without even converting the numbers or building Arrow arrays.
func BenchmarkDecodeJSONStdlib(b *testing.B) {
	body := sampleBody(b, "json", false)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var doc struct {
			Series map[string]map[string]string `json:"Time Series (Daily)"`
		}
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCSVStdlib is the baseline: encoding/csv records, without
// converting the fields or building Arrow arrays.
func BenchmarkDecodeCSVStdlib(b *testing.B) {
	body := sampleBody(b, "csv", false)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(body))
		r.ReuseRecord = true
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEncodeJSON(b *testing.B) {
	bars := sample.Series("AAPL")
	b.SetBytes(int64(len(sampleBody(b, "json", true))))
	b.ReportAllocs()
	for b.Loop() {
		if err := alphavantage.EncodeJSON(io.Discard, "AAPL", bars, sources.Kind{Adjusted: true}, "full"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeCSV(b *testing.B) {
	bars := sample.Series("AAPL")
	b.SetBytes(int64(len(sampleBody(b, "csv", true))))
	b.ReportAllocs()
	for b.Loop() {
		if err := alphavantage.EncodeCSV(io.Discard, bars, sources.Kind{Adjusted: true}); err != nil {
			b.Fatal(err)
		}
	}
}
