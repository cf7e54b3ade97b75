// Package alphavantage fetches prices from Alpha Vantage
// (https://www.alphavantage.co) or a compatible server: [Client] is a
// sources.Source over one fasthttp client, with a bound on requests in
// flight, retries with backoff, and the service's refusals — which come as
// HTTP 200 with a JSON body — told apart ([ServiceError]). The API key
// never appears in an error or a log line.
//
// Config.Kind selects the series, and with it the service's function
// ([FunctionName]):
//
//	daily               TIME_SERIES_DAILY, TIME_SERIES_DAILY_ADJUSTED
//	                    outputsize=compact (newest 100 days) or full
//	weekly, monthly     TIME_SERIES_WEEKLY[_ADJUSTED], TIME_SERIES_MONTHLY[_ADJUSTED]
//	                    the whole history in one request, each bar dated by
//	                    the last trading day of its period
//	intraday            TIME_SERIES_INTRADAY&interval=1min|5min|15min|30min|60min
//	                    &extended_hours=true|false&adjusted=true|false;
//	                    without a month, outputsize=compact (newest 100 bars)
//	                    or full (last 30 days); with [Client.FetchMonth],
//	                    month=YYYY-MM&outputsize=full, one request a month
//
// Every series comes as a record of its Kind's schema (sources.Kind.Schema):
// daily, weekly and monthly bars carry a date, intraday bars a timestamp,
// the true instant of the bar's start, in the exchange's zone.
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
// match). The invalid-call refusal — an unknown symbol, or a month before
// the service's intraday history — fails only its symbol (and month).
//
// The wire codecs live here too: [DecodeJSON] and [DecodeCSV] stream an
// answer of any Kind straight into an Arrow record, and [EncodeJSON],
// [EncodeCSV], [EncodeServiceError] and [EncodeInvalidCall] write the
// service's exact layouts, for the server in package avserver and for
// tests. Intraday timestamps are wall-clock times in the "Time Zone" that
// "Meta Data" names (US/Eastern, daylight saving time included); a CSV
// answer, which names none, and a JSON one whose "Meta Data" comes after
// its series are read as US/Eastern.
package alphavantage
