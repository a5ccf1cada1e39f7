package lance

import (
	"context"
	"fmt"
	"iter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/format"
)

// DefaultBatchSize is the number of physical rows a scan decodes at a time
// when ScanOptions.BatchSize is 0; it is also LanceDB's default.
const DefaultBatchSize = 8192

// scanPrefetch is how many decoded batches may wait for the consumer. With
// the batch being decoded, memory stays within a few batches whatever the
// table size, while decoding overlaps with the consumer's work.
const scanPrefetch = 2

// ScanOptions configures Dataset.Scan.
type ScanOptions struct {
	// Columns is the projection: top-level column names in output order.
	// nil reads every column of the schema.
	Columns []string
	// Filter, when set, keeps only the rows where it is true. The columns
	// it reads need not be projected.
	Filter expr.Expr
	// BatchSize is the number of physical rows decoded at a time
	// (DefaultBatchSize when 0). A batch holds at most BatchSize rows; it
	// holds fewer when rows are deleted or filtered out or at the end of a
	// fragment, and never spans two fragments. Empty batches are skipped.
	BatchSize int
	// WithRowAddress appends a non-null uint64 column "_rowaddr" holding
	// each row's address, fragment_id<<32 | offset.
	WithRowAddress bool
	// Fragments restricts the scan to these fragment ids, read in the order
	// given. nil scans every fragment in manifest order.
	Fragments []uint64
}

// Scan streams the rows of the table as record batches, fragment by
// fragment, skipping deleted rows. The next batch is decoded while the
// caller works on the current one.
//
// Errors are yielded with a nil batch, after which iteration stops;
// invalid options produce such an error first. Breaking out of the loop
// stops the scan. Each batch belongs to the caller, stays valid after the
// loop advances, and may be released with Release (optional with the Go
// allocator this package uses).
//
//	for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"id"}}) {
//		if err != nil {
//			return err
//		}
//		use(rec)
//	}
func (d *Dataset) Scan(ctx context.Context, opts ScanOptions) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		sc, err := d.newScanner(opts)
		if err != nil {
			yield(nil, err)
			return
		}
		for rec, err := range prefetch(ctx, scanPrefetch, sc.run, releaseRecord) {
			if !yield(rec, err) {
				return
			}
		}
	}
}

// scanner is one configured scan.
type scanner struct {
	d         *Dataset
	plan      *readPlan
	batchSize uint64
	rowAddr   bool
	frags     []*format.Fragment
	schema    *arrow.Schema
}

func (d *Dataset) newScanner(opts ScanOptions) (*scanner, error) {
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("%w: lance: scan: negative batch size %d", ErrInvalidArgument, opts.BatchSize)
	}
	p, err := d.plan(opts.Columns, opts.Filter)
	if err != nil {
		return nil, fmt.Errorf("lance: scan: %w", err)
	}
	frags, err := d.selectFragments(opts.Fragments)
	if err != nil {
		return nil, fmt.Errorf("lance: scan: %w", err)
	}
	sc := &scanner{d: d, plan: p, batchSize: DefaultBatchSize, rowAddr: opts.WithRowAddress, frags: frags}
	if opts.BatchSize > 0 {
		sc.batchSize = uint64(opts.BatchSize)
	}
	fields := p.outputFields()
	if sc.rowAddr {
		fields = append(fields, arrow.Field{Name: RowAddressColumn, Type: arrow.PrimitiveTypes.Uint64})
	}
	sc.schema = arrow.NewSchema(fields, nil)
	return sc, nil
}

// selectFragments returns the fragments with the given ids (all when ids
// is nil). Unknown ids are ErrNotFound.
func (d *Dataset) selectFragments(ids []uint64) ([]*format.Fragment, error) {
	if ids == nil {
		out := make([]*format.Fragment, len(d.m.Fragments))
		for i := range d.m.Fragments {
			out[i] = &d.m.Fragments[i]
		}
		return out, nil
	}
	out := make([]*format.Fragment, 0, len(ids))
	for _, id := range ids {
		f, ok := d.fragment(id)
		if !ok {
			return nil, fmt.Errorf("%w: fragment %d is not in version %d", ErrNotFound, id, d.m.Version)
		}
		out = append(out, f)
	}
	return out, nil
}

// run produces the scan's batches, handing each to emit; it stops early
// when emit returns false.
func (sc *scanner) run(ctx context.Context, emit func(arrow.RecordBatch) bool) error {
	for _, frag := range sc.frags {
		if frag.PhysicalRows == 0 {
			continue
		}
		if live, ok := frag.LiveRows(); ok && live == 0 {
			continue
		}
		more, err := sc.scanFragment(ctx, frag, emit)
		if err != nil {
			return fmt.Errorf("lance: scan %s: %w", sc.d.path, err)
		}
		if !more {
			return nil
		}
	}
	return nil
}

func (sc *scanner) scanFragment(ctx context.Context, frag *format.Fragment, emit func(arrow.RecordBatch) bool) (bool, error) {
	fr, err := sc.d.openFragment(ctx, frag, sc.plan.fields)
	if err != nil {
		return false, err
	}
	defer fr.close()
	for _, rg := range blockRanges(fr.widestPageBounds(), frag.PhysicalRows, sc.batchSize) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		start, end := rg[0], rg[1]
		deleted := fr.deletedIn(start, end)
		if deleted != nil && allSet(deleted) {
			continue
		}
		arrs, err := fr.readRange(ctx, start, end)
		if err != nil {
			return false, err
		}
		rec, err := sc.batch(frag.ID, start, int(end-start), arrs, deleted)
		releaseAll(arrs)
		if err != nil {
			return false, err
		}
		if rec == nil {
			continue
		}
		if !emit(rec) {
			return false, nil
		}
	}
	return true, nil
}

func allSet(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return true
}

// batch turns the decoded columns of physical rows [start, start+n) into
// an output batch (n rows): it drops deleted and filtered-out rows and filter-only
// columns, and adds row addresses. It returns nil when no row is left.
func (sc *scanner) batch(fragID, start uint64, n int, arrs []arrow.Array, deleted []bool) (arrow.RecordBatch, error) {
	keep, kept, err := sc.plan.keep(arrs, deleted, n)
	if err != nil {
		return nil, err
	}
	if kept == 0 {
		return nil, nil
	}
	cols, err := selectRows(arrs[:sc.plan.projected], keep, kept)
	if err != nil {
		return nil, err
	}
	if sc.rowAddr {
		cols = append(cols, rowAddresses(fragID, start, keep, n, kept))
	}
	rec := array.NewRecordBatch(sc.schema, cols, int64(kept))
	releaseAll(cols)
	return rec, nil
}

// keep combines deletions and the filter: keep[i] says whether row i
// stays (nil: every row stays); kept counts the rows that stay.
func (p *readPlan) keep(arrs []arrow.Array, deleted []bool, n int) (keep []bool, kept int, err error) {
	if p.filter == nil {
		if deleted == nil {
			return nil, n, nil
		}
		keep = make([]bool, n)
		for i, del := range deleted {
			keep[i] = !del
			if !del {
				kept++
			}
		}
		return keep, kept, nil
	}
	rec := array.NewRecordBatch(p.filterSchema, arrs, int64(n))
	keep, err = p.filter.Eval(rec)
	rec.Release()
	if err != nil {
		return nil, 0, err
	}
	for i := range keep {
		if deleted != nil && deleted[i] {
			keep[i] = false
		}
		if keep[i] {
			kept++
		}
	}
	return keep, kept, nil
}

// selectRows returns new references to arrs restricted to the rows keep
// marks (all rows when keep is nil).
func selectRows(arrs []arrow.Array, keep []bool, kept int) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(arrs))
	if keep == nil || kept == len(keep) {
		for i, a := range arrs {
			a.Retain()
			out[i] = a
		}
		return out, nil
	}
	idx := make([]int, 0, kept)
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	for i, a := range arrs {
		sel, err := takeRows(a, idx)
		if err != nil {
			releaseAll(out)
			return nil, err
		}
		out[i] = sel
	}
	return out, nil
}

// rowAddresses builds the _rowaddr column of the kept rows.
func rowAddresses(fragID, start uint64, keep []bool, n, kept int) arrow.Array {
	b := array.NewUint64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(kept)
	base := fragID<<32 | start
	for i := 0; i < n; i++ {
		if keep == nil || keep[i] {
			b.UnsafeAppend(base + uint64(i))
		}
	}
	return b.NewArray()
}

func releaseRecord(r arrow.RecordBatch) { r.Release() }
