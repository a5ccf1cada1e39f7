package resona

import (
	"context"
	"fmt"
	"time"

	"github.com/resona-go/resona/lance"
)

// IndexHealth describes the vector index.
type IndexHealth struct {
	// Name is the index name ("vector_idx" when LanceDB built it).
	Name string
	// NumIndexedRows are live rows of fragments the index covers;
	// NumUnindexedRows live rows of fragments it does not (searched by an
	// exact scan).
	NumIndexedRows   int64
	NumUnindexedRows int64
	// StalePercent is 100 · unindexed / (indexed + unindexed).
	StalePercent float64
	// NeedsRebuild is true when the unindexed share exceeds the service's
	// IndexStaleThreshold.
	NeedsRebuild bool
	// Segments is the number of index segments (deltas) sharing the name.
	Segments int
}

// DatabaseDiagnostics describe the health of the embeddings table.
type DatabaseDiagnostics struct {
	// TotalRows are the live rows (chunks count one each).
	TotalRows int64
	// Version is the current table version (0 before the table exists).
	Version uint64
	// Index is nil when the table has no vector index.
	Index *IndexHealth
	// IDIndex tells whether the id column has a scalar index.
	IDIndex bool
	// ReclaimableBytes is what a cleanup with the service's RetentionDays
	// would free now.
	ReclaimableBytes uint64
	// ReclaimableVersions is the number of versions that cleanup removes.
	ReclaimableVersions int
	// CompactionReclaimableBytes estimates the data bytes held by deleted
	// rows, freed by compaction and a later cleanup.
	CompactionReclaimableBytes uint64
	// Fragments and SmallFragments (fewer rows than the compaction
	// target); CompactableFragments are the ones compaction would rewrite.
	Fragments            int
	SmallFragments       int
	CompactableFragments int
	// DeletionFiles is the number of fragments with deleted rows;
	// DeletedRows their deleted rows, kept on disk until compaction.
	DeletionFiles int
	DeletedRows   uint64
	// Versions is the number of versions on disk; OldestVersion the
	// oldest one and OldestVersionAge its age.
	Versions         int
	OldestVersion    uint64
	OldestVersionAge time.Duration
	// DiskBytes is the size of every file of the table.
	DiskBytes uint64
	// DBPath is the database directory, TablePath the table's.
	DBPath    string
	TablePath string
	// RetentionDays and TargetRowsPerFragment are the settings the
	// figures above assume.
	RetentionDays         int
	TargetRowsPerFragment int
}

// GetDiagnostics reports the table's health without changing anything on
// disk.
func (s *EmbeddingService) GetDiagnostics(ctx context.Context) (*DatabaseDiagnostics, error) {
	t0 := time.Now()
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	d := &DatabaseDiagnostics{
		DBPath: s.dbPath, TablePath: s.tablePath,
		RetentionDays: *s.opts.RetentionDays, TargetRowsPerFragment: s.opts.TargetRowsPerFragment,
	}
	if s.ds == nil {
		return d, nil
	}
	st, err := tableStats(ctx, s.ds, s.opts.TargetRowsPerFragment, float64(*s.opts.RetentionDays))
	if err != nil {
		return nil, fmt.Errorf("resona: diagnostics: %w", err)
	}
	// Stats reads the latest version, which may be newer than ours.
	if st.Version != s.ds.Version() {
		if err := s.refresh(ctx); err != nil {
			return nil, err
		}
	}
	d.Version = st.Version
	d.TotalRows = int64(st.LiveRows)
	d.DeletedRows = st.DeletedRows
	d.Fragments = st.Fragments.Count
	d.SmallFragments = st.Fragments.Small
	d.CompactableFragments = st.CompactionFragments
	d.DeletionFiles = st.Fragments.WithDeletions
	d.ReclaimableBytes = st.CleanupReclaimableBytes
	d.ReclaimableVersions = st.CleanupVersions
	d.CompactionReclaimableBytes = st.CompactionReclaimableBytes
	d.Versions = st.Versions.Count
	d.OldestVersion = st.Versions.Oldest
	if !st.Versions.OldestTime.IsZero() {
		d.OldestVersionAge = s.now().Sub(st.Versions.OldestTime)
	}
	d.DiskBytes = st.DiskBytes
	d.Index = s.vectorIndexHealth(s.ds, s.opts.IndexStaleThreshold)
	d.IDIndex = hasIndexOn(s.ds, colID)
	s.log.Debug("diagnostics", "version", d.Version, "rows", d.TotalRows, "fragments", d.Fragments,
		"small_fragments", d.SmallFragments, "deleted_rows", d.DeletedRows, "versions", d.Versions,
		"reclaimable_bytes", d.ReclaimableBytes, "index", d.Index != nil, "duration", time.Since(t0))
	return d, nil
}

func hasIndexOn(ds *lance.Dataset, column string) bool {
	for _, ix := range ds.Indexes() {
		if len(ix.Columns) == 1 && ix.Columns[0] == column {
			return true
		}
	}
	return false
}

// vectorIndexHealth measures the coverage of the index on the vector
// column over the live rows of the current fragments; nil when there is
// no such index.
func (s *EmbeddingService) vectorIndexHealth(ds *lance.Dataset, threshold float64) *IndexHealth {
	return indexHealth(ds, colVector, threshold)
}

// indexHealth measures the coverage of the index on column (the first
// one found, with all segments sharing its name); nil when there is none.
func indexHealth(ds *lance.Dataset, column string, threshold float64) *IndexHealth {
	var h *IndexHealth
	covered := map[uint64]bool{}
	coversAll := false
	for _, ix := range ds.Indexes() {
		if len(ix.Columns) != 1 || ix.Columns[0] != column {
			continue
		}
		if h == nil {
			h = &IndexHealth{Name: ix.Name}
		}
		if ix.Name != h.Name {
			continue
		}
		h.Segments++
		if ix.Fragments == nil {
			// Without a recorded fragment set the segment covers the
			// fragments that existed when it was built; treat it as
			// covering all (the engine reports the same).
			coversAll = true
		}
		for _, f := range ix.Fragments {
			covered[f] = true
		}
	}
	if h == nil {
		return nil
	}
	for _, f := range ds.Fragments() {
		if coversAll || covered[f.ID] {
			h.NumIndexedRows += int64(f.LiveRows())
		} else {
			h.NumUnindexedRows += int64(f.LiveRows())
		}
	}
	if total := h.NumIndexedRows + h.NumUnindexedRows; total > 0 {
		frac := float64(h.NumUnindexedRows) / float64(total)
		h.StalePercent = 100 * frac
		h.NeedsRebuild = frac > threshold
	}
	return h
}
