package vector

// Defaults chosen from measurements; see TUNING.md.
const (
	DefaultIVFMaxIters  = 50
	DefaultPQSampleSize = 16384
	DefaultPQMaxIters   = 25
	DefaultNProbes      = 20
	DefaultRefineFactor = 10
)
