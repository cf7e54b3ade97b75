package torture_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
)

// hostileCase is a symbol whose answer is built to hurt, and the words of
// which the symbol's failure reason must hold one.
type hostileCase struct {
	symbol  string
	reasons []string
	serve   func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})
}

// hostileCases are the answers of a server out to exhaust memory, time or
// the decoder's assumptions.
func hostileCases() []hostileCase {
	bomb := gzipBomb()
	return []hostileCase{
		{"GIGALEN", []string{"response body too large"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Length", "5000000000") // 5 GB promised
			w.Header().Set("Content-Type", "application/json")
			endless(w, stop, []byte(strings.Repeat(" ", 64<<10)))
		}},
		{"ENDLESS", []string{"response body too large"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"Meta Data": `)
			endless(w, stop, []byte(strings.Repeat(" ", 64<<10))) // chunked, never ends
		}},
		{"MILLION", []string{"too many rows"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"Time Series (Daily)": {`)
			day := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
			bw := bufio.NewWriter(w)
			for i := range 1_000_000 {
				if i > 0 {
					bw.WriteString(",")
				}
				fmt.Fprintf(bw, `"%s": {"1. open": "1.0", "2. high": "1.0", "3. low": "1.0", "4. close": "1.0", "5. volume": "1"}`,
					day.AddDate(0, 0, i%30000).Format(time.DateOnly))
				if bw.Flush() != nil {
					return
				}
			}
			bw.WriteString("}}")
			bw.Flush()
		}},
		{"DEEP", []string{"nested deeper"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			io.WriteString(w, `{"Meta Data": `+strings.Repeat("[", 1_000_000)+strings.Repeat("]", 1_000_000)+"}")
		}},
		{"HUGEKEY", []string{"longer than"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			io.WriteString(w, `{"`)
			endless(w, stop, bytes.Repeat([]byte("A"), 64<<10))
		}},
		{"HUGESTR", []string{"longer than"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			io.WriteString(w, `{"Information": "`+strings.Repeat("x", 50<<20)+`"}`)
		}},
		{"BIGNUM", []string{"out of range"}, seriesWith(`"1e400"`, "")},
		{"NAN", []string{"bad number"}, seriesWith(`"NaN"`, "")},
		{"INF", []string{"bad number"}, seriesWith(`"Infinity"`, "")},
		{"NEGATIVE", []string{"negative"}, seriesWith(`"-3.5"`, "")},
		{"NUMBER", []string{"want a string"}, seriesWith(`1.5`, "")},
		{"BADMONTH", []string{"no such day"}, seriesWith(`"1.0"`, "2024-13-01")},
		{"FEB30", []string{"no such day"}, seriesWith(`"1.0"`, "2023-02-29")},
		{"OLDDATE", []string{"out of range"}, seriesWith(`"1.0"`, "1850-01-02")},
		{"FARDATE", []string{"out of range"}, seriesWith(`"1.0"`, "9999-12-31")},
		{"BADDATE", []string{"bad date"}, seriesWith(`"1.0"`, "2024/01/02")},
		// Sent whether or not the client accepts gzip: it must neither
		// inflate it whole nor choke on it.
		{"GZIPBOMB", []string{"got a gzip-compressed body"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/json")
			w.Write(bomb)
		}},
		{"DRIP", []string{"timeout", "timed out", "deadline"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			for {
				if _, err := io.WriteString(w, " "); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(50 * time.Millisecond):
				case <-stop:
					return
				case <-r.Context().Done():
					return
				}
			}
		}},
		{"HEADERS", []string{"header", "too large", "too big"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\n")
			for i := 0; ; i++ {
				if _, err := fmt.Fprintf(buf, "X-Junk-%d: %s\r\n", i, strings.Repeat("j", 1000)); err != nil {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}},
		{"EMPTY", []string{"unexpected end"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Length", "0")
		}},
		{"ARRAY", []string{"want '{'"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			io.WriteString(w, `[{"Time Series (Daily)": {}}]`)
		}},
		{"PORTAL", []string{"got an HTML page"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<!DOCTYPE html><html><title>Sign in to the network</title></html>")
		}},
		{"OTHERSYM", []string{"the answer is for another symbol"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			alphavantage.EncodeJSON(w, "GOOD", servedBars("GOOD", "compact"), sources.Kind{}, "compact")
		}},
		{"MOVED", []string{"redirected to", "not followed"}, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			http.Redirect(w, r, "https://elsewhere.example"+r.URL.RequestURI(), http.StatusMovedPermanently)
		}},
	}
}

// endless writes chunk until the client hangs up or stop closes.
func endless(w io.Writer, stop <-chan struct{}, chunk []byte) {
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
		select {
		case <-stop:
			return
		default:
		}
	}
}

// seriesWith returns a handler answering a well-formed series of three
// bars but for one: its open is openValue (a JSON value), or its date is
// date when that is set.
func seriesWith(openValue, date string) func(http.ResponseWriter, *http.Request, <-chan struct{}) {
	return func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		if date == "" {
			date = "2024-01-03"
		}
		fmt.Fprintf(w, `{"Meta Data": {"2. Symbol": %q}, "Time Series (Daily)": {
	"2024-01-04": {"1. open": "1.0", "2. high": "1.0", "3. low": "1.0", "4. close": "1.0", "5. volume": "100"},
	%q: {"1. open": %s, "2. high": "1.0", "3. low": "1.0", "4. close": "1.0", "5. volume": "100"},
	"2024-01-02": {"1. open": "1.0", "2. high": "1.0", "3. low": "1.0", "4. close": "1.0", "5. volume": "100"}}}`,
			r.URL.Query().Get("symbol"), date, openValue)
	}
}

// gzipBomb returns a gzip stream of 1 GiB of zeros in about 1 MiB: one
// member of 1 MiB, repeated (a gzip stream may hold many members).
func gzipBomb() []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), 1024)
}

// TestHostileServer runs the real binary against a server whose every
// answer is built to hurt, next to one symbol that is fine: each hostile
// symbol (among them one whose answer repeats a date with different values)
// fails with a clear reason of its own, the run ends in bounded time and
// memory, and the good symbol is written right.
func TestHostileServer(t *testing.T) {
	cases := hostileCases()
	handlers := map[string]hostileCase{}
	var symbols []string
	for _, c := range cases {
		handlers[c.symbol] = c
		symbols = append(symbols, c.symbol)
	}
	good := servedBars("GOOD", "compact")
	// A date repeated with different values: no choice would be true.
	dup := good[len(good)-1]
	dup.Open, dup.Close, dup.Volume = dup.Open+1, dup.Close+1, dup.Volume+1
	dupWire := append([]sources.Bar{}, good...)
	dupWire = append(dupWire, dup) // EncodeJSON lists the last bar first
	symbols = append(symbols, "GOOD", "DUPS")

	stop := make(chan struct{})
	addr := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch sym := r.URL.Query().Get("symbol"); sym {
		case "GOOD":
			alphavantage.EncodeJSON(w, sym, good, sources.Kind{}, "compact")
		case "DUPS":
			alphavantage.EncodeJSON(w, sym, dupWire, sources.Kind{}, "compact")
		default:
			handlers[sym].serve(w, r, stop)
		}
	}), stop)

	out := t.TempDir()
	const limit = 90 * time.Second
	res := runLoader(t, limit, []string{"HOSTILE_KEY=hostile-key"},
		"fetch", "--source", "alphavantage", "--api-key-env", "HOSTILE_KEY", "--base-url", "http://"+addr+"/query",
		"--symbols", strings.Join(symbols, ","), "--out", out, "--concurrency", "4", "--rate", "0",
		"--retries", "1", "--timeout", "4s", "--quiet")
	t.Logf("%d symbols in %v, peak RSS %d MiB", len(symbols), res.elapsed.Round(time.Millisecond), res.maxRSS>>20)
	if res.code != 1 {
		t.Errorf("exit code %d, want 1\n%s", res.code, tail(res.stderr))
	}
	// The body limit is 64 MiB and the row limit 100,000 bars (a run takes
	// about 50 MiB): one that held a hostile answer whole, or inflated the
	// bomb, would need gigabytes.
	const maxMem = 256 << 20
	if res.maxRSS > maxMem {
		t.Errorf("peak RSS %d MiB, want under %d MiB", res.maxRSS>>20, maxMem>>20)
	}

	m, ok := readManifest(t, out)
	if !ok {
		t.Fatalf("no manifest\n%s", tail(res.stderr))
	}
	for _, e := range m.Symbols {
		switch e.Symbol {
		case "GOOD":
			if e.Status != "ok" {
				t.Errorf("GOOD: %s (%s)", e.Status, e.Reason)
				continue
			}
			checkFile(t, filepath.Join(out, e.File), "GOOD", good)
		case "DUPS":
			day := dup.Date.Format(time.DateOnly)
			if e.Status != "failed" || !strings.Contains(e.Reason, "date "+day+" appears twice with different values") {
				t.Errorf("DUPS: %s (%s), want failed naming the repeated date %s", e.Status, e.Reason, day)
			}
		default:
			c := handlers[e.Symbol]
			if e.Status != "failed" || !strings.Contains(e.Reason, "fetch "+e.Symbol) || !containsAny(e.Reason, c.reasons) {
				t.Errorf("%s: %s, reason %q; want failed for one of %q", e.Symbol, e.Status, e.Reason, c.reasons)
			}
		}
	}
	if len(m.Symbols) != len(symbols) {
		t.Errorf("manifest lists %d symbols, want %d", len(m.Symbols), len(symbols))
	}
}
