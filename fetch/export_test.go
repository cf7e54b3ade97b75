package fetch

// The pure functions of an update, for the external tests.
var (
	Overlap       = overlap
	WithinCompact = withinCompact
)
