package maintenance

import (
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
)

// RowAddress packs a fragment id and a row offset the way Lance does:
// (fragment_id << 32) | offset.
func RowAddress(fragment uint64, offset uint32) uint64 { return fragment<<32 | uint64(offset) }

// SplitRowAddress is the inverse of RowAddress.
func SplitRowAddress(addr uint64) (fragment uint64, offset uint32) {
	return addr >> 32, uint32(addr)
}

// RowMap maps the row addresses of rewritten fragments to their new
// addresses without listing every row: compaction copies live rows in
// order, so the k-th live row of a group lands at the k-th row of the
// group's new fragments. Lookups cost a binary search.
type RowMap struct {
	Groups []GroupMap
}

// GroupMap describes one rewrite group.
type GroupMap struct {
	Old []OldFragment
	New []NewFragment
	// oldStart[i] is the live rank of the first row of Old[i];
	// newStart[j] the rank of the first row of New[j].
	oldStart []uint64
	newStart []uint64
}

// OldFragment is a fragment before the rewrite.
type OldFragment struct {
	ID           uint64
	PhysicalRows uint64
	// Deleted holds the deleted offsets (empty when none).
	Deleted *roaring.Bitmap
}

// NewFragment is a fragment the rewrite produced. ID is 0 until assigned.
type NewFragment struct {
	ID   uint64
	Rows uint64
}

func newGroupMap(old []OldFragment, nw []NewFragment) GroupMap {
	g := GroupMap{Old: old, New: nw}
	var r uint64
	for _, f := range old {
		g.oldStart = append(g.oldStart, r)
		r += f.PhysicalRows - f.Deleted.GetCardinality()
	}
	r = 0
	for _, f := range nw {
		g.newStart = append(g.newStart, r)
		r += f.Rows
	}
	return g
}

// Lookup returns the new address of an old row address. found is false
// when the address is not in a rewritten fragment; deleted is true when
// the row was deleted and has no new address.
func (m *RowMap) Lookup(addr uint64) (newAddr uint64, found, deleted bool) {
	frag, off := SplitRowAddress(addr)
	for gi := range m.Groups {
		g := &m.Groups[gi]
		for i, f := range g.Old {
			if f.ID != frag {
				continue
			}
			if uint64(off) >= f.PhysicalRows || f.Deleted.Contains(off) {
				return 0, true, true
			}
			rank := g.oldStart[i] + uint64(off) - f.Deleted.Rank(off)
			j := sort.Search(len(g.newStart), func(k int) bool { return g.newStart[k] > rank }) - 1
			if j < 0 || rank-g.newStart[j] >= g.New[j].Rows {
				return 0, true, true
			}
			return RowAddress(g.New[j].ID, uint32(rank-g.newStart[j])), true, false
		}
	}
	return 0, false, false
}

// OldFragmentIDs lists every rewritten fragment id.
func (m *RowMap) OldFragmentIDs() []uint64 {
	var out []uint64
	for _, g := range m.Groups {
		for _, f := range g.Old {
			out = append(out, f.ID)
		}
	}
	return out
}
