// Package sources holds where daily price series come from: the built-in
// synthetic sample generator, the Alpha Vantage client, the decoders of its
// wire formats into Arrow records, and the Alpha Vantage-compatible server
// behind `loader serve`.
//
// Every source yields a [Series]: one symbol's bars as an Arrow record of
// [DailySchema], rows ascending by date with no duplicate dates.
package sources
