package torture_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
)

// answer is one way the chaos server answers a request.
type answer int

const (
	answerRight       answer = iota // the right series
	answerWrongType                 // the right series under Content-Type text/html
	answerNote                      // the service's per-minute Note, HTTP 200
	answerInformation               // the service's 1-request-per-second Information, HTTP 200
	answer429                       // HTTP 429 with Retry-After: 1
	answer500
	answer503
	answerReset       // the connection reset before any byte of the answer
	answerCut         // half the body of a promised whole, then the connection closes
	answerStall       // half the body, then nothing until past the client's timeout
	answerInvalidJSON // HTTP 200, a body that is not JSON
	answerHTML        // HTTP 200, a proxy's HTML error page
	answerUnknown     // the service's invalid-call refusal: an unknown symbol
)

// answerInfo says what the client should make of an answer.
type answerInfo struct {
	name string
	// ok answers are a success; final ones a failure no retry can mend;
	// the rest are worth a retry. rateLimit ones use up no retry: they
	// are no fault of the symbol's.
	ok, final, rateLimit bool
	// reasons are words of which a failure's reason must hold one: the
	// reason must be true.
	reasons []string
}

var answers = map[answer]answerInfo{
	answerRight:       {name: "right", ok: true},
	answerWrongType:   {name: "wrong content type", ok: true},
	answerNote:        {name: "note", rateLimit: true, reasons: []string{"calls per minute"}},
	answerInformation: {name: "information", rateLimit: true, reasons: []string{"1 request per second"}},
	answer429:         {name: "429", rateLimit: true, reasons: []string{"HTTP 429"}},
	answer500:         {name: "500", reasons: []string{"HTTP 500"}},
	answer503:         {name: "503", reasons: []string{"HTTP 503"}},
	answerReset:       {name: "reset", reasons: []string{"reset", "closed", "EOF", "broken pipe"}},
	answerCut:         {name: "cut", reasons: []string{"unexpected end", "EOF", "closed", "reset"}},
	answerStall:       {name: "stall", reasons: []string{"timeout", "timed out", "deadline"}},
	answerInvalidJSON: {name: "invalid json", reasons: []string{" json: ", " csv: "}},
	answerHTML:        {name: "html", reasons: []string{" json: ", " csv: "}},
	answerUnknown:     {name: "unknown symbol", final: true, reasons: []string{"invalid call"}},
}

// transientAnswers are the retryable failures; the service's rate-limit
// payloads are left out where they would slow the client down further
// than the 429s do (see withNotes).
func transientAnswers(withNotes bool) []answer {
	a := []answer{answer429, answer500, answer503, answerReset, answerCut, answerStall, answerInvalidJSON, answerHTML}
	if withNotes {
		a = append(a, answerNote, answerInformation)
	}
	return a
}

// drawPlans draws, for each symbol, the answers to its attempts in order;
// attempts past its plan get the right answer. A tenth of the symbols are
// unknown, a third are answered at once, and the rest meet 1 to
// retries+1 transient failures: those with more than retries that are
// not rate limits fail.
func drawPlans(rng *rand.Rand, symbols []string, retries int, transient []answer) map[string][]answer {
	plans := make(map[string][]answer, len(symbols))
	success := func() answer {
		if rng.IntN(4) == 0 {
			return answerWrongType
		}
		return answerRight
	}
	for _, sym := range symbols {
		var plan []answer
		switch p := rng.Float64(); {
		case p < 0.10:
			plan = []answer{answerUnknown}
		case p < 0.40:
			plan = []answer{success()}
		default:
			n := 1 + rng.IntN(retries+1)
			for range n {
				plan = append(plan, transient[rng.IntN(len(transient))])
			}
			plan = append(plan, success())
		}
		plans[sym] = plan
	}
	return plans
}

// outcome is how a plan must end with retries retries: in success or not,
// after how many attempts, and on which answer. Rate-limit answers are
// retried without using up a retry.
func outcome(plan []answer, retries int) (ok bool, attempts int, last answer) {
	failures := 0
	for i := 0; ; i++ {
		a := answerRight
		if i < len(plan) {
			a = plan[i]
		}
		switch info := answers[a]; {
		case info.ok:
			return true, i + 1, a
		case info.final:
			return false, i + 1, a
		case info.rateLimit:
			continue
		}
		if failures++; failures > retries {
			return false, i + 1, a
		}
	}
}

// chaosServer answers Alpha Vantage queries by each symbol's plan, and
// records what it saw: the answers it gave, when requests arrived, and
// how many were in flight at once.
type chaosServer struct {
	key     string
	timeout time.Duration // the client's timeout, which stalls outlast
	plans   map[string][]answer
	stop    chan struct{}
	bodies  sync.Map // query key to encoded series

	mu       sync.Mutex
	served   map[string][]answer
	arrivals []time.Time
	problems []string

	inFlight, peak atomic.Int64
}

func newChaosServer(key string, timeout time.Duration, plans map[string][]answer) *chaosServer {
	return &chaosServer{key: key, timeout: timeout, plans: plans, stop: make(chan struct{}), served: map[string][]answer{}}
}

// start serves s on 127.0.0.1 until the test ends and returns the query URL.
func (s *chaosServer) start(t *testing.T) string {
	return "http://" + serveHTTP(t, s, s.stop) + "/query"
}

// problem records something the client did wrong, seen from the server.
func (s *chaosServer) problem(format string, args ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// ServeHTTP answers one request by its symbol's plan. A request counts as
// in flight from its arrival until the server starts the last write the
// client needs to finish it, so the peak never counts a request the
// client may already have let go.
func (s *chaosServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	n := s.inFlight.Add(1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	done := sync.OnceFunc(func() { s.inFlight.Add(-1) })
	defer done()

	q := r.URL.Query()
	sym := q.Get("symbol")
	if keys := q["apikey"]; len(keys) != 1 || keys[0] != s.key {
		s.problem("%s: the request does not carry the API key exactly once", sym)
	}
	s.mu.Lock()
	plan, known := s.plans[sym]
	attempt := len(s.served[sym])
	a := answerRight
	switch {
	case attempt < len(plan):
		a = plan[attempt]
	case len(plan) > 0 && plan[0] == answerUnknown:
		a = answerUnknown
	}
	s.served[sym] = append(s.served[sym], a)
	s.arrivals = append(s.arrivals, arrived)
	s.mu.Unlock()
	if !known {
		s.problem("request for %q, a symbol never asked for", sym)
		a = answerUnknown
	}

	body := s.body(sym, q.Get("outputsize"), q.Get("datatype"))
	contentType := "application/json"
	if q.Get("datatype") == "csv" {
		contentType = "application/x-download"
	}
	switch a {
	case answerRight, answerWrongType:
		if a == answerWrongType {
			contentType = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		done()
		w.Write(body)
	case answerNote, answerInformation:
		kind := alphavantage.ServiceRateLimitMinute
		if a == answerInformation {
			kind = alphavantage.ServiceRateLimitSecond
		}
		var b bytes.Buffer
		alphavantage.EncodeServiceError(&b, kind)
		w.Header().Set("Content-Type", "application/json")
		done()
		w.Write(b.Bytes())
	case answer429:
		w.Header().Set("Retry-After", "1")
		done()
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
	case answer500, answer503:
		status := http.StatusInternalServerError
		if a == answer503 {
			status = http.StatusServiceUnavailable
		}
		done()
		http.Error(w, http.StatusText(status), status)
	case answerReset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			s.problem("hijack: %v", err)
			return
		}
		conn.(*net.TCPConn).SetLinger(0) // close with RST, not FIN
		done()
		conn.Close()
	case answerCut:
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			s.problem("hijack: %v", err)
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", contentType, len(body))
		buf.Write(body[:len(body)/2])
		done()
		buf.Flush()
		conn.Close()
	case answerStall:
		s.stall(w, r, sym, arrived, contentType, body, done)
	case answerInvalidJSON:
		w.Header().Set("Content-Type", "application/json")
		done()
		fmt.Fprint(w, `{"Meta Data": {"1. Information": "Daily Prices"}, "Time Series (Daily)": {"2025-12-31": {"1. open": "1.0000" "2. high": }}}`)
	case answerHTML:
		// Like many proxies' error pages, it echoes the request, key and
		// all: the CSV decoder quotes the start of its first line in its
		// error, which must not pass the key on.
		w.Header().Set("Content-Type", "text/html")
		done()
		fmt.Fprintf(w, "<html><title>502</title>GET %s failed: Bad Gateway</html>\r\n", r.URL.RequestURI())
	case answerUnknown:
		var b bytes.Buffer
		alphavantage.EncodeServiceError(&b, alphavantage.ServiceInvalidCall)
		w.Header().Set("Content-Type", "application/json")
		done()
		w.Write(b.Bytes())
	}
}

// stall sends the headers and half the body, then nothing until the client
// gives up. The client's timeout runs from when it sent the request, a
// moment before it arrived: until shortly before arrived+timeout it
// surely still holds the request, which counts as in flight until then.
// A client still waiting well past its timeout is a problem: it hangs.
func (s *chaosServer) stall(w http.ResponseWriter, r *http.Request, sym string, arrived time.Time, contentType string, body []byte, done func()) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	held := time.NewTimer(time.Until(arrived.Add(s.timeout - 250*time.Millisecond)))
	defer held.Stop()
	select {
	case <-held.C:
	case <-r.Context().Done():
	case <-s.stop:
	}
	done()
	const patience = 3 * time.Second
	hang := time.NewTimer(time.Until(arrived.Add(s.timeout + patience)))
	defer hang.Stop()
	select {
	case <-r.Context().Done():
	case <-s.stop:
	case <-hang.C:
		s.problem("%s: the client still waited for a stalled body %v past its timeout", sym, patience)
	}
}

// body returns the encoded series of sym, as the service would send it.
func (s *chaosServer) body(sym, outputSize, dataType string) []byte {
	key := sym + "|" + outputSize + "|" + dataType
	if b, ok := s.bodies.Load(key); ok {
		return b.([]byte)
	}
	var b bytes.Buffer
	bars := servedBars(sym, outputSize)
	if dataType == "csv" {
		alphavantage.EncodeCSV(&b, bars, sources.Kind{})
	} else {
		alphavantage.EncodeJSON(&b, sym, bars, sources.Kind{}, outputSize)
	}
	s.bodies.Store(key, b.Bytes())
	return b.Bytes()
}

// record returns what the server saw: the answers per symbol, the
// arrival times in order, and the problems.
func (s *chaosServer) record() (map[string][]answer, []time.Time, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	arrivals := slices.Clone(s.arrivals)
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	return s.served, arrivals, slices.Clone(s.problems)
}

// maxInWindow returns the most of the sorted times that fall within any
// window of length w.
func maxInWindow(times []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) > w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}
