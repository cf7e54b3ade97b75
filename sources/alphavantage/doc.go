// Package alphavantage fetches daily prices from Alpha Vantage
// (https://www.alphavantage.co) or a compatible server: [Client] is a
// sources.Source over one fasthttp client, with a bound on requests in
// flight, retries with backoff, and the service's refusals — which come as
// HTTP 200 with a JSON body — told apart ([ServiceError]). The API key
// never appears in an error or a log line.
//
// The client keeps to the service's limits. Its request rate adapts as
// TCP's window does: a rate-limit answer halves what it was sending, at
// most once a minute, and a minute without one raises it a step back
// toward Config.Rate. A used-up daily quota, a spent Config.MaxRequests
// budget, a refusal every symbol would get and [Client.Stop] close it for
// new requests: the requests in flight finish and keep their data, the
// rest fail at once with an error that says why (errors.Is with
// [ErrDailyLimit], [ErrRequestBudget], [ErrInvalidAPIKey], [ErrPremium],
// or the sources.ErrQuota, sources.ErrFatal and sources.ErrStopped they
// match).
//
// The wire codecs live here too: [DecodeJSON] and [DecodeCSV] stream an
// answer straight into an Arrow record, and [EncodeJSON], [EncodeCSV] and
// [EncodeServiceError] write the service's exact layouts, for the server in
// package avserver and for tests.
package alphavantage
