package lance

import (
	"context"
	"fmt"
	"time"

	"github.com/resona-go/resona/lance/internal/maintenance"
)

// StatsOptions tune Stats.
type StatsOptions struct {
	// TargetRowsPerFragment decides which fragments count as small and
	// what compaction would plan (1,048,576 when 0).
	TargetRowsPerFragment int
	// CleanupOlderThan, when positive, makes Stats report what
	// CleanupOldVersions with that age would reclaim.
	CleanupOlderThan time.Duration
}

// TableStats are statistics of the latest version of a table.
type TableStats struct {
	Version            uint64
	DataStorageVersion string
	// LiveRows = PhysicalRows − DeletedRows.
	LiveRows, PhysicalRows, DeletedRows uint64
	Fragments                           FragmentStats
	Versions                            VersionStats
	// DiskBytes and DiskFiles count every file below the table directory;
	// DataBytes, DeletionBytes, IndexBytes and ManifestBytes break it down.
	DiskBytes     uint64
	DiskFiles     int
	DataBytes     uint64
	DeletionBytes uint64
	IndexBytes    uint64
	ManifestBytes uint64
	// CleanupReclaimableBytes is what CleanupOldVersions with
	// StatsOptions.CleanupOlderThan would free (0 when not asked).
	CleanupReclaimableBytes uint64
	CleanupVersions         int
	// CompactionReclaimableBytes estimates the data bytes held by deleted
	// rows, which compaction followed by cleanup frees.
	CompactionReclaimableBytes uint64
	// CompactionBins and CompactionFragments say what Compact would
	// rewrite.
	CompactionBins      int
	CompactionFragments int
	Indexes             []IndexStatistics
}

// FragmentStats describe the fragments of a version.
type FragmentStats struct {
	Count int
	// Small counts fragments with fewer rows than the compaction target.
	Small         int
	WithDeletions int
	// LiveRows and DataBytes are percentiles per fragment: minimum, 25th,
	// median, 75th and maximum.
	LiveRows  [5]uint64
	DataBytes [5]uint64
}

// VersionStats describe the version history.
type VersionStats struct {
	Count                  int
	Oldest, Newest         uint64
	OldestTime, NewestTime time.Time
}

// Stats computes statistics of the latest version of the table (which may
// be newer than the receiver): rows, fragments, versions, disk use, what
// maintenance would reclaim, and index coverage. It only reads.
func (d *Dataset) Stats(ctx context.Context, opts StatsOptions) (*TableStats, error) {
	if opts.TargetRowsPerFragment < 0 || opts.CleanupOlderThan < 0 {
		return nil, fmt.Errorf("%w: lance: stats of %s: negative option", ErrInvalidArgument, d.path)
	}
	mo := maintenance.StatsOptions{
		Compact: maintenance.CompactOptions{TargetRowsPerFragment: uint64(opts.TargetRowsPerFragment)},
	}
	if opts.CleanupOlderThan > 0 {
		mo.Cleanup = maintenance.CleanupOptions{Before: time.Now().Add(-opts.CleanupOlderThan), DryRun: true}
	}
	s, err := maintenance.Stats(ctx, d.store, mo)
	if err != nil {
		return nil, fmt.Errorf("lance: stats of %s: %w", d.path, err)
	}
	total := s.Disk.Total()
	out := &TableStats{
		Version:            s.Version,
		DataStorageVersion: s.DataStorageVersion,
		LiveRows:           s.Rows.Live, PhysicalRows: s.Rows.Physical, DeletedRows: s.Rows.Deleted,
		Fragments: FragmentStats{
			Count: s.Fragments.Count, Small: s.Fragments.Small, WithDeletions: s.Fragments.WithDeletions,
			LiveRows: s.Fragments.LiveRows, DataBytes: s.Fragments.DataBytes,
		},
		Versions: VersionStats{
			Count: s.Versions.Count, Oldest: s.Versions.Oldest, Newest: s.Versions.Newest,
			OldestTime: s.Versions.OldestTime, NewestTime: s.Versions.NewestTime,
		},
		DiskBytes:                  total.Bytes,
		DiskFiles:                  total.Files,
		DataBytes:                  s.Disk[maintenance.KindData].Bytes,
		DeletionBytes:              s.Disk[maintenance.KindDeletion].Bytes,
		IndexBytes:                 s.Disk[maintenance.KindIndex].Bytes,
		ManifestBytes:              s.Disk[maintenance.KindManifest].Bytes,
		CompactionReclaimableBytes: s.CompactionReclaimableBytes,
		CompactionBins:             s.CompactionBins,
		CompactionFragments:        s.CompactionFragments,
	}
	if s.Cleanup != nil {
		out.CleanupReclaimableBytes = s.Cleanup.BytesRemoved
		out.CleanupVersions = len(s.Cleanup.VersionsRemoved)
	}
	for i := range s.Indexes {
		ix := &s.Indexes[i]
		st := IndexStatistics{
			Name: ix.Name, Type: publicIndexType(ix.Type), Columns: append([]string(nil), ix.Fields...),
			IndexedRows: ix.IndexedRows, UnindexedRows: ix.UnindexedRows,
			IndexedFragments: ix.IndexedFragments, UnindexedFragments: ix.UnindexedFragments,
			Segments: ix.Segments,
		}
		out.Indexes = append(out.Indexes, st)
	}
	return out, nil
}
