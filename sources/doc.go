// Package sources is the vocabulary every stage of loader shares: a
// [Series] is one symbol's bars as an Arrow record, daily, weekly, monthly
// or intraday (a [Kind], with its [Kind.Schema]), and a [Source] is
// anything that fetches them. It depends on Arrow alone,
// so that packages which only read datasets link no HTTP client.
//
// The sources themselves live in packages of their own:
//
//	sources/sample                 the built-in SYNTHETIC generator (offline)
//	sources/alphavantage           the Alpha Vantage client and its wire codecs
//	sources/alphavantage/avserver  the compatible server behind `loader serve`
package sources
