package postgres

import (
	"net/url"
	"os"
	"slices"
	"strings"
)

// redacted replaces a password wherever loader shows a connection string.
const redacted = "xxxxx"

// Redact returns the connection URL dsn with its password, in the user
// info or as a password= parameter, replaced by "xxxxx": the form to print
// or log. A dsn that does not parse as a URL is replaced whole.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://" + redacted
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			q.Set(k, redacted)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// scrubber removes known secrets from error messages: the passwords of a
// URL, of $PGPASSWORD and the one a connection resolved (from ~/.pgpass
// too), each as written and as a URL escapes it.
type scrubber struct{ secrets []string }

func newScrubber(dsn string) *scrubber {
	s := &scrubber{}
	if u, err := url.Parse(dsn); err == nil {
		if pw, ok := u.User.Password(); ok {
			s.add(pw)
		}
		for k, vs := range u.Query() {
			if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
				for _, v := range vs {
					s.add(v)
				}
			}
		}
	}
	s.add(os.Getenv("PGPASSWORD"))
	return s
}

// add makes secret one of the strings scrubbed. It is not safe for use
// concurrently with error; callers add before the first error.
func (s *scrubber) add(secret string) {
	if secret == "" {
		return
	}
	for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), url.UserPassword("", secret).String()[1:]} {
		if form != "" && !slices.Contains(s.secrets, form) {
			s.secrets = append(s.secrets, form)
		}
	}
}

// error returns err with every secret replaced in its message, still
// matching what err matches (errors.Is, errors.As).
func (s *scrubber) error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, secret := range s.secrets {
		clean = strings.ReplaceAll(clean, secret, redacted)
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

// scrubbedError is an error whose message had a secret removed.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
