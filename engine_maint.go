package resona

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/resona-go/resona/lance"
)

// indexKind is an index the service asks the engine for.
type indexKind int

const (
	indexBTree indexKind = iota
	indexIVFPQ
)

func (k indexKind) String() string {
	if k == indexBTree {
		return "BTREE"
	}
	return "IVF_PQ"
}

func errorsIsUnsupported(err error) bool { return errors.Is(err, lance.ErrUnsupported) }

// createIndex builds (or replaces) the index name (column+"_idx" when
// empty) on column: a BTREE, or an IVF_PQ over the vector column using the
// service's metric. The IVF_PQ is sized by the engine's defaults (about
// √rows partitions, sub-vectors of 8 floats), which it tuned for recall on
// text embeddings.
func createIndex(ctx context.Context, ds *lance.Dataset, column, name string, kind indexKind, metric lance.Metric) (*lance.Dataset, error) {
	opts := lance.IndexOptions{Type: lance.IndexBTree, Name: name, Replace: true}
	if kind == indexIVFPQ {
		opts = lance.IndexOptions{Type: lance.IndexIVFPQ, Name: name, Replace: true, Metric: metric}
	}
	return ds.CreateIndex(ctx, column, opts)
}

// compactOutcome is what a compaction did (or, dry, would do).
type compactOutcome struct {
	FragmentsRemoved, FragmentsAdded int
	FilesRemoved, FilesAdded         int
	RowsRewritten                    uint64
	Skipped                          int // fragments left alone (see Reasons)
	Reasons                          []string
	Version                          uint64 // committed version, 0 when none
}

// compactTable merges small fragments and materializes deletions.
func compactTable(ctx context.Context, ds *lance.Dataset, targetRows int, dryRun bool, log *slog.Logger) (*lance.Dataset, compactOutcome, error) {
	nd, m, err := ds.Compact(ctx, lance.CompactionOptions{TargetRowsPerFragment: targetRows, DryRun: dryRun, Logger: log})
	if err != nil {
		return nil, compactOutcome{}, err
	}
	out := compactOutcome{
		FragmentsRemoved: m.FragmentsRemoved, FragmentsAdded: m.FragmentsAdded,
		FilesRemoved: m.FilesRemoved, FilesAdded: m.FilesAdded, RowsRewritten: m.RowsRewritten, Version: m.Version,
	}
	for _, sk := range m.Skipped {
		out.Skipped += len(sk.Fragments)
		out.Reasons = append(out.Reasons, sk.Reason)
	}
	return nd, out, nil
}

// cleanupOutcome is what a cleanup removed (or, dry, would remove).
type cleanupOutcome struct {
	BytesRemoved    uint64
	VersionsRemoved int
	FilesRemoved    int
}

// retentionAge turns a retention in days into the engine's age rule; 0
// days keeps only the latest version (and tagged ones).
func retentionAge(days float64) time.Duration {
	return max(time.Duration(days*float64(24*time.Hour)), time.Nanosecond)
}

// cleanupTable removes versions older than the retention (never the
// latest) and the files only they reference.
func cleanupTable(ctx context.Context, ds *lance.Dataset, retentionDays float64, dryRun bool, log *slog.Logger) (cleanupOutcome, error) {
	st, err := ds.CleanupOldVersions(ctx, lance.CleanupOptions{OlderThan: retentionAge(retentionDays), DryRun: dryRun, Logger: log})
	if err != nil {
		return cleanupOutcome{}, err
	}
	return cleanupOutcome{BytesRemoved: st.BytesRemoved, VersionsRemoved: len(st.VersionsRemoved), FilesRemoved: st.FilesRemoved}, nil
}

// tableStats reads the engine's statistics of the latest version.
func tableStats(ctx context.Context, ds *lance.Dataset, targetRows int, retentionDays float64) (*lance.TableStats, error) {
	return ds.Stats(ctx, lance.StatsOptions{TargetRowsPerFragment: targetRows, CleanupOlderThan: retentionAge(retentionDays)})
}
