package maintenance

import (
	"context"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// FragmentMetrics is what planning needs to know about one fragment.
type FragmentMetrics struct {
	ID           uint64
	PhysicalRows uint64
	DeletedRows  uint64
	// Indexes are the positions (in the manifest's index list) of the index
	// segments whose fragment bitmap contains the fragment, ascending.
	Indexes []int
}

// LiveRows is the number of rows not deleted.
func (f FragmentMetrics) LiveRows() uint64 {
	return f.PhysicalRows - min(f.DeletedRows, f.PhysicalRows)
}

// DeletedShare is the deleted fraction of the physical rows.
func (f FragmentMetrics) DeletedShare() float64 {
	if f.PhysicalRows == 0 {
		return 0
	}
	return float64(f.DeletedRows) / float64(f.PhysicalRows)
}

// Candidacy says why a fragment is in a bin.
type Candidacy int

const (
	// WithNeighbors: the fragment is small and worth rewriting only
	// together with adjacent candidates.
	WithNeighbors Candidacy = iota + 1
	// Itself: the fragment has enough deletions to be rewritten alone.
	Itself
)

// String names the candidacy.
func (c Candidacy) String() string {
	switch c {
	case WithNeighbors:
		return "small"
	case Itself:
		return "deletions"
	}
	return "none"
}

// Bin is a run of adjacent fragments rewritten together.
type Bin struct {
	// Fragments are the metrics of the fragments, in manifest order.
	Fragments []FragmentMetrics
	Candidacy []Candidacy
	// Start is the position of the first fragment in the manifest.
	Start int
	// Indexes are the positions of the index segments covering every
	// fragment of the bin (the same set for all of them).
	Indexes []int
}

// IDs returns the fragment ids of the bin.
func (b *Bin) IDs() []uint64 {
	out := make([]uint64, len(b.Fragments))
	for i, f := range b.Fragments {
		out[i] = f.ID
	}
	return out
}

// LiveRows is the number of rows the bin will rewrite.
func (b *Bin) LiveRows() uint64 {
	var n uint64
	for _, f := range b.Fragments {
		n += f.LiveRows()
	}
	return n
}

// DeletedRows is the number of deleted rows the rewrite drops.
func (b *Bin) DeletedRows() uint64 {
	var n uint64
	for _, f := range b.Fragments {
		n += f.DeletedRows
	}
	return n
}

// Indexed reports whether index segments cover the bin's fragments.
func (b *Bin) Indexed() bool { return len(b.Indexes) > 0 }

// isNoop: a bin of one fragment that only wanted neighbours gains nothing.
func (b *Bin) isNoop() bool {
	return len(b.Fragments) == 0 || (len(b.Fragments) == 1 && b.Candidacy[0] == WithNeighbors)
}

// Plan is the outcome of planning: the bins to rewrite, against the
// version that was read.
type Plan struct {
	ReadVersion uint64
	Bins        []Bin
}

// Empty reports a plan with nothing to do.
func (p *Plan) Empty() bool { return len(p.Bins) == 0 }

// PlanBins groups fragments (in manifest order) into compaction bins, the
// way Lance's plan_compaction does:
//
//   - a fragment whose deleted share exceeds the threshold is a candidate
//     on its own (when deletions are materialised); else a fragment with
//     fewer physical rows than the target is a candidate with neighbours;
//     others end the current bin;
//   - a candidate joins the current bin only when the same index segments
//     cover it, so no bin mixes indexed and unindexed fragments;
//   - bins of a single neighbour-only fragment are dropped;
//   - each bin is split into runs of at least the target of live rows, the
//     remainder joining the last run.
func PlanBins(frags []FragmentMetrics, opts CompactOptions) []Bin {
	target := opts.target()
	var bins []Bin
	var cur *Bin
	flush := func() {
		if cur != nil {
			bins = append(bins, *cur)
			cur = nil
		}
	}
	for i, f := range frags {
		var c Candidacy
		switch {
		case opts.materialize() && f.DeletedRows > 0 && f.DeletedShare() > opts.threshold():
			c = Itself
		case f.PhysicalRows < target:
			c = WithNeighbors
		default:
			flush()
			continue
		}
		if cur != nil && !slices.Equal(cur.Indexes, f.Indexes) {
			flush()
		}
		if cur == nil {
			cur = &Bin{Start: i, Indexes: f.Indexes}
		}
		cur.Fragments = append(cur.Fragments, f)
		cur.Candidacy = append(cur.Candidacy, c)
	}
	flush()
	var out []Bin
	for _, b := range bins {
		if b.isNoop() {
			continue
		}
		out = append(out, splitForSize(b, target)...)
	}
	return out
}

// splitForSize cuts b into runs holding at least min live rows each, as
// long as what remains still makes a worthwhile run.
func splitForSize(b Bin, minRows uint64) []Bin {
	var out []Bin
	for {
		n, rows := 0, uint64(0)
		for rows < minRows && n < len(b.Fragments) {
			rows += b.Fragments[n].LiveRows()
			n++
		}
		var rest uint64
		for _, f := range b.Fragments[n:] {
			rest += f.LiveRows()
		}
		if n == len(b.Fragments) || rest < minRows {
			return append(out, b)
		}
		out = append(out, Bin{
			Fragments: b.Fragments[:n:n], Candidacy: b.Candidacy[:n:n], Start: b.Start, Indexes: b.Indexes,
		})
		b = Bin{Fragments: b.Fragments[n:], Candidacy: b.Candidacy[n:], Start: b.Start + n, Indexes: b.Indexes}
	}
}

// CollectMetrics returns the planning metrics of every fragment of m. The
// deleted-row count comes from the manifest; only deletion files of old
// writers that did not record it are read.
func CollectMetrics(ctx context.Context, store storage.Store, m *format.Manifest) ([]FragmentMetrics, error) {
	bitmaps := indexFragmentSets(m)
	out := make([]FragmentMetrics, len(m.Fragments))
	for i := range m.Fragments {
		fr := &m.Fragments[i]
		fm := FragmentMetrics{ID: fr.ID, PhysicalRows: fr.PhysicalRows}
		if d := fr.Deletion; d != nil {
			if d.HasCount {
				fm.DeletedRows = d.NumDeletedRows
			} else {
				bm, err := format.ReadDeletions(ctx, store, fr)
				if err != nil {
					return nil, fmt.Errorf("maintenance: fragment %d: %w", fr.ID, err)
				}
				fm.DeletedRows = bm.GetCardinality()
			}
		}
		for j, bm := range bitmaps {
			if fr.ID <= 0xFFFFFFFF && bm.Contains(uint32(fr.ID)) {
				fm.Indexes = append(fm.Indexes, j)
			}
		}
		out[i] = fm
	}
	return out, nil
}

// indexFragmentSets returns the fragment set of each index segment. A
// segment that recorded none (very old writers) is taken to cover every
// fragment, so that its fragments are treated as indexed.
func indexFragmentSets(m *format.Manifest) []*roaring.Bitmap {
	out := make([]*roaring.Bitmap, len(m.Indexes))
	for i, ix := range m.Indexes {
		if ix.Fragments != nil {
			out[i] = ix.Fragments
			continue
		}
		all := roaring.New()
		for _, f := range m.Fragments {
			all.Add(uint32(f.ID))
		}
		out[i] = all
	}
	return out
}

// PlanCompaction plans the compaction of manifest m.
func PlanCompaction(ctx context.Context, store storage.Store, m *format.Manifest, opts CompactOptions) (*Plan, error) {
	if opts.TargetRowsPerFragment > 1<<32 {
		return nil, fmt.Errorf("%w: maintenance: target of %d rows per fragment exceeds a fragment's 2^32 rows", lanceerr.ErrInvalidArgument, opts.TargetRowsPerFragment)
	}
	metrics, err := CollectMetrics(ctx, store, m)
	if err != nil {
		return nil, err
	}
	return &Plan{ReadVersion: m.Version, Bins: PlanBins(metrics, opts)}, nil
}
