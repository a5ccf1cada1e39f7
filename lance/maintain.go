package lance

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/resona-go/resona/lance/internal/maintenance"
)

// ProgressEvent reports the progress of a long maintenance step: Done out
// of Total units (rows for compaction, files for cleanup).
type ProgressEvent struct {
	Step        string
	Done, Total uint64
}

func progressFunc(fn func(ProgressEvent)) maintenance.ProgressFunc {
	if fn == nil {
		return nil
	}
	return func(step string, done, total uint64) {
		fn(ProgressEvent{Step: step, Done: done, Total: total})
	}
}

// CompactionOptions tune Compact. The zero value is Lance's defaults.
type CompactionOptions struct {
	// TargetRowsPerFragment is the size of rewritten fragments; fragments
	// with fewer rows are candidates (1,048,576 when 0, as in Lance).
	TargetRowsPerFragment int
	// MaterializeDeletionsThreshold: a fragment whose deleted share
	// exceeds it is rewritten even alone (0.1 when 0; negative: any
	// deletion).
	MaterializeDeletionsThreshold float64
	// KeepDeletions leaves deleted rows in place (no materialisation).
	KeepDeletions bool
	// DryRun plans without writing: the metrics say what would be done.
	DryRun bool
	// CommitRetries bounds commit retries (20 when 0; negative: none).
	CommitRetries int
	// Progress, when set, is called as rows are rewritten.
	Progress func(ProgressEvent)
	// Logger receives debug logs of each step; nil discards them.
	Logger *slog.Logger
}

// CompactionMetrics describe what Compact did (or, with DryRun, would do).
type CompactionMetrics struct {
	FragmentsRemoved int
	FragmentsAdded   int
	// FilesRemoved counts data and deletion files of removed fragments;
	// FilesAdded the data files written.
	FilesRemoved int
	FilesAdded   int
	// RowsRewritten counts live rows copied; DeletionsMaterialized the
	// deleted rows dropped.
	RowsRewritten         uint64
	DeletionsMaterialized uint64
	BytesRead             uint64
	BytesWritten          uint64
	// Bins is the number of groups of adjacent fragments rewritten.
	Bins int
	// Skipped lists planned groups left alone, with the reason (fragments
	// covered by an index compaction cannot remap, such as LanceDB 0.13's
	// legacy IVF_PQ files).
	Skipped []SkippedFragments
	// IndexesRemapped counts index segments rewritten for the moved rows.
	IndexesRemapped int
	// ReadVersion is the version compacted; Version the one committed (0
	// when nothing was committed).
	ReadVersion uint64
	Version     uint64
	Duration    time.Duration
}

// SkippedFragments is a group of fragments compaction left alone.
type SkippedFragments struct {
	Fragments []uint64
	Reason    string
}

// Compact rewrites small fragments and fragments with many deleted rows of
// the latest version into fewer, larger ones, in one Rewrite commit, as
// LanceDB's compact_files does. BTREE and v3 IVF_PQ indexes covering
// rewritten fragments are remapped in the same commit; fragments covered by
// an index that cannot be remapped (LanceDB 0.13's legacy vector index) are
// skipped (see CompactionMetrics.Skipped).
// It returns the latest version afterwards (the receiver's table at a new
// version when something was committed).
func (d *Dataset) Compact(ctx context.Context, opts CompactionOptions) (*Dataset, CompactionMetrics, error) {
	fail := func(err error) (*Dataset, CompactionMetrics, error) {
		return nil, CompactionMetrics{}, fmt.Errorf("lance: compact %s: %w", d.path, err)
	}
	if opts.TargetRowsPerFragment < 0 {
		return fail(fmt.Errorf("%w: TargetRowsPerFragment %d is negative", ErrInvalidArgument, opts.TargetRowsPerFragment))
	}
	latest, err := d.CheckoutLatest(ctx)
	if err != nil {
		return fail(err)
	}
	if err := latest.ReadOnlyReason(); err != nil {
		latest.Close()
		return fail(err)
	}
	mo := maintenance.CompactOptions{
		TargetRowsPerFragment:         uint64(opts.TargetRowsPerFragment),
		MaterializeDeletionsThreshold: opts.MaterializeDeletionsThreshold,
		KeepDeletions:                 opts.KeepDeletions,
		Progress:                      progressFunc(opts.Progress),
		Logger:                        opts.Logger,
	}
	mo.Commit.MaxRetries = opts.CommitRetries
	remap, blocked := latest.indexRemapper(ctx)
	mo.RemapIndexes = remap
	if opts.DryRun {
		defer latest.Close()
		plan, err := maintenance.PlanCompaction(ctx, latest.store, latest.m, mo)
		if err != nil {
			return fail(err)
		}
		met := CompactionMetrics{ReadVersion: plan.ReadVersion}
		for _, b := range plan.Bins {
			if b.Indexed() && remap == nil {
				met.Skipped = append(met.Skipped, SkippedFragments{Fragments: b.IDs(), Reason: blocked})
				continue
			}
			met.Bins++
			met.FragmentsRemoved += len(b.Fragments)
			met.RowsRewritten += b.LiveRows()
			met.DeletionsMaterialized += b.DeletedRows()
		}
		if plan.ReadVersion == latest.m.Version {
			return newDataset(d.path, d.store, latest.m, d.files), met, nil
		}
		nd, err := d.Checkout(ctx, plan.ReadVersion)
		if err != nil {
			return fail(err)
		}
		return nd, met, nil
	}
	latest.Close()
	m, err := maintenance.Compact(ctx, d.store, mo)
	if err != nil {
		return fail(err)
	}
	met := CompactionMetrics{
		FragmentsRemoved: m.FragmentsRemoved, FragmentsAdded: m.FragmentsAdded,
		FilesRemoved: m.FilesRemoved, FilesAdded: m.FilesAdded,
		RowsRewritten: m.RowsRewritten, DeletionsMaterialized: m.DeletionsMaterialized,
		BytesRead: m.BytesRead, BytesWritten: m.BytesWritten, Bins: m.Bins,
		IndexesRemapped: m.IndexesRemapped, ReadVersion: m.ReadVersion, Version: m.Version,
		Duration: m.Duration,
	}
	for _, s := range m.Skipped {
		reason := s.Reason
		if remap == nil && blocked != "" {
			reason = blocked
		}
		met.Skipped = append(met.Skipped, SkippedFragments{Fragments: append([]uint64(nil), s.Fragments...), Reason: reason})
	}
	v := m.Version
	if v == 0 {
		v = m.ReadVersion
	}
	if m.Manifest != nil && m.Manifest.Version == v {
		return newDataset(d.path, d.store, m.Manifest, d.files), met, nil
	}
	nd, err := d.Checkout(ctx, v)
	if err != nil {
		return fail(err)
	}
	return nd, met, nil
}

// CleanupOptions select the versions CleanupOldVersions removes. A version
// is removed when it is older than OlderThan (7 days when both rules are
// zero, LanceDB's default) and, if RetainVersions is set, not among the
// newest RetainVersions. The latest version and tagged versions are always
// kept.
type CleanupOptions struct {
	OlderThan      time.Duration
	RetainVersions int
	// DeleteUnverified removes files no version names even when they are
	// recent. Only safe when no other writer can be running.
	DeleteUnverified bool
	DryRun           bool
	Progress         func(ProgressEvent)
	Logger           *slog.Logger
}

// CleanupStats describe what CleanupOldVersions removed (or would remove).
type CleanupStats struct {
	VersionsRemoved []uint64
	// BytesRemoved and FilesRemoved include the manifests.
	BytesRemoved uint64
	FilesRemoved int
	// DataFilesRemoved, DeletionFilesRemoved and IndexFilesRemoved break
	// the count down.
	DataFilesRemoved     int
	DeletionFilesRemoved int
	IndexFilesRemoved    int
	// TaggedKept are old versions kept because a tag names them.
	TaggedKept    []uint64
	LatestVersion uint64
	DryRun        bool
	Duration      time.Duration
}

// DefaultCleanupAge is how old a version must be before CleanupOldVersions
// removes it when no rule is given (LanceDB's default).
const DefaultCleanupAge = 7 * 24 * time.Hour

// CleanupOldVersions removes old versions of the table and the files only
// they needed, as LanceDB's cleanup_old_versions does. Files of versions
// still kept are never removed, whatever the receiver's version.
func (d *Dataset) CleanupOldVersions(ctx context.Context, opts CleanupOptions) (CleanupStats, error) {
	if opts.OlderThan < 0 || opts.RetainVersions < 0 {
		return CleanupStats{}, fmt.Errorf("%w: lance: cleanup %s: negative OlderThan or RetainVersions", ErrInvalidArgument, d.path)
	}
	if err := d.m.ReadOnlyReason(); err != nil {
		return CleanupStats{}, fmt.Errorf("lance: cleanup %s: %w", d.path, err)
	}
	mo := maintenance.CleanupOptions{
		RetainVersions:   opts.RetainVersions,
		DeleteUnverified: opts.DeleteUnverified,
		DryRun:           opts.DryRun,
		Progress:         progressFunc(opts.Progress),
		Logger:           opts.Logger,
	}
	age := opts.OlderThan
	if age == 0 && opts.RetainVersions == 0 {
		age = DefaultCleanupAge
	}
	if age > 0 {
		mo.Before = time.Now().Add(-age)
	}
	s, err := maintenance.CleanupOldVersions(ctx, d.store, mo)
	if err != nil {
		return CleanupStats{}, fmt.Errorf("lance: cleanup %s: %w", d.path, err)
	}
	return cleanupStats(s), nil
}

func cleanupStats(s *maintenance.CleanupStats) CleanupStats {
	return CleanupStats{
		VersionsRemoved:      append([]uint64(nil), s.VersionsRemoved...),
		BytesRemoved:         s.BytesRemoved,
		FilesRemoved:         s.FilesRemoved,
		DataFilesRemoved:     s.ByKind[maintenance.KindData].Files,
		DeletionFilesRemoved: s.ByKind[maintenance.KindDeletion].Files,
		IndexFilesRemoved:    s.ByKind[maintenance.KindIndex].Files,
		TaggedKept:           append([]uint64(nil), s.TaggedKept...),
		LatestVersion:        s.LatestVersion,
		DryRun:               s.DryRun,
		Duration:             s.Duration,
	}
}
