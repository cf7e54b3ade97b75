package alphavantage

import (
	"net/url"
	"strings"
)

// redacted stands in for the API key wherever it could leak.
const redacted = "REDACTED"

// redactor removes one secret from the text of errors and log values.
// fasthttp errors may quote the request URI, which holds the key, so every
// error the client hands out or logs goes through it.
type redactor struct{ secret string }

// string returns s with every occurrence of the secret replaced, as it is
// and as the request URI spells it: a key with '/', '+' or '=' appears
// query-escaped in an error that quotes the URI.
func (r redactor) string(s string) string {
	if r.secret == "" {
		return s
	}
	s = strings.ReplaceAll(s, r.secret, redacted)
	return strings.ReplaceAll(s, url.QueryEscape(r.secret), redacted)
}

// error wraps err so that its text never shows the secret; errors.Is and
// errors.As still see err and its chain.
func (r redactor) error(err error) error {
	if err == nil || r.secret == "" {
		return err
	}
	return &redactedError{err: err, text: r.string(err.Error())}
}

type redactedError struct {
	err  error
	text string
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }
