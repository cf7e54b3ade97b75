package alphavantage

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpproxy"
	"golang.org/x/net/http/httpproxy"
)

// proxyDialer returns the dialer that reaches base through the proxy env
// chooses for it, and that proxy; a nil dialer (fasthttp's own) and no
// proxy when env chooses none. env chooses as net/http does: HTTPS_PROXY
// for an https URL, HTTP_PROXY for an http one, none for a host NO_PROXY
// names, and none for localhost or a loopback address, whatever NO_PROXY
// says.
//
// The choice is made here, once, for the client's one host, rather than
// by fasthttpproxy on each dial: when HTTP_PROXY and HTTPS_PROXY are equal
// and NO_PROXY is empty, fasthttpproxy sends every connection through the
// proxy, loopback included.
func proxyDialer(base *url.URL, env *httpproxy.Config, timeout time.Duration) (fasthttp.DialFunc, *url.URL, error) {
	proxy, err := env.ProxyFunc()(base)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy from the environment: %w", err)
	}
	if proxy == nil {
		return nil, nil, nil
	}
	switch proxy.Scheme {
	case "http", "socks5", "socks5h":
	default:
		return nil, nil, fmt.Errorf("proxy %s from the environment: scheme %q is not supported (use http:// or socks5://)", proxy.Redacted(), proxy.Scheme)
	}
	d := &fasthttpproxy.Dialer{
		Config:         httpproxy.Config{HTTPProxy: proxy.String(), HTTPSProxy: proxy.String()},
		Timeout:        timeout,
		ConnectTimeout: timeout,
	}
	dial, err := d.GetDialFunc(false)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy %s from the environment: %w", proxy.Redacted(), err)
	}
	return dial, proxy, nil
}

// proxySecrets returns what of proxy's credentials must never be shown:
// the password, and the user and password together.
func proxySecrets(proxy *url.URL) []string {
	password, ok := proxy.User.Password()
	if !ok || password == "" {
		return nil
	}
	return []string{proxy.User.Username() + ":" + password, password}
}

// certificateError returns err explained, if it is a failure to verify the
// server's TLS certificate or to speak TLS with it at all, and nil
// otherwise. Those failures are not retried: the next attempt would meet
// the same certificate.
func certificateError(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
	)
	var problem string
	switch {
	case errors.As(err, &unknown):
		problem = "the server's certificate is signed by an unknown authority (a self-signed certificate, or a proxy that intercepts TLS? SSL_CERT_FILE names a file of more authorities to trust)"
	case errors.As(err, &hostname):
		problem = fmt.Sprintf("the server's certificate is not valid for %q", hostname.Host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		problem = "the server's certificate has expired or is not valid yet (is the clock right?)"
	case errors.As(err, &invalid):
		problem = "the server's certificate is not valid"
	case errors.As(err, &verify):
		problem = "the server's certificate could not be verified"
	case errors.As(err, &record):
		problem = "the server does not speak TLS (is the URL http://, not https://?)"
	default:
		return nil
	}
	return fmt.Errorf("TLS: %s: %w", problem, err)
}

func isRedirect(status int) bool {
	switch status {
	case fasthttp.StatusMovedPermanently, fasthttp.StatusFound, fasthttp.StatusSeeOther,
		fasthttp.StatusTemporaryRedirect, fasthttp.StatusPermanentRedirect:
		return true
	}
	return false
}

// redirectError returns the error of a redirect to location: it says
// where the redirect pointed, with the key redacted, and suggests https
// when the base URL was http.
func (a *Client) redirectError(status int, location []byte) *HTTPError {
	e := &HTTPError{Status: status, Location: "(no Location header)"}
	if len(location) > 0 {
		e.Location = a.redactURL(string(location))
	}
	if a.base.Scheme == "http" {
		https := *a.base
		https.Scheme = "https"
		e.hint = fmt.Sprintf("use the https:// URL as the base URL (%s)", https.String())
	}
	return e
}

// redactURL returns location resolved against the base URL, with the value
// of any apikey parameter and the key wherever else it appears redacted.
func (a *Client) redactURL(location string) string {
	u, err := a.base.Parse(location)
	if err != nil {
		return a.redact.string(location)
	}
	if q := u.Query(); q.Has("apikey") {
		q.Set("apikey", redacted)
		u.RawQuery = q.Encode()
	}
	return a.redact.string(u.Redacted())
}
