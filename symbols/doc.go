// Package symbols is the list of ticker symbols a run fetches: it checks
// and normalises a symbol ([Normalize]: "brk.b" becomes "BRK.B"; a name
// that could leave a directory or inject a query parameter is rejected),
// reads lists from flags and files, drops repeats, and shards a list across
// processes so that each symbol is fetched by exactly one of them.
package symbols
