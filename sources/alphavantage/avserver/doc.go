// Package avserver is an Alpha Vantage-compatible server over the synthetic
// sample data: the query API, JSON and CSV answers and refusals of the real
// service, plus injected faults (latency, 503, 429 with Retry-After,
// rate-limit notes, cut bodies) and an answer cache. It is what
// `loader serve` runs, and what the tests and benchmarks fetch from.
//
// It speaks the service's time series functions:
//
//	TIME_SERIES_DAILY[_ADJUSTED]    the sample history up to its last day
//	                                (outputsize=compact: the newest 100)
//	TIME_SERIES_WEEKLY[_ADJUSTED]   that history aggregated by sample.Periods,
//	TIME_SERIES_MONTHLY[_ADJUSTED]  whatever the outputsize
//	TIME_SERIES_INTRADAY            sample.Intraday's bars for interval=1min…60min,
//	                                extended_hours and adjusted (both default
//	                                true); month=YYYY-MM in full, otherwise the
//	                                newest 100 bars (compact) or the last 30 days
//
// so that changing its history (SetLastDay, Advance, AddDividend) moves
// every function. An unknown interval, or a month before the history it
// serves (sample.Start's, 2006-01), gets the service's invalid-call
// refusal; a month after its last day's is a valid series without bars.
// Rate limits, the daily quota and the faults apply to every function
// alike, and [Server.Requests] counts the requests per symbol and month.
package avserver
