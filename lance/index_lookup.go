package lance

import (
	"context"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/btree"
)

// keyLookup is what BTREE segments answer for a set of keys: the live row
// addresses they found, and the fragments no segment covers, which the
// caller must scan.
type keyLookup struct {
	indexed   []uint64
	unindexed []uint64
}

// btreeLookup finds the live rows whose column value is one of keys with the
// BTREE segments on column. It returns nil when the column has no BTREE.
func (d *Dataset) btreeLookup(ctx context.Context, column string, keys []any) (*keyLookup, error) {
	f, ok := d.m.Schema.FieldByName(column)
	if !ok {
		return nil, nil
	}
	var segs []*format.Index
	for i := range d.m.Indexes {
		ix := &d.m.Indexes[i]
		if len(ix.Fields) != 1 || ix.Fields[0] != f.ID || ix.Fragments == nil {
			continue
		}
		t, err := format.InferIndexType(ctx, d.store, d.m, ix)
		if err != nil {
			return nil, err
		}
		if t == "btree" {
			segs = append(segs, ix)
		}
	}
	if len(segs) == 0 {
		return nil, nil
	}
	out := &keyLookup{}
	covered := roaring.New()
	deletions := map[uint64]*roaring.Bitmap{}
	for _, seg := range segs {
		ix, err := btree.Open(ctx, d.store, seg)
		if err != nil {
			return nil, err
		}
		addrs, err := ix.In(ctx, keys)
		ix.Close()
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			fid := a >> 32
			frag, ok := d.fragment(fid)
			if !ok || !seg.Fragments.Contains(uint32(fid)) || uint64(uint32(a)) >= frag.PhysicalRows {
				continue // the fragment left the table or the segment
			}
			del, ok := deletions[fid]
			if !ok {
				if del, err = format.ReadDeletions(ctx, d.store, frag); err != nil {
					return nil, err
				}
				deletions[fid] = del
			}
			if !del.Contains(uint32(a)) {
				out.indexed = append(out.indexed, a)
			}
		}
		covered.Or(seg.Fragments)
	}
	slices.Sort(out.indexed)
	out.indexed = slices.Compact(out.indexed)
	for i := range d.m.Fragments {
		if id := d.m.Fragments[i].ID; !covered.Contains(uint32(id)) {
			out.unindexed = append(out.unindexed, id)
		}
	}
	return out, nil
}
