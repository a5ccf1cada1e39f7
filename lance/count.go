package lance

import (
	"context"
	"fmt"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/format"
)

// CountRows counts the live (not deleted) rows of this version. Without a
// filter the count comes from the manifest (physical rows minus deleted
// rows of each fragment) and no data file is read. With filters, only the
// rows where every filter is true are counted, reading just the columns
// the filters need.
func (d *Dataset) CountRows(ctx context.Context, filters ...expr.Expr) (int64, error) {
	var filter expr.Expr
	switch len(filters) {
	case 0:
		return d.countLive(ctx)
	case 1:
		filter = filters[0]
	default:
		filter = expr.And(filters...)
	}
	if filter == nil {
		return d.countLive(ctx)
	}
	sc, err := d.newScanner(ScanOptions{Columns: []string{}, Filter: filter})
	if err != nil {
		return 0, fmt.Errorf("lance: count rows: %w", err)
	}
	var n int64
	for rec, err := range prefetch(ctx, scanPrefetch, sc.run, releaseRecord) {
		if err != nil {
			return 0, err
		}
		n += rec.NumRows()
		rec.Release()
	}
	return n, nil
}

// countLive sums live rows from the manifest, reading a deletion file only
// for fragments whose manifest entry did not record the deleted count.
func (d *Dataset) countLive(ctx context.Context) (int64, error) {
	var n uint64
	for i := range d.m.Fragments {
		f := &d.m.Fragments[i]
		live, ok := f.LiveRows()
		if !ok {
			del, err := format.ReadDeletions(ctx, d.store, f)
			if err != nil {
				return 0, fmt.Errorf("lance: count rows: fragment %d: %w", f.ID, err)
			}
			live = f.PhysicalRows - del.GetCardinality()
		}
		n += live
	}
	return int64(n), nil
}
