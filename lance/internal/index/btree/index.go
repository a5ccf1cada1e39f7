package btree

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// File names, column names and constants of Lance's BTREE index.
const (
	LookupFileName = "page_lookup.lance"
	PagesFileName  = "page_data.lance"
	// DetailsTypeURL is the type URL of the manifest entry's index_details
	// (an empty BTreeIndexDetails message).
	DetailsTypeURL = "/lance.table.BTreeIndexDetails"
	// IndexVersion is the index_version Lance records for BTREE segments.
	IndexVersion = 0
	// DefaultBatchSize is the number of rows per page Lance uses.
	DefaultBatchSize = 4096

	batchSizeKey        = "batch_size"
	rangePartitionedKey = "range_partitioned"
)

// pageEntry is one row of page_lookup.lance.
type pageEntry struct {
	min, max         key
	minNull, maxNull bool
	nullCount        uint32
	page             uint32
}

// Index is an opened BTREE segment. It is safe for concurrent use.
type Index struct {
	path      string // the segment directory, for errors
	valueType arrow.DataType
	kind      kind
	batchSize uint64
	pages     []pageEntry
	data      table
	dataFile  storage.File
	fragments *roaring.Bitmap
}

// Open opens the BTREE segment seg of a manifest. Segments written by
// LanceDB 0.13 record no type; the caller decides with format.InferIndexType
// that they are BTREEs, so Open accepts Type "btree" and "".
func Open(ctx context.Context, store storage.Store, seg *format.Index) (*Index, error) {
	if seg.Type != "btree" && seg.Type != "" {
		return nil, fmt.Errorf("%w: index %q is a %s index, not a btree", lanceerr.ErrInvalidArgument, seg.Name, seg.Type)
	}
	ix, err := OpenDir(ctx, store, seg.Dir())
	if err != nil {
		return nil, err
	}
	ix.fragments = seg.Fragments
	return ix, nil
}

// OpenDir opens the BTREE files in the dataset-relative directory dir. The
// result covers every fragment (Covers is always true) since the fragment
// bitmap lives in the manifest.
func OpenDir(ctx context.Context, store storage.Store, dir string) (*Index, error) {
	lookup, lf, err := openTable(ctx, store, dir+"/"+LookupFileName)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	data, df, err := openTable(ctx, store, dir+"/"+PagesFileName)
	if err != nil {
		return nil, err
	}
	ix, err := newIndex(ctx, dir, lookup, data)
	if err != nil {
		df.Close()
		return nil, err
	}
	ix.dataFile = df
	return ix, nil
}

func newIndex(ctx context.Context, dir string, lookup, data table) (*Index, error) {
	corrupt := func(format string, a ...any) error {
		return fmt.Errorf("%w: btree %s: %s", lanceerr.ErrCorrupt, dir, fmt.Sprintf(format, a...))
	}
	lfs, dfs := lookup.fields(), data.fields()
	if len(lfs) < 4 || len(dfs) < 2 {
		return nil, corrupt("page_lookup has %d columns and page_data %d, want 4 and 2", len(lfs), len(dfs))
	}
	valueType := dfs[0].Type
	if !arrow.TypeEqual(lfs[0].Type, valueType) || !arrow.TypeEqual(lfs[1].Type, valueType) {
		return nil, corrupt("page_lookup min/max are %s/%s but values are %s", lfs[0].Type, lfs[1].Type, valueType)
	}
	if lfs[2].Type.ID() != arrow.UINT32 || lfs[3].Type.ID() != arrow.UINT32 || dfs[1].Type.ID() != arrow.UINT64 {
		return nil, corrupt("unexpected column types %s, %s, %s", lfs[2].Type, lfs[3].Type, dfs[1].Type)
	}
	k, err := kindOf(valueType)
	if err != nil {
		return nil, err
	}
	ix := &Index{path: dir, valueType: valueType, kind: k, batchSize: DefaultBatchSize, data: data}
	if s, ok := lookup.metadata()[batchSizeKey]; ok {
		// Lance falls back to the default on an unparsable value.
		if n, err := strconv.ParseUint(s, 10, 64); err == nil && n > 0 {
			ix.batchSize = n
		}
	}
	n := lookup.numRows()
	if n > uint64(1)<<31 {
		return nil, corrupt("page_lookup claims %d pages", n)
	}
	if n == 0 {
		return ix, nil
	}
	var cols [4]arrow.Array
	for i := range cols {
		a, err := lookup.readRange(ctx, i, 0, n)
		if err != nil {
			return nil, err
		}
		defer a.Release()
		if uint64(a.Len()) != n {
			return nil, corrupt("page_lookup column %d has %d rows, want %d", i, a.Len(), n)
		}
		cols[i] = a
	}
	mins, err := newColumn(cols[0])
	if err != nil {
		return nil, err
	}
	maxs, err := newColumn(cols[1])
	if err != nil {
		return nil, err
	}
	nulls := cols[2].(*array.Uint32)
	pageNo := cols[3].(*array.Uint32)
	ix.pages = make([]pageEntry, n)
	for i := range ix.pages {
		p := pageEntry{minNull: mins.isNull(i), maxNull: maxs.isNull(i), nullCount: nulls.Value(i), page: pageNo.Value(i)}
		if !p.minNull {
			p.min = mins.at(i)
		}
		if !p.maxNull {
			p.max = maxs.at(i)
		}
		if _, _, err := ix.pageRows(p.page); err != nil {
			return nil, err
		}
		ix.pages[i] = p
	}
	return ix, nil
}

// Close releases the open page data file.
func (ix *Index) Close() error {
	if ix.dataFile == nil {
		return nil
	}
	return ix.dataFile.Close()
}

// ValueType is the Arrow type of the indexed column.
func (ix *Index) ValueType() arrow.DataType { return ix.valueType }

// NumRows is the number of (value, row address) entries, nulls included.
func (ix *Index) NumRows() uint64 { return ix.data.numRows() }

// NumPages is the number of pages in the lookup table.
func (ix *Index) NumPages() int { return len(ix.pages) }

// BatchSize is the number of rows per page.
func (ix *Index) BatchSize() uint64 { return ix.batchSize }

// Fragments is the segment's fragment bitmap, nil when unknown (OpenDir, or a
// manifest that recorded none). It must not be modified.
func (ix *Index) Fragments() *roaring.Bitmap { return ix.fragments }

// Covers reports whether the segment indexed fragment id. Rows of fragments
// it does not cover must be found by scanning them.
func (ix *Index) Covers(fragmentID uint32) bool {
	return ix.fragments == nil || ix.fragments.Contains(fragmentID)
}

// pageRows maps a page number to its row range in page_data.
func (ix *Index) pageRows(page uint32) (start, end uint64, err error) {
	if s, e, batched, err := ix.data.batchRange(page); batched || err != nil {
		return s, e, err
	}
	n := ix.data.numRows()
	start = uint64(page) * ix.batchSize
	if start >= n {
		return 0, 0, fmt.Errorf("%w: btree %s: page %d starts beyond the %d rows of page_data", lanceerr.ErrCorrupt, ix.path, page, n)
	}
	end = min(start+ix.batchSize, n)
	return start, end, nil
}

// readPage decodes one page of page_data.
func (ix *Index) readPage(ctx context.Context, page uint32) (column, []uint64, func(), error) {
	start, end, err := ix.pageRows(page)
	if err != nil {
		return column{}, nil, nil, err
	}
	vals, err := ix.data.readRange(ctx, 0, start, end)
	if err != nil {
		return column{}, nil, nil, err
	}
	ids, err := ix.data.readRange(ctx, 1, start, end)
	if err != nil {
		vals.Release()
		return column{}, nil, nil, err
	}
	release := func() { vals.Release(); ids.Release() }
	if uint64(vals.Len()) != end-start || ids.Len() != vals.Len() {
		release()
		return column{}, nil, nil, fmt.Errorf("%w: btree %s: page %d decoded to %d values and %d ids, want %d", lanceerr.ErrCorrupt, ix.path, page, vals.Len(), ids.Len(), end-start)
	}
	c, err := newColumn(vals)
	if err != nil {
		release()
		return column{}, nil, nil, err
	}
	return c, ids.(*array.Uint64).Values(), release, nil
}

// Bound is one end of a range query.
type Bound struct {
	Value     any
	Inclusive bool
}

// Equal returns the row addresses whose value equals v, ascending. v is a
// string or []byte for string and binary columns, a Go number for numeric
// ones. See the package documentation for what the caller must add and drop.
func (ix *Index) Equal(ctx context.Context, v any) ([]uint64, error) {
	return ix.In(ctx, []any{v})
}

// In returns the row addresses whose value is one of vs, ascending.
func (ix *Index) In(ctx context.Context, vs []any) ([]uint64, error) {
	want := make(map[key]struct{}, len(vs))
	var keys []key
	for _, v := range vs {
		k, err := queryKey(ix.kind, v)
		if errors.Is(err, errNoMatch) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, dup := want[k]; !dup {
			want[k] = struct{}{}
			keys = append(keys, k)
		}
	}
	var pages []uint32
	for _, p := range ix.pages {
		if p.maxNull {
			continue
		}
		for _, k := range keys {
			if (p.minNull || compareKeys(ix.kind, p.min, k) <= 0) && compareKeys(ix.kind, k, p.max) <= 0 {
				pages = append(pages, p.page)
				break
			}
		}
	}
	return ix.scanPages(ctx, pages, func(c column, i int) bool {
		if c.isNull(i) {
			return false
		}
		_, ok := want[c.at(i)]
		return ok
	})
}

// Range returns the row addresses whose value lies between lo and hi,
// ascending; a nil bound is unbounded. Nulls never match.
func (ix *Index) Range(ctx context.Context, lo, hi *Bound) ([]uint64, error) {
	var lk, hk key
	if lo != nil {
		k, err := ix.boundKey(lo)
		if err != nil {
			return nil, err
		}
		lk = k
	}
	if hi != nil {
		k, err := ix.boundKey(hi)
		if err != nil {
			return nil, err
		}
		hk = k
	}
	above := func(k key) bool {
		if lo == nil {
			return true
		}
		c := compareKeys(ix.kind, k, lk)
		return c > 0 || c == 0 && lo.Inclusive
	}
	below := func(k key) bool {
		if hi == nil {
			return true
		}
		c := compareKeys(ix.kind, k, hk)
		return c < 0 || c == 0 && hi.Inclusive
	}
	var pages []uint32
	for _, p := range ix.pages {
		if p.maxNull || !above(p.max) {
			continue
		}
		if !p.minNull && !below(p.min) {
			continue
		}
		pages = append(pages, p.page)
	}
	return ix.scanPages(ctx, pages, func(c column, i int) bool {
		if c.isNull(i) {
			return false
		}
		k := c.at(i)
		return above(k) && below(k)
	})
}

func (ix *Index) boundKey(b *Bound) (key, error) {
	k, err := queryKey(ix.kind, b.Value)
	if errors.Is(err, errNoMatch) {
		return key{}, fmt.Errorf("%w: range bound %v cannot be compared with a %s column", lanceerr.ErrInvalidArgument, b.Value, ix.valueType)
	}
	return k, err
}

// IsNull returns the row addresses whose value is null, ascending.
func (ix *Index) IsNull(ctx context.Context) ([]uint64, error) {
	var pages []uint32
	for _, p := range ix.pages {
		if p.nullCount > 0 {
			pages = append(pages, p.page)
		}
	}
	return ix.scanPages(ctx, pages, func(c column, i int) bool { return c.isNull(i) })
}

// scanPages reads each page once and collects the ids of matching rows.
func (ix *Index) scanPages(ctx context.Context, pages []uint32, match func(column, int) bool) ([]uint64, error) {
	slices.Sort(pages)
	pages = slices.Compact(pages)
	var out []uint64
	for _, p := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, ids, release, err := ix.readPage(ctx, p)
		if err != nil {
			return nil, err
		}
		for i := range ids {
			if match(c, i) {
				out = append(out, ids[i])
			}
		}
		release()
	}
	slices.Sort(out)
	return out, nil
}
