// Package torture holds loader's reliability tests and nothing else: a
// chaos end-to-end run of the real binary against a server that fails in
// every way the real service and real networks do, a hostile server, crash
// consistency under SIGKILL, secret hygiene, a check that every package that starts goroutines verifies none leak, and
// one that the packages that only read written files link no HTTP code.
//
// `go test ./internal/torture` runs the short variants (they skip under
// -short); LOADER_TORTURE=long runs the long ones: more symbols, full
// histories, more kills.
package torture
