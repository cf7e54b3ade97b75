package alphavantage

import (
	"errors"
	"fmt"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
)

// Errors that stop the run: every later request would get the same
// refusal. Both match sources.ErrFatal (errors.Is), so a caller fetching
// many symbols stops at the first; the client itself starts no request
// after the first such answer.
var (
	// ErrInvalidAPIKey means the service refused the API key: missing,
	// invalid, or the documentation's demo key.
	ErrInvalidAPIKey error = &markedError{"invalid API key", sources.ErrFatal}
	// ErrPremium means the key may not use the function or the output
	// size asked for (TIME_SERIES_DAILY_ADJUSTED, outputsize=full on a
	// free key).
	ErrPremium error = &markedError{"premium feature", sources.ErrFatal}
)

// Errors of a quota that passes. Both match sources.ErrQuota: the client
// starts no new request after it, neither for a new symbol nor as a
// retry, and lets the requests in flight finish with their data; the
// symbols not fetched fail with an error matching it, and a later run can
// fetch them.
var (
	// ErrDailyLimit means the key's daily request quota is used up. The
	// live service resets it at midnight US/Eastern.
	ErrDailyLimit error = &markedError{"daily request limit reached", sources.ErrQuota}
	// ErrRequestBudget means the client made Config.MaxRequests requests,
	// the budget of the run.
	ErrRequestBudget error = &markedError{"the run's request budget is used up", sources.ErrQuota}
)

// ErrMaxWait is wrapped by the error of a symbol that gave up because its
// next wait would take its waits between attempts past Config.MaxWait.
var ErrMaxWait = errors.New("max wait per symbol reached")

// ErrBodyTooLarge is returned (wrapped) for a symbol whose answer exceeds
// Config.MaxBodyBytes.
var ErrBodyTooLarge = errors.New("response body too large")

// ErrSymbolMismatch is wrapped by the error of a symbol whose answer names
// another symbol in its "Meta Data": a cache or proxy mixed answers up.
var ErrSymbolMismatch = errors.New("the answer is for another symbol")

// ErrWrongMonth is wrapped by the error of a FetchMonth whose answer holds
// a bar of another month than the one asked for.
var ErrWrongMonth = errors.New("the answer is for another month")

// markedError is a sentinel whose text is its own and which also matches
// a broader one of package sources.
type markedError struct {
	text string
	mark error
}

func (e *markedError) Error() string { return e.text }
func (e *markedError) Unwrap() error { return e.mark }

// HTTPError is an answer with a status other than 200 OK.
type HTTPError struct {
	Status int
	// Location is where a redirect pointed, with the API key redacted;
	// empty for an answer that is no redirect. Redirects are not
	// followed: the request's query holds the key.
	Location string
	// hint says what to change, when the client knows.
	hint string
}

// Error returns "HTTP 503" and the like: the status is all the service
// says in those answers. A redirect also says where it pointed.
func (e *HTTPError) Error() string {
	if e.Location == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	s := fmt.Sprintf("HTTP %d: redirected to %q, not followed (the request carries the API key)", e.Status, e.Location)
	if e.hint != "" {
		s += ": " + e.hint
	}
	return s
}

// runWide is a service refusal that every later request of the run would
// get too: its text is the refusal's, and errors.Is matches its sentinel.
type runWide struct {
	*ServiceError
	sentinel error
}

func (e runWide) Unwrap() []error { return []error{e.ServiceError, e.sentinel} }

// fetchError is the error of a failed Fetch or FetchMonth: it names the
// symbol (and the month), wraps why it failed, and reports how many
// requests it made, which a run records for the symbol. Its text never
// holds the API key.
type fetchError struct {
	what     string // "IBM", "IBM 2024-03"
	attempts int
	err      error
}

func (e *fetchError) Error() string { return "fetch " + e.what + ": " + e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// Attempts returns how many requests the failed Fetch made: 0 when it
// made none (the run was stopped, a quota was used up, ctx ended first).
func (e *fetchError) Attempts() int { return e.attempts }

// notStartedError is why a Fetch started no further request although it
// could have: the client was closed for new requests (Stop, a quota, a
// run-wide refusal). It matches both that reason and the last attempt's
// failure, if there was one.
type notStartedError struct {
	reason   error
	last     error // nil when no attempt was made
	attempts int
}

func (e *notStartedError) Error() string {
	if e.last == nil {
		return "not fetched: " + e.reason.Error()
	}
	return fmt.Sprintf("not retried after %d %s: %v (the last: %v)", e.attempts, plural(e.attempts, "attempt"), e.reason, e.last)
}

func (e *notStartedError) Unwrap() []error {
	if e.last == nil {
		return []error{e.reason}
	}
	return []error{e.reason, e.last}
}

// maxWaitError is the error of a symbol that gave up waiting.
type maxWaitError struct {
	last             error
	attempts         int
	waited, next, of time.Duration
}

func (e *maxWaitError) Error() string {
	return fmt.Sprintf("%v after %d %s: %v (waited %v of %v, the next wait would be %v)",
		e.last, e.attempts, plural(e.attempts, "attempt"), ErrMaxWait, e.waited, e.of, e.next)
}

func (e *maxWaitError) Unwrap() []error { return []error{e.last, ErrMaxWait} }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
