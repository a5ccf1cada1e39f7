package btree

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Build indexes the top-level column of every live row of manifest m and
// writes a new segment under _indices/<new uuid>/. It returns the manifest
// entry for a commit.CreateIndex transaction: named name (column+"_idx" when
// empty), covering every fragment of m, built on m.Version. Deleted rows are
// left out. Tables with stable row ids are refused (their indexes hold row
// ids, not addresses).
func Build(ctx context.Context, store storage.Store, m *format.Manifest, column, name string, opts Options) (*pb.IndexMetadata, error) {
	if m.StableRowIDs() {
		return nil, fmt.Errorf("%w: btree index on a table with stable row ids", lanceerr.ErrUnsupported)
	}
	field, ok := m.Schema.FieldByName(column)
	if !ok {
		return nil, fmt.Errorf("%w: column %q", lanceerr.ErrNotFound, column)
	}
	if name == "" {
		name = column + "_idx"
	}
	e, err := newEntries(field.Type)
	if err != nil {
		return nil, err
	}
	defer e.release()
	frags := roaring.New()
	for i := range m.Fragments {
		frag := &m.Fragments[i]
		if frag.ID > 1<<32-1 {
			return nil, fmt.Errorf("%w: fragment id %d", lanceerr.ErrCorrupt, frag.ID)
		}
		if err := addFragment(ctx, store, frag, field, e); err != nil {
			return nil, err
		}
		frags.Add(uint32(frag.ID))
	}
	id := uuid.New()
	files, err := writeSegment(ctx, store, SegmentDir(id), e, opts.Files.resolve(m.DataStorageVersion), opts)
	if err != nil {
		return nil, err
	}
	return newMetadata(id, name, field.ID, m.Version, frags, files, opts.now())
}

// addFragment adds the live rows of one fragment.
func addFragment(ctx context.Context, store storage.Store, frag *format.Fragment, field *format.Field, e *entries) error {
	deleted, err := format.ReadDeletions(ctx, store, frag)
	if err != nil {
		return err
	}
	values, err := readColumn(ctx, store, frag, field)
	if err != nil {
		return err
	}
	defer values.Release()
	if uint64(values.Len()) != frag.PhysicalRows {
		return fmt.Errorf("%w: fragment %d: column %q has %d rows, the manifest says %d", lanceerr.ErrCorrupt, frag.ID, field.Name, values.Len(), frag.PhysicalRows)
	}
	base := frag.ID << 32
	return e.add(values,
		func(i int) uint64 { return base | uint64(i) },
		func(i int) bool { return !deleted.Contains(uint32(i)) })
}

// readColumn reads a whole column of a fragment; a fragment whose files do
// not store the field (added later) reads as nulls, as Lance fills them.
func readColumn(ctx context.Context, store storage.Store, frag *format.Fragment, field *format.Field) (arrow.Array, error) {
	for i := range frag.Files {
		df := &frag.Files[i]
		col, ok := format.FieldColumn(df, field.ID)
		if !ok {
			continue
		}
		if df.FileVersion.IsLegacy() {
			return nil, fmt.Errorf("%w: %s: legacy (v1) data file", lanceerr.ErrUnsupported, df.Path)
		}
		f, err := store.Open(ctx, df.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		rd, err := file.Open(ctx, f, f.Size(), df.Path)
		if err != nil {
			return nil, err
		}
		return rd.ReadRange(ctx, field.Arrow(), col, 0, rd.NumRows())
	}
	if frag.PhysicalRows > 1<<31 {
		return nil, fmt.Errorf("%w: fragment %d of %d rows", lanceerr.ErrUnsupported, frag.ID, frag.PhysicalRows)
	}
	return array.MakeArrayOfNull(memory.DefaultAllocator, field.Type, int(frag.PhysicalRows)), nil
}

// Remap writes a copy of segment seg whose row addresses went through
// mapping (compaction): an address mapped with keep=false is dropped. The
// copy lives under a new uuid; the returned entry keeps seg's name, fields,
// dataset version and fragment bitmap, which the Rewrite commit replaces
// (commit.RewrittenIndex with OldID seg.UUID, NewID the new uuid and Files
// the returned files). With FilesAuto the copy keeps the segment's file format.
func Remap(ctx context.Context, store storage.Store, seg *format.Index, mapping func(addr uint64) (newAddr uint64, keep bool), opts Options) (*pb.IndexMetadata, error) {
	ix, err := Open(ctx, store, seg)
	if err != nil {
		return nil, err
	}
	defer ix.Close()
	e, err := newEntries(ix.valueType)
	if err != nil {
		return nil, err
	}
	defer e.release()
	n := ix.NumRows()
	for start := uint64(0); start < n; start += ix.batchSize {
		end := min(start+ix.batchSize, n)
		vals, err := ix.data.readRange(ctx, 0, start, end)
		if err != nil {
			return nil, err
		}
		idArr, err := ix.data.readRange(ctx, 1, start, end)
		if err != nil {
			vals.Release()
			return nil, err
		}
		if vals.Len() != idArr.Len() || uint64(vals.Len()) != end-start {
			vals.Release()
			idArr.Release()
			return nil, fmt.Errorf("%w: btree %s: rows [%d, %d) decoded to %d values and %d ids", lanceerr.ErrCorrupt, ix.path, start, end, vals.Len(), idArr.Len())
		}
		ids := idArr.(*array.Uint64).Values()
		mapped := make([]uint64, len(ids))
		keep := make([]bool, len(ids))
		for i, a := range ids {
			mapped[i], keep[i] = mapping(a)
		}
		err = e.add(vals, func(i int) uint64 { return mapped[i] }, func(i int) bool { return keep[i] })
		vals.Release()
		idArr.Release()
		if err != nil {
			return nil, err
		}
	}
	id := uuid.New()
	ff := opts.Files
	if ff == FilesAuto {
		ff = FilesV2
		if _, legacy := ix.data.(*legacyTable); legacy {
			ff = FilesLegacy
		}
	}
	files, err := writeSegment(ctx, store, SegmentDir(id), e, ff, opts)
	if err != nil {
		return nil, err
	}
	frags := seg.Fragments
	if frags == nil {
		frags = roaring.New()
	}
	fieldID := int32(-1)
	if len(seg.Fields) > 0 {
		fieldID = seg.Fields[0]
	}
	md, err := newMetadata(id, seg.Name, fieldID, seg.DatasetVersion, frags, files, opts.now())
	if err != nil {
		return nil, err
	}
	md.Fields = append([]int32(nil), seg.Fields...)
	return md, nil
}
