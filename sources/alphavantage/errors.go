package alphavantage

import (
	"errors"
	"fmt"

	"github.com/seed-c7c8f39b/loader/sources"
)

// Errors that every later request of the run would repeat. Both also
// match sources.ErrFatal, so a caller fetching many symbols stops at the
// first (errors.Is).
var (
	// ErrInvalidAPIKey means the service refused the API key.
	ErrInvalidAPIKey = errors.New("invalid API key")
	// ErrDailyLimit means the key's daily request quota is used up.
	ErrDailyLimit = errors.New("daily request limit reached")
)

// ErrBodyTooLarge is returned (wrapped) for a symbol whose answer exceeds
// Config.MaxBodyBytes.
var ErrBodyTooLarge = errors.New("response body too large")

// ErrSymbolMismatch is wrapped by the error of a symbol whose answer names
// another symbol in its "Meta Data": a cache or proxy mixed answers up.
var ErrSymbolMismatch = errors.New("the answer is for another symbol")

// HTTPError is an answer with a status other than 200 OK.
type HTTPError struct {
	Status int
}

// Error returns "HTTP 503" and the like: the status is all the service
// says in those answers.
func (e *HTTPError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

// runStopper is a service refusal that every later request would get too:
// its text is the refusal's, and errors.Is matches its sentinel.
type runStopper struct {
	*ServiceError
	sentinel error
}

func (e runStopper) Unwrap() []error {
	return []error{e.ServiceError, e.sentinel, sources.ErrFatal}
}

// attemptsError is the error of a failed Fetch: Attempts reports how many
// requests it made, which a run records for the symbol.
type attemptsError struct {
	err      error
	attempts int
}

func (e *attemptsError) Error() string { return e.err.Error() }
func (e *attemptsError) Unwrap() error { return e.err }

// Attempts returns how many requests the failed Fetch made.
func (e *attemptsError) Attempts() int { return e.attempts }
