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

func sampleBodyOf(b *testing.B, bars []sources.Bar, format string, adjusted bool) []byte {
	b.Helper()
	var body bytes.Buffer
	var err error
	if format == "csv" {
		err = alphavantage.EncodeCSV(&body, bars, sources.Kind{Adjusted: adjusted})
	} else {
		err = alphavantage.EncodeJSON(&body, "AAPL", bars, sources.Kind{Adjusted: adjusted}, "full")
	}
	if err != nil {
		b.Fatal(err)
	}
	return body.Bytes()
}

// benchmarkDecode measures decode on body. It uses the plain Go allocator:
// the checked one records a stack trace per allocation, which would
// dominate small bodies; the tests check for leaks.
func benchmarkDecode(b *testing.B, decode decodeFunc, body []byte, adjusted bool) {
	mem := memory.NewGoAllocator()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec, err := decode(bytes.NewReader(body), "AAPL", sources.Kind{Adjusted: adjusted}, mem)
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	b.Run("daily", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeJSON, sampleBody(b, "json", false), false) })
	b.Run("adjusted", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeJSON, sampleBody(b, "json", true), true) })
	b.Run("compact", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeJSON, compactBody(b, "json"), false) })
}

func BenchmarkDecodeCSV(b *testing.B) {
	b.Run("daily", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeCSV, sampleBody(b, "csv", false), false) })
	b.Run("adjusted", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeCSV, sampleBody(b, "csv", true), true) })
	b.Run("compact", func(b *testing.B) { benchmarkDecode(b, alphavantage.DecodeCSV, compactBody(b, "csv"), false) })
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
