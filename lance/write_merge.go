package lance

import (
	"context"
	"errors"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
)

// MergeInsertOptions configure MergeInsert. The zero value of the two
// actions does nothing useful; an upsert sets both, like LanceDB's
// mergeInsert(on).whenMatchedUpdateAll().whenNotMatchedInsertAll().
type MergeInsertOptions struct {
	// On is the key column (utf8 or integer) that matches input rows with
	// table rows.
	On string
	// WhenMatchedUpdateAll replaces every table row whose key matches an
	// input row with that input row.
	WhenMatchedUpdateAll bool
	// WhenNotMatchedInsertAll inserts the input rows whose key matches no
	// table row.
	WhenNotMatchedInsertAll bool
	// Write tunes file size and commit retries.
	Write WriteOptions
}

// MergeInsertResult counts what a merge-insert changed.
type MergeInsertResult struct {
	// Inserted is the number of input rows added as new rows.
	Inserted int64
	// Updated is the number of table rows replaced by input rows.
	Updated int64
}

// MergeInsert upserts records by the key column opts.On, as LanceDB's merge
// insert does: table rows whose key matches an input row are deleted (in
// deletion files) and the input rows are written as new fragments, all in
// one Update commit in Lance's "rewrite rows" mode, which LanceDB's conflict
// resolution understands. Input rows with a null key never match.
//
// Two input rows with the same key that matches a table row are refused
// with ErrInvalidArgument, as LanceDB refuses ambiguous merges. When nothing
// changes no version is committed and the returned Dataset reads the
// receiver's version. A concurrent change to the same rows makes MergeInsert
// redo its work on the latest version (opts.Write.CommitRetries bounds how
// often).
func (d *Dataset) MergeInsert(ctx context.Context, records []arrow.RecordBatch, opts MergeInsertOptions) (*Dataset, MergeInsertResult, error) {
	fail := func(err error) (*Dataset, MergeInsertResult, error) {
		return nil, MergeInsertResult{}, fmt.Errorf("lance: merge insert into %s: %w", d.path, err)
	}
	if opts.Write.MaxRowsPerFile < 0 {
		return fail(fmt.Errorf("%w: MaxRowsPerFile %d is negative", ErrInvalidArgument, opts.Write.MaxRowsPerFile))
	}
	if err := d.checkWritable(); err != nil {
		return fail(err)
	}
	keyField, ok := d.m.Schema.FieldByName(opts.On)
	if !ok {
		return fail(fmt.Errorf("%w: key column %q is not in the table", ErrInvalidArgument, opts.On))
	}
	if !keyTypeSupported(keyField.Type) {
		return fail(fmt.Errorf("%w: key column %q has type %s; merge insert needs a string or integer key", ErrUnsupported, opts.On, keyField.Type))
	}
	// Conform once: later steps see the table's column order and types.
	conformed := make([]arrow.RecordBatch, 0, len(records))
	defer func() {
		for _, r := range conformed {
			r.Release()
		}
	}()
	for i, rec := range records {
		if rec == nil || rec.NumRows() == 0 {
			continue
		}
		c, err := conformRecord(d.m.Schema.Arrow, rec)
		if err != nil {
			return fail(fmt.Errorf("record batch %d: %w", i, err))
		}
		if c == rec {
			c.Retain()
		}
		conformed = append(conformed, c)
	}
	in, err := collectKeys(conformed, d.m.Schema.Arrow.FieldIndices(opts.On)[0])
	if err != nil {
		return fail(err)
	}
	cur := d
	defer func() {
		if cur != d {
			cur.Close()
		}
	}()
	for attempt := 1; ; attempt++ {
		nd, res, err := cur.mergeOnce(ctx, conformed, in, opts)
		var ce *commit.ConflictError
		if err == nil || !errors.As(err, &ce) || !ce.Retryable || attempt >= opts.Write.redoAttempts() {
			if err != nil {
				return fail(err)
			}
			return nd, res, nil
		}
		latest, lerr := cur.CheckoutLatest(ctx)
		if lerr != nil {
			return fail(fmt.Errorf("%w (reloading after: %w)", lerr, err))
		}
		if cur != d {
			cur.Close()
		}
		cur = latest
	}
}

// inputKeys are the keys of the input rows.
type inputKeys struct {
	col int
	// rows maps each non-null key to the number of input rows holding it.
	rows map[any]int
	// values are the distinct non-null keys, in input order.
	values []any
	// strs holds the counts of string keys again, so that scanning a
	// string column looks keys up without boxing every value.
	strs map[string]int
}

// lookup returns the key of row i of a table column and how many input
// rows hold it (0: none, or a null key).
func (in *inputKeys) lookup(a arrow.Array, i int) (any, int) {
	if a.IsNull(i) {
		return nil, 0
	}
	var s string
	switch c := a.(type) {
	case *array.String:
		s = c.Value(i)
	case *array.LargeString:
		s = c.Value(i)
	default:
		k := keyAt(a, i)
		return k, in.rows[k]
	}
	n := in.strs[s]
	if n == 0 {
		return nil, 0
	}
	return s, n
}

func keyTypeSupported(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

// keyAt returns the key of row i as a comparable Go value (string, int64 or
// uint64), or nil for a null.
func keyAt(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i)
	case *array.LargeString:
		return c.Value(i)
	case *array.Int8:
		return int64(c.Value(i))
	case *array.Int16:
		return int64(c.Value(i))
	case *array.Int32:
		return int64(c.Value(i))
	case *array.Int64:
		return c.Value(i)
	case *array.Uint8:
		return uint64(c.Value(i))
	case *array.Uint16:
		return uint64(c.Value(i))
	case *array.Uint32:
		return uint64(c.Value(i))
	case *array.Uint64:
		return c.Value(i)
	}
	return nil
}

func collectKeys(records []arrow.RecordBatch, col int) (*inputKeys, error) {
	in := &inputKeys{col: col, rows: map[any]int{}, strs: map[string]int{}}
	for _, rec := range records {
		a := rec.Column(col)
		for i := 0; i < a.Len(); i++ {
			k := keyAt(a, i)
			if k == nil {
				continue
			}
			if in.rows[k] == 0 {
				in.values = append(in.values, k)
			}
			in.rows[k]++
			if str, ok := k.(string); ok {
				in.strs[str]++
			}
		}
	}
	return in, nil
}

func (d *Dataset) mergeOnce(ctx context.Context, records []arrow.RecordBatch, in *inputKeys, opts MergeInsertOptions) (*Dataset, MergeInsertResult, error) {
	var res MergeInsertResult
	// Find the table rows holding input keys.
	matched := map[any]bool{}
	byFrag := map[uint64]*roaring.Bitmap{}
	var targetRows int64
	err := d.forEachKeyMatch(ctx, opts.On, in, func(k any, n int, addr uint64) error {
		if n > 1 {
			return fmt.Errorf("%w: %d input rows have key %v, which matches a table row: ambiguous merge", ErrInvalidArgument, n, k)
		}
		matched[k] = true
		targetRows++
		if opts.WhenMatchedUpdateAll {
			addDeleted(byFrag, addr)
		}
		return nil
	})
	if err != nil {
		return nil, res, err
	}
	// Select the input rows to write.
	var toWrite []arrow.RecordBatch
	defer func() {
		for _, r := range toWrite {
			r.Release()
		}
	}()
	for _, rec := range records {
		keys := rec.Column(in.col)
		keep := make([]bool, keys.Len())
		for i := range keep {
			k := keyAt(keys, i)
			switch {
			case k != nil && matched[k]:
				keep[i] = opts.WhenMatchedUpdateAll
			default:
				keep[i] = opts.WhenNotMatchedInsertAll
				if keep[i] {
					res.Inserted++
				}
			}
		}
		sel, err := filterRecord(rec, keep)
		if err != nil {
			return nil, MergeInsertResult{}, err
		}
		if sel != nil {
			toWrite = append(toWrite, sel)
		}
	}
	if opts.WhenMatchedUpdateAll {
		res.Updated = targetRows
	}
	if len(toWrite) == 0 && len(byFrag) == 0 {
		return d.same(), MergeInsertResult{}, nil
	}
	newFrags, written, err := writeFragments(ctx, d.store, d.m.Schema, d.m.DataStorageVersion, toWrite, opts.Write.MaxRowsPerFile)
	if err != nil {
		return nil, MergeInsertResult{}, err
	}
	upd, err := d.applyDeletions(ctx, byFrag)
	if err != nil {
		removeFiles(ctx, d.store, written)
		return nil, MergeInsertResult{}, err
	}
	var allFields []uint32
	d.m.Schema.Walk(func(f *format.Field) { allFields = append(allFields, uint32(f.ID)) })
	txn := &commit.Transaction{
		ReadVersion: d.m.Version,
		Operation: commit.Update{
			RemovedFragmentIDs:            upd.removed,
			UpdatedFragments:              upd.updated,
			NewFragments:                  newFrags,
			FieldsForPreservingFragBitmap: allFields,
			Mode:                          commit.RewriteRows,
		},
	}
	cr, err := commitWritten(ctx, d.store, txn, opts.Write.commitOptions(d.m), append(written, upd.written...))
	if err != nil {
		return nil, MergeInsertResult{}, err
	}
	nd, err := d.committed(ctx, cr)
	return nd, res, err
}

// filterRecord returns the rows of rec that keep marks, or nil when none.
// Runs of kept rows are sliced and concatenated, which keeps the common
// cases (all rows, no rows) free of copies.
func filterRecord(rec arrow.RecordBatch, keep []bool) (arrow.RecordBatch, error) {
	var runs [][2]int64
	n := 0
	for i := 0; i < len(keep); {
		if !keep[i] {
			i++
			continue
		}
		j := i
		for j < len(keep) && keep[j] {
			j++
		}
		runs = append(runs, [2]int64{int64(i), int64(j)})
		n += j - i
		i = j
	}
	switch {
	case n == 0:
		return nil, nil
	case n == len(keep):
		rec.Retain()
		return rec, nil
	case len(runs) == 1:
		return rec.NewSlice(runs[0][0], runs[0][1]), nil
	}
	cols := make([]arrow.Array, rec.NumCols())
	for c := range cols {
		parts := make([]arrow.Array, len(runs))
		for r, run := range runs {
			parts[r] = array.NewSlice(rec.Column(c), run[0], run[1])
		}
		cat, err := array.Concatenate(parts, memory.DefaultAllocator)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			for _, cc := range cols[:c] {
				cc.Release()
			}
			return nil, fmt.Errorf("selecting input rows: %w", err)
		}
		cols[c] = cat
	}
	out := array.NewRecordBatch(rec.Schema(), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// forEachKeyMatch calls visit with the key, its number of input rows and
// the address of every live row whose column on holds an input key. A BTREE
// on the column answers for the fragments it covers; the others are
// scanned, matching the column against the input keys in a hash set.
func (d *Dataset) forEachKeyMatch(ctx context.Context, on string, in *inputKeys, visit func(k any, n int, addr uint64) error) error {
	if len(in.values) == 0 {
		return nil
	}
	lk, err := d.btreeLookup(ctx, on, in.values)
	if err != nil {
		return err
	}
	var frags []uint64 // nil: every fragment
	if lk != nil {
		if len(lk.indexed) > 0 {
			rec, err := d.Take(ctx, lk.indexed, []string{on})
			if err != nil {
				return err
			}
			col := rec.Column(0)
			for i, a := range lk.indexed {
				if k, n := in.lookup(col, i); n > 0 {
					if err := visit(k, n, a); err != nil {
						rec.Release()
						return err
					}
				}
			}
			rec.Release()
		}
		if len(lk.unindexed) == 0 {
			return nil
		}
		frags = lk.unindexed
	}
	for rec, err := range d.Scan(ctx, ScanOptions{Columns: []string{on}, WithRowAddress: true, Fragments: frags}) {
		if err != nil {
			return err
		}
		keys := rec.Column(0)
		addrs := rec.Column(1).(*array.Uint64)
		for i := 0; i < keys.Len(); i++ {
			if k, n := in.lookup(keys, i); n > 0 {
				if err := visit(k, n, addrs.Value(i)); err != nil {
					rec.Release()
					return err
				}
			}
		}
		rec.Release()
	}
	return nil
}
