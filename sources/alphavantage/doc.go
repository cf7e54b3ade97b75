// Package alphavantage fetches daily prices from Alpha Vantage
// (https://www.alphavantage.co) or a compatible server: [Client] is a
// sources.Source over one fasthttp client, with a bound on requests in
// flight, a token-bucket rate limit, retries with backoff, and the
// service's refusals — which come as HTTP 200 with a JSON body — told apart
// ([ServiceError]). The API key never appears in an error or a log line.
//
// The wire codecs live here too: [DecodeJSON] and [DecodeCSV] stream an
// answer straight into an Arrow record, and [EncodeJSON], [EncodeCSV] and
// [EncodeServiceError] write the service's exact layouts, for the server in
// package avserver and for tests.
package alphavantage
