package lance

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/format"
)

// Take returns the rows at the given row addresses (fragment_id<<32 |
// offset), in the order given; an address may repeat. columns is the
// projection (nil: every column). An address whose fragment is not in this
// version, whose offset is beyond the fragment, or whose row is deleted
// yields ErrNotFound naming the address.
func (d *Dataset) Take(ctx context.Context, addrs []uint64, columns []string) (arrow.RecordBatch, error) {
	p, err := d.plan(columns, nil)
	if err != nil {
		return nil, fmt.Errorf("lance: take: %w", err)
	}
	rec, err := d.take(ctx, p.fields, arrow.NewSchema(p.outputFields(), nil), addrs)
	if err != nil {
		return nil, fmt.Errorf("lance: take: %w", err)
	}
	return rec, nil
}

// takeGroup gathers the requested rows of one fragment.
type takeGroup struct {
	frag    *format.Fragment
	offsets []uint64 // distinct physical offsets, ascending
}

// take reads fields at addrs into a batch of the given schema.
func (d *Dataset) take(ctx context.Context, fields []*format.Field, schema *arrow.Schema, addrs []uint64) (arrow.RecordBatch, error) {
	groups := make(map[uint64]*takeGroup)
	var order []uint64 // fragment ids in order of first request
	for _, a := range addrs {
		id, off := a>>32, a&0xffffffff
		g, ok := groups[id]
		if !ok {
			f, ok := d.fragment(id)
			if !ok {
				return nil, fmt.Errorf("%w: row address %d: fragment %d is not in version %d", ErrNotFound, a, id, d.m.Version)
			}
			g = &takeGroup{frag: f}
			groups[id] = g
			order = append(order, id)
		}
		if off >= g.frag.PhysicalRows {
			return nil, fmt.Errorf("%w: row address %d: offset %d is beyond fragment %d's %d rows", ErrNotFound, a, off, id, g.frag.PhysicalRows)
		}
		g.offsets = append(g.offsets, off)
	}
	// Read each fragment's rows once, in ascending order, then place them.
	// base[id] is the position of the fragment's first row in the
	// concatenation of all fragments' results.
	perCol := make([][]arrow.Array, len(fields))
	defer func() {
		for _, arrs := range perCol {
			releaseAll(arrs)
		}
	}()
	base := make(map[uint64]int, len(order))
	total := 0
	for _, id := range order {
		g := groups[id]
		slices.Sort(g.offsets)
		g.offsets = slices.Compact(g.offsets)
		arrs, err := d.takeFromFragment(ctx, g, fields)
		if err != nil {
			return nil, err
		}
		for i, a := range arrs {
			perCol[i] = append(perCol[i], a)
		}
		base[id] = total
		total += len(g.offsets)
	}
	idx := make([]int, len(addrs))
	for i, a := range addrs {
		g := groups[a>>32]
		pos, _ := slices.BinarySearch(g.offsets, a&0xffffffff)
		idx[i] = base[a>>32] + pos
	}
	cols := make([]arrow.Array, len(fields))
	for i, arrs := range perCol {
		var all arrow.Array
		switch len(arrs) {
		case 0:
			all = array.MakeArrayOfNull(memory.DefaultAllocator, fields[i].Type, 0)
		case 1:
			all = arrs[0]
			all.Retain()
		default:
			var err error
			if all, err = array.Concatenate(arrs, memory.DefaultAllocator); err != nil {
				releaseAll(cols)
				return nil, fmt.Errorf("column %q: %w", fields[i].Name, err)
			}
		}
		col, err := takeRows(all, idx)
		all.Release()
		if err != nil {
			releaseAll(cols)
			return nil, fmt.Errorf("column %q: %w", fields[i].Name, err)
		}
		cols[i] = col
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(addrs)))
	releaseAll(cols)
	return rec, nil
}

// takeFromFragment reads g's offsets of fields, checking that none is
// deleted.
func (d *Dataset) takeFromFragment(ctx context.Context, g *takeGroup, fields []*format.Field) ([]arrow.Array, error) {
	fr, err := d.openFragment(ctx, g.frag, fields)
	if err != nil {
		return nil, err
	}
	defer fr.close()
	for _, off := range g.offsets {
		if fr.deleted.Contains(uint32(off)) {
			return nil, fmt.Errorf("%w: row address %d: row %d of fragment %d is deleted", ErrNotFound, g.frag.ID<<32|off, off, g.frag.ID)
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	return fr.take(ctx, g.offsets)
}
