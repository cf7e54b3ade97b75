// Package avserver is an Alpha Vantage-compatible server over the synthetic
// sample data: the query API, JSON and CSV answers and refusals of the real
// service, plus injected faults (latency, 503, 429 with Retry-After,
// rate-limit notes, cut bodies) and an answer cache. It is what
// `loader serve` runs, and what the tests and benchmarks fetch from.
package avserver
