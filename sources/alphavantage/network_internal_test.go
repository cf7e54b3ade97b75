package alphavantage

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// TestProxyFor checks which proxy the environment chooses for the base
// URL, as net/http would, and that loopback is never proxied: the
// variables are read through httpproxy.FromEnvironment, lower-case forms
// included.
func TestProxyFor(t *testing.T) {
	const (
		httpProxy  = "http://proxy.corp:3128"
		httpsProxy = "http://user:pa55@secure.corp:3128"
	)
	for _, tt := range []struct {
		name, base string
		env        map[string]string
		want       string // the proxy, "" for none
		wantErr    string
	}{
		{"none set", "https://www.alphavantage.co/query", nil, "", ""},
		{"https uses HTTPS_PROXY", "https://www.alphavantage.co/query",
			map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpsProxy}, httpsProxy, ""},
		{"http uses HTTP_PROXY", "http://quotes.example/query",
			map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpsProxy}, httpProxy, ""},
		{"lower-case forms", "https://www.alphavantage.co/query",
			map[string]string{"https_proxy": httpsProxy}, httpsProxy, ""},
		{"a bare host:port is http", "https://www.alphavantage.co/query",
			map[string]string{"HTTPS_PROXY": "proxy.corp:3128"}, httpProxy, ""},
		{"socks5", "https://www.alphavantage.co/query",
			map[string]string{"HTTPS_PROXY": "socks5://proxy.corp:1080"}, "socks5://proxy.corp:1080", ""},
		{"NO_PROXY names the host", "https://www.alphavantage.co/query",
			map[string]string{"HTTPS_PROXY": httpsProxy, "NO_PROXY": "alphavantage.co"}, "", ""},
		{"no_proxy names the host", "https://www.alphavantage.co/query",
			map[string]string{"HTTPS_PROXY": httpsProxy, "no_proxy": ".alphavantage.co"}, "", ""},
		{"NO_PROXY names another", "https://www.alphavantage.co/query",
			map[string]string{"HTTPS_PROXY": httpsProxy, "NO_PROXY": "example.com"}, httpsProxy, ""},
		{"NO_PROXY=*", "https://www.alphavantage.co/query",
			map[string]string{"HTTPS_PROXY": httpsProxy, "NO_PROXY": "*"}, "", ""},
		// fasthttpproxy alone would proxy these: with HTTP_PROXY equal to
		// HTTPS_PROXY and no NO_PROXY, it proxies every connection.
		{"loopback IPv4", "http://127.0.0.1:8080/query",
			map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpProxy}, "", ""},
		{"loopback IPv6", "http://[::1]:8080/query",
			map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpProxy}, "", ""},
		{"localhost", "http://localhost:8080/query",
			map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpProxy}, "", ""},
		{"an https proxy is refused", "https://www.alphavantage.co/query",
			map[string]string{"HTTPS_PROXY": "https://proxy.corp:3128"}, "", `scheme "https" is not supported`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "REQUEST_METHOD"} {
				t.Setenv(name, tt.env[name])
			}
			base, err := url.Parse(tt.base)
			if err != nil {
				t.Fatal(err)
			}
			dial, proxy, err := proxyDialer(base, httpproxy.FromEnvironment(), time.Second)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if proxy != nil {
				got = proxy.String()
			}
			if got != tt.want || (dial != nil) != (tt.want != "") {
				t.Errorf("proxy %q (dialer %v), want %q", got, dial != nil, tt.want)
			}
		})
	}
}

func TestProxySecrets(t *testing.T) {
	for _, tt := range []struct {
		proxy string
		want  []string
	}{
		{"http://proxy:3128", nil},
		{"http://user@proxy:3128", nil},
		{"http://user:pa55@proxy:3128", []string{"user:pa55", "pa55"}},
	} {
		u, err := url.Parse(tt.proxy)
		if err != nil {
			t.Fatal(err)
		}
		if got := proxySecrets(u); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %q, want %q", tt.proxy, got, tt.want)
		}
	}
}

// TestRedirectError checks what a redirect's error says: where it pointed,
// with the key and credentials redacted, and the https hint only for an
// http base URL.
func TestRedirectError(t *testing.T) {
	for _, tt := range []struct {
		base, location, want string
	}{
		{"http://av.example/query", "https://av.example/query?apikey=K3Y&symbol=IBM",
			`HTTP 301: redirected to "https://av.example/query?apikey=REDACTED&symbol=IBM", not followed (the request carries the API key): use the https:// URL as the base URL (https://av.example/query)`},
		{"https://av.example/query", "https://mirror.example/query?symbol=IBM&key=K3Y",
			`HTTP 301: redirected to "https://mirror.example/query?symbol=IBM&key=REDACTED", not followed (the request carries the API key)`},
		{"https://av.example/query", "https://user:pass@mirror.example/",
			`HTTP 301: redirected to "https://user:xxxxx@mirror.example/", not followed (the request carries the API key)`},
		{"https://av.example/query", "",
			`HTTP 301: redirected to "(no Location header)", not followed (the request carries the API key)`},
	} {
		base, err := url.Parse(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		a := &Client{base: base, redact: redactor{"K3Y"}}
		if got := a.redirectError(301, []byte(tt.location)).Error(); got != tt.want {
			t.Errorf("%s → %s:\n got %s\nwant %s", tt.base, tt.location, got, tt.want)
		}
	}
}
