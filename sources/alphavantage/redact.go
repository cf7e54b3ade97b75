package alphavantage

import (
	"net/url"
	"strings"
)

// redacted stands in for a secret wherever it could leak.
const redacted = "REDACTED"

// redactor removes secrets from the text of errors and log values: the
// API key first, then any proxy credentials. fasthttp errors may quote the
// request URI, which holds the key, so every error the client hands out
// or logs goes through it.
type redactor []string

// string returns s with every occurrence of each secret replaced, as it is
// and as the request URI spells it: a key with '/', '+' or '=' appears
// query-escaped in an error that quotes the URI.
func (r redactor) string(s string) string {
	for _, secret := range r {
		if secret == "" {
			continue
		}
		s = strings.ReplaceAll(s, secret, redacted)
		s = strings.ReplaceAll(s, url.QueryEscape(secret), redacted)
	}
	return s
}

// error wraps err so that its text never shows a secret; errors.Is and
// errors.As still see err and its chain.
func (r redactor) error(err error) error {
	if err == nil || len(r) == 0 {
		return err
	}
	if text := err.Error(); r.string(text) != text {
		return &redactedError{err: err, text: r.string(text)}
	}
	return err
}

type redactedError struct {
	err  error
	text string
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }
