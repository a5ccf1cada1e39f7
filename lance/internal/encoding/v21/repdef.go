package v21

import (
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// A leaf column's path runs from the top-level field down to the leaf; each
// struct, list and the leaf itself is one repetition/definition layer. The
// file lists layers innermost first, so layers[j] describes path[len-1-j].
//
// Definition level 0 means valid all the way down. Higher levels are handed
// out from the innermost layer outwards: a nullable item or list takes one
// level (null), an emptyable list one (empty), a list with both two (null,
// then empty). Repetition level r > 0 on an entry starts a new list in the
// r innermost list layers; r equal to the number of list layers starts a
// new row.

// leafPage is one decoded page of a leaf column: its repetition and
// definition levels (nil when absent) and its visible values.
type leafPage struct {
	layers  []pb.RepDefLayer
	numRows uint64
	rep     []uint16
	def     []uint16
	vals    block
}

// levelNode is the unravelled structure of one path node over a page.
type levelNode struct {
	list    bool
	slots   int
	offsets []int64 // list nodes: start of each slot's children, then the end
	valid   bitmapBuilder
}

type bitmapBuilder struct {
	bits  []byte
	n     int
	nulls int
}

func (b *bitmapBuilder) append(v bool) {
	if !v && b.bits == nil {
		// First null: materialise the valid prefix.
		b.bits = make([]byte, (b.n+8)/8, (b.n+8)/8+64)
		for i := 0; i < b.n; i++ {
			b.bits[i>>3] |= 1 << uint(i&7)
		}
	}
	if b.bits != nil {
		if b.n>>3 >= len(b.bits) {
			b.bits = append(b.bits, 0)
		}
		if v {
			b.bits[b.n>>3] |= 1 << uint(b.n&7)
		}
	}
	if !v {
		b.nulls++
	}
	b.n++
}

type defMeaning struct {
	node  int
	empty bool
}

// unravel turns a page's levels into per-node slots, validity and offsets.
// isList[k] says whether path node k is a list.
func unravel(p *leafPage, isList []bool) ([]levelNode, error) {
	L := len(isList)
	if len(p.layers) != L {
		return nil, corruptf("page has %d rep/def layers, field path has %d", len(p.layers), L)
	}
	nodes := make([]levelNode, L)
	maxRep := 0
	for k := range nodes {
		nodes[k].list = isList[k]
		if isList[k] {
			maxRep++
		}
	}
	if isList[L-1] {
		return nil, unsupportedf("list leaf")
	}
	meanings := []defMeaning{{node: L}}
	for j, layer := range p.layers {
		k := L - 1 - j
		if isListLayer(layer) != isList[k] {
			return nil, corruptf("layer %d (%v) does not match the field path", j, layer)
		}
		switch layer {
		case pb.RepDefLayer_REPDEF_NULLABLE_ITEM, pb.RepDefLayer_REPDEF_NULLABLE_LIST:
			meanings = append(meanings, defMeaning{node: k})
		case pb.RepDefLayer_REPDEF_EMPTYABLE_LIST:
			meanings = append(meanings, defMeaning{node: k, empty: true})
		case pb.RepDefLayer_REPDEF_NULL_AND_EMPTY_LIST:
			meanings = append(meanings, defMeaning{node: k}, defMeaning{node: k, empty: true})
		case pb.RepDefLayer_REPDEF_ALL_VALID_ITEM, pb.RepDefLayer_REPDEF_ALL_VALID_LIST:
		default:
			return nil, corruptf("unknown rep/def layer %v", layer)
		}
	}
	// startFor[r] is the first node that gets a new slot for repetition r.
	startFor := make([]int, maxRep+1)
	num := 0
	for k := L - 1; k >= 0; k-- {
		if isList[k] {
			num++
			if num <= maxRep {
				startFor[num-1] = k + 1
			}
		}
	}
	startFor[maxRep] = 0

	var entries int
	switch {
	case p.rep != nil:
		entries = len(p.rep)
		if p.def != nil && len(p.def) != entries {
			return nil, corruptf("%d repetition and %d definition levels", entries, len(p.def))
		}
	case p.def != nil:
		entries = len(p.def)
	default:
		if maxRep > 0 {
			return nil, corruptf("list page without repetition levels")
		}
		entries = int(p.numRows)
	}
	leafSlots := 0
	for i := 0; i < entries; i++ {
		r := maxRep
		if p.rep != nil {
			r = int(p.rep[i])
			if r > maxRep {
				return nil, corruptf("repetition level %d above %d", r, maxRep)
			}
		}
		m := meanings[0]
		if p.def != nil {
			d := int(p.def[i])
			if d >= len(meanings) {
				return nil, corruptf("definition level %d above %d", d, len(meanings)-1)
			}
			m = meanings[d]
		}
		s := startFor[r]
		if s > 0 && nodes[s-1].slots == 0 {
			return nil, corruptf("repetition level %d continues a list before any row", r)
		}
		for k := s; k < L; k++ {
			n := &nodes[k]
			if n.list {
				n.offsets = append(n.offsets, int64(nodes[k+1].slots))
			}
			n.slots++
			valid := k < m.node || (k == m.node && m.empty)
			n.valid.append(valid)
			if n.list && k >= m.node {
				break
			}
			if k == L-1 {
				leafSlots++
			}
		}
	}
	for k := range nodes {
		if nodes[k].list {
			nodes[k].offsets = append(nodes[k].offsets, int64(nodes[k+1].slots))
		}
	}
	if uint64(nodes[0].slots) != p.numRows {
		return nil, corruptf("levels describe %d rows, page has %d", nodes[0].slots, p.numRows)
	}
	if leafSlots != p.vals.n {
		return nil, corruptf("levels describe %d values, page has %d", leafSlots, p.vals.n)
	}
	return nodes, nil
}
