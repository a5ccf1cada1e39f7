package cli

import "github.com/resona-go/resona"

// reindexThreshold makes any unindexed row count as stale.
const reindexThreshold = 1e-9

// setReindex asks Maintain to build the vector index whatever its
// staleness: with a vanishing threshold any unindexed row triggers a
// rebuild. A missing index is still created only on tables large enough to
// train one (resona.DefaultMinIndexRows), and an index covering every row
// is left as it is.
func setReindex(opts *resona.MaintenanceOptions) {
	opts.IndexStaleThreshold = reindexThreshold
}
