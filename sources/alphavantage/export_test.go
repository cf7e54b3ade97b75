package alphavantage

import "github.com/valyala/fasthttp"

// SetDial makes c open its connections with dial, for tests that serve
// the fake server in memory (avtest.StartInMemory). Call it before the
// first Fetch.
func SetDial(c *Client, dial fasthttp.DialFunc) { c.client.Dial = dial }

// Rate returns c's current rate in requests per minute.
func Rate(c *Client) float64 { return c.pace.rate() }
