// Package fuzzbrief runs every fuzz target of the module briefly, so that
// the one test command fuzzes too: each target for a fixed number of
// executions, a few seconds (LOADER_TORTURE=long runs a million). It finds
// the targets itself, so a new one is fuzzed without being listed. A
// failure leaves its input in the target package's testdata/fuzz, where it
// stays as a regression test.
//
// It is a package of its own, apart from internal/torture, so that its
// minutes count against a test binary's timeout of their own.
package fuzzbrief
