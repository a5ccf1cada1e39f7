package maintenance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// CompactionMetrics describe what a compaction did. The first four match
// Lance's CompactionMetrics.
type CompactionMetrics struct {
	FragmentsRemoved int
	FragmentsAdded   int
	// FilesRemoved counts data and deletion files of the removed fragments;
	// FilesAdded the data files written.
	FilesRemoved int
	FilesAdded   int
	// RowsRewritten is the number of live rows copied.
	RowsRewritten uint64
	// DeletionsMaterialized is the number of deleted rows dropped.
	DeletionsMaterialized uint64
	// BytesRead is the size of the data files read; BytesWritten the size
	// of the files written.
	BytesRead    uint64
	BytesWritten uint64
	// Bins is the number of bins rewritten.
	Bins int
	// Skipped lists bins that were planned but not rewritten.
	Skipped []SkippedBin
	// IndexesRemapped counts index segments rewritten by RemapIndexes.
	IndexesRemapped int
	// ReadVersion is the version compacted; Version the version committed
	// (0 when nothing was committed).
	ReadVersion uint64
	Version     uint64
	Duration    time.Duration
	// Manifest is the manifest committed, or the one read when nothing
	// was committed. Callers build their dataset from it instead of
	// reopening Version, which a concurrent cleanup may already have
	// removed.
	Manifest *format.Manifest
}

// SkippedBin is a planned bin left alone, with the reason.
type SkippedBin struct {
	Fragments []uint64
	Reason    string
}

// Compact rewrites small fragments and fragments with many deletions of
// the latest version into fewer, larger fragments and commits the result
// as one Rewrite transaction. With nothing to do it commits nothing and
// returns metrics with Version 0.
func Compact(ctx context.Context, store storage.Store, opts CompactOptions) (*CompactionMetrics, error) {
	start := time.Now()
	log := logger(opts.Logger)
	m, err := format.LoadManifest(ctx, store, 0)
	if err != nil {
		return nil, err
	}
	met := &CompactionMetrics{ReadVersion: m.Version, Manifest: m}
	defer func() { met.Duration = time.Since(start) }()
	plan, err := PlanCompaction(ctx, store, m, opts)
	if err != nil {
		return nil, err
	}
	log.Debug("compaction planned", "version", m.Version, "fragments", len(m.Fragments), "bins", len(plan.Bins),
		"target_rows", opts.target())
	if plan.Empty() {
		log.Debug("compaction: nothing to do")
		return met, nil
	}
	if err := m.ReadOnlyReason(); err != nil {
		return nil, fmt.Errorf("maintenance: compaction: %w", err)
	}
	if m.StableRowIDs() {
		return nil, fmt.Errorf("%w: maintenance: compacting a table with stable row ids is not supported", lanceerr.ErrUnsupported)
	}
	version, err := writerVersion(m.DataStorageVersion)
	if err != nil {
		return nil, err
	}
	if err := checkWritable(m, version); err != nil {
		return nil, err
	}

	var bins []Bin
	remap := false
	for _, b := range plan.Bins {
		if b.Indexed() && opts.RemapIndexes == nil {
			reason := fmt.Sprintf("covered by index %s, which cannot be remapped yet", indexNames(m, b.Indexes))
			met.Skipped = append(met.Skipped, SkippedBin{Fragments: b.IDs(), Reason: reason})
			log.Debug("compaction: bin skipped", "fragments", b.IDs(), "reason", reason)
			continue
		}
		remap = remap || b.Indexed()
		bins = append(bins, b)
	}
	if len(bins) == 0 {
		return met, nil
	}

	rw := &rewriter{store: store, m: m, opts: &opts, log: log, version: version}
	defer rw.discard(ctx)
	for _, b := range bins {
		rw.total += b.LiveRows()
	}
	if remap {
		// Remapping needs the new row addresses before the commit, so ids
		// are taken here, and the commit must then land right on the read
		// version (exclusiveCommit).
		next, ok := m.MaxFragmentID()
		if ok {
			next++
		}
		rw.nextID = &next
	}
	var groups []commit.RewriteGroup
	rows := &RowMap{}
	var indexed []int
	for _, b := range bins {
		g, gm, err := rw.rewriteBin(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("maintenance: compaction of fragments %v: %w", b.IDs(), err)
		}
		groups = append(groups, g)
		met.Bins++
		met.FragmentsRemoved += len(g.Old)
		met.FragmentsAdded += len(g.New)
		for _, f := range g.Old {
			met.FilesRemoved += len(f.Files)
			if f.DeletionFile != nil {
				met.FilesRemoved++
			}
		}
		met.FilesAdded += len(g.New)
		met.RowsRewritten += b.LiveRows()
		met.DeletionsMaterialized += b.DeletedRows()
		if b.Indexed() {
			rows.Groups = append(rows.Groups, gm)
			indexed = mergeSorted(indexed, b.Indexes)
		}
	}
	met.BytesRead, met.BytesWritten = rw.bytesRead, rw.bytesWritten

	op := commit.Rewrite{Groups: groups}
	if len(indexed) > 0 {
		segs := make([]format.Index, len(indexed))
		for i, p := range indexed {
			segs[i] = m.Indexes[p]
		}
		log.Debug("compaction: remapping indexes", "segments", len(segs), "groups", len(rows.Groups))
		ri, err := opts.RemapIndexes(ctx, m, segs, rows)
		if err != nil {
			return nil, fmt.Errorf("maintenance: remap indexes: %w", err)
		}
		if len(ri) != len(segs) {
			return nil, fmt.Errorf("%w: maintenance: index remapper returned %d segments for %d", lanceerr.ErrInvalidArgument, len(ri), len(segs))
		}
		op.RewrittenIndices = ri
		met.IndexesRemapped = len(ri)
	}
	copts := opts.Commit
	if remap {
		copts = exclusiveCommit(store, m.Version, copts)
	}
	res, err := commit.Commit(ctx, store, &commit.Transaction{ReadVersion: m.Version, Operation: op}, copts)
	if remap && res == nil && errors.Is(err, lanceerr.ErrInvalidArgument) {
		// A commit that landed meanwhile can also surface while the next
		// manifest is built, as a duplicate fragment id (its fragments took
		// the ids chosen here); nothing was committed then.
		if latest, lerr := format.LatestVersion(ctx, store); lerr == nil && latest.Version != m.Version {
			err = fmt.Errorf("%w: version %d was committed during the compaction of version %d: %v",
				lanceerr.ErrCommitConflict, latest.Version, m.Version, err)
		}
	}
	if res != nil {
		// Committed, even if a later step reported an error.
		rw.written = nil
		met.Version = res.Version
		met.Manifest = res.Manifest
	} else if err != nil && !errors.Is(err, lanceerr.ErrCommitConflict) {
		// The outcome is unknown: keep the files; an unreferenced file is
		// removed by cleanup once it is old enough.
		rw.written = nil
	}
	if err != nil {
		return met, fmt.Errorf("maintenance: commit compaction: %w", err)
	}
	log.Debug("compaction committed", "version", res.Version, "fragments_removed", met.FragmentsRemoved,
		"fragments_added", met.FragmentsAdded, "rows", met.RowsRewritten, "deletions", met.DeletionsMaterialized,
		"bytes_written", met.BytesWritten, "attempts", res.Attempts)
	return met, nil
}

func indexNames(m *format.Manifest, pos []int) string {
	out := ""
	for i, p := range pos {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q (%s)", m.Indexes[p].Name, m.Indexes[p].UUID)
	}
	return out
}

func mergeSorted(a, b []int) []int {
	seen := map[int]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			a = append(a, x)
			seen[x] = true
		}
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	return a
}

// cloneFragment copies a manifest fragment for a transaction.
func cloneFragment(f *format.Fragment) *pb.DataFragment {
	return proto.Clone(f.PB).(*pb.DataFragment)
}

// exclusiveCommit makes a commit land only as version read+1. Fragment ids
// taken before the commit (for remapping) are fresh only if nobody
// committed since the read: a concurrent append could have used them, and
// a rebase would then alias rows or reuse ids that indexes still name.
// The check runs just before the create-only manifest write, which
// itself fails if another writer takes read+1 in between.
func exclusiveCommit(store storage.Store, read uint64, o commit.Options) commit.Options {
	o.MaxRetries = -1
	user := o.Failpoint
	o.Failpoint = func(name string) error {
		if user != nil {
			if err := user(name); err != nil {
				return err
			}
		}
		if name != commit.FailBeforeManifestLink {
			return nil
		}
		latest, err := format.LatestVersion(context.Background(), store)
		if err != nil {
			return err
		}
		if latest.Version != read {
			return fmt.Errorf("%w: version %d was committed during the compaction of version %d; the new fragment ids and remapped indexes may be stale, retry the compaction",
				lanceerr.ErrCommitConflict, latest.Version, read)
		}
		return nil
	}
	return o
}
