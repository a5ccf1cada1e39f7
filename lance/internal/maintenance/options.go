package maintenance

import (
	"context"
	"log/slog"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
)

// Defaults, as in Lance's CompactionOptions.
const (
	// DefaultTargetRowsPerFragment is Lance's target_rows_per_fragment.
	DefaultTargetRowsPerFragment = 1024 * 1024
	// DefaultMaterializeDeletionsThreshold is the deleted share above which
	// a fragment is rewritten on its own.
	DefaultMaterializeDeletionsThreshold = 0.1
	// DefaultBatchRows is how many physical rows are read per batch; it
	// bounds compaction memory together with the writer's page size.
	DefaultBatchRows = 8192
)

// ProgressFunc reports progress of a long step: done out of total units
// (rows for compaction, files for cleanup).
type ProgressFunc func(step string, done, total uint64)

// RemapFunc rewrites the index segments a compaction affects. It receives
// the manifest the compaction read, the segments covering rewritten
// fragments and the row-address map of the rewrite; it must write each
// remapped segment under a new uuid and return one RewrittenIndex per
// segment it was given. An error aborts the compaction before anything is
// committed.
type RemapFunc func(ctx context.Context, m *format.Manifest, indexes []format.Index, rows *RowMap) ([]commit.RewrittenIndex, error)

// CompactOptions tune Compact and PlanCompaction. The zero value is
// Lance's defaults.
type CompactOptions struct {
	// TargetRowsPerFragment is the number of rows a rewritten fragment
	// gets; fragments with fewer physical rows are candidates
	// (DefaultTargetRowsPerFragment when 0).
	TargetRowsPerFragment uint64
	// MaterializeDeletionsThreshold: a fragment whose deleted share exceeds
	// it is rewritten even alone. 0 means the default 0.1; a negative value
	// rewrites every fragment with any deletion; 1 or more never does.
	MaterializeDeletionsThreshold float64
	// KeepDeletions turns off deletion materialisation (Lance's
	// materialize_deletions = false).
	KeepDeletions bool
	// MaxBytesPerFile starts a new fragment once a file has grown beyond
	// it (0: no limit besides the row target). The size is what the writer
	// has flushed, which grows a page (about 8 MiB per column) at a time,
	// so the limit is approximate, as in Lance.
	MaxBytesPerFile uint64
	// BatchRows is the number of physical rows read per batch
	// (DefaultBatchRows when 0).
	BatchRows int
	// RemapIndexes remaps indexes covering rewritten fragments. When nil,
	// such bins are skipped and listed in CompactionMetrics.Skipped.
	RemapIndexes RemapFunc
	// Commit passes options (retries, failpoints) to the commit.
	Commit commit.Options
	// Progress, when set, is called as rows are rewritten.
	Progress ProgressFunc
	// Logger receives debug logs of each step; nil discards them.
	Logger *slog.Logger
}

func (o *CompactOptions) target() uint64 {
	if o.TargetRowsPerFragment == 0 {
		return DefaultTargetRowsPerFragment
	}
	return o.TargetRowsPerFragment
}

func (o *CompactOptions) threshold() float64 {
	if o.MaterializeDeletionsThreshold == 0 {
		return DefaultMaterializeDeletionsThreshold
	}
	return o.MaterializeDeletionsThreshold
}

// materialize reports whether deletions are materialised at all: Lance
// turns it off when the threshold is 100% or more.
func (o *CompactOptions) materialize() bool {
	return !o.KeepDeletions && o.threshold() < 1
}

func (o *CompactOptions) batchRows() int {
	if o.BatchRows <= 0 {
		return DefaultBatchRows
	}
	return o.BatchRows
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
