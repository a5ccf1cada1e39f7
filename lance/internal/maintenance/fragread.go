package maintenance

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// fragmentReader streams the live rows of one fragment in physical order.
type fragmentReader struct {
	frag    *format.Fragment
	schema  *format.Schema
	deleted *roaring.Bitmap
	readers []*file.Reader // by index in frag.Files, nil when unused
	opened  []storage.File
	// per top-level field: data file index (-1: absent, read as nulls) and
	// first column.
	fileOf []int
	colOf  []int
	// bytesRead counts the sizes of the data files opened.
	bytesRead uint64
}

func openFragmentReader(ctx context.Context, store storage.Store, schema *format.Schema, frag *format.Fragment) (*fragmentReader, error) {
	fr := &fragmentReader{frag: frag, schema: schema, readers: make([]*file.Reader, len(frag.Files))}
	ok := false
	defer func() {
		if !ok {
			fr.close()
		}
	}()
	del, err := format.ReadDeletions(ctx, store, frag)
	if err != nil {
		return nil, fmt.Errorf("fragment %d: %w", frag.ID, err)
	}
	fr.deleted = del
	for _, f := range schema.Fields {
		fi, col := locateField(frag, f)
		fr.fileOf = append(fr.fileOf, fi)
		fr.colOf = append(fr.colOf, col)
		if fi < 0 || fr.readers[fi] != nil {
			continue
		}
		df := &frag.Files[fi]
		if df.FileVersion.IsLegacy() {
			return nil, fmt.Errorf("%w: %s: legacy (v1) data files cannot be compacted here", lanceerr.ErrUnsupported, df.Path)
		}
		sf, err := store.Open(ctx, df.Path)
		if err != nil {
			return nil, fmt.Errorf("fragment %d: %w", frag.ID, err)
		}
		fr.opened = append(fr.opened, sf)
		r, err := file.Open(ctx, sf, sf.Size(), df.Path)
		if err != nil {
			return nil, fmt.Errorf("fragment %d: %w", frag.ID, err)
		}
		if r.NumRows() != frag.PhysicalRows {
			return nil, fmt.Errorf("%w: fragment %d: data file %s holds %d rows, the manifest says %d",
				lanceerr.ErrCorrupt, frag.ID, df.Path, r.NumRows(), frag.PhysicalRows)
		}
		fr.readers[fi] = r
		fr.bytesRead += uint64(sf.Size())
	}
	ok = true
	return fr, nil
}

func (fr *fragmentReader) close() {
	for _, f := range fr.opened {
		f.Close()
	}
	fr.opened = nil
}

// locateField finds the data file and first column storing top-level field
// f; the newest file listing it wins, as in Lance. Fields without a
// column of their own start at their first descendant's column.
func locateField(frag *format.Fragment, f *format.Field) (fileIdx, column int) {
	for i := len(frag.Files) - 1; i >= 0; i-- {
		if col, ok := firstColumn(&frag.Files[i], f, 0); ok {
			return i, col
		}
	}
	return -1, 0
}

func firstColumn(df *format.DataFile, f *format.Field, depth int) (int, bool) {
	if col, ok := format.FieldColumn(df, f.ID); ok {
		return col, true
	}
	if depth > 64 {
		return 0, false
	}
	for _, c := range f.Children {
		if col, ok := firstColumn(df, c, depth+1); ok {
			return col, true
		}
	}
	return 0, false
}

// liveIn returns the live physical rows of [start, end), and whether all
// of them are live.
func (fr *fragmentReader) liveIn(start, end uint64) (rows []uint64, all bool) {
	if fr.deleted.IsEmpty() {
		return nil, true
	}
	n := fr.deleted.CardinalityInRange(start, end)
	if n == 0 {
		return nil, true
	}
	rows = make([]uint64, 0, end-start-n)
	for r := start; r < end; r++ {
		if !fr.deleted.Contains(uint32(r)) {
			rows = append(rows, r)
		}
	}
	return rows, false
}

// readBatch returns the live rows of physical rows [start, end) as a
// record of the table schema, nil when all of them are deleted.
func (fr *fragmentReader) readBatch(ctx context.Context, start, end uint64) (arrow.RecordBatch, error) {
	rows, all := fr.liveIn(start, end)
	n := int(end - start)
	if !all {
		if len(rows) == 0 {
			return nil, nil
		}
		n = len(rows)
	}
	cols := make([]arrow.Array, len(fr.schema.Fields))
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	for i, f := range fr.schema.Fields {
		af := f.Arrow()
		fi := fr.fileOf[i]
		var arr arrow.Array
		var err error
		switch {
		case fi < 0:
			arr = array.MakeArrayOfNull(memory.DefaultAllocator, af.Type, n)
		case all:
			arr, err = fr.readers[fi].ReadRange(ctx, af, fr.colOf[i], start, end)
		default:
			arr, err = fr.readers[fi].Take(ctx, af, fr.colOf[i], rows)
		}
		if err != nil {
			release()
			return nil, fmt.Errorf("fragment %d: column %q: %w", fr.frag.ID, af.Name, err)
		}
		cols[i] = arr
		if arr.Len() != n {
			release()
			return nil, fmt.Errorf("%w: fragment %d: column %q decoded %d rows, want %d", lanceerr.ErrCorrupt, fr.frag.ID, af.Name, arr.Len(), n)
		}
	}
	rec := array.NewRecordBatch(fr.schema.Arrow, cols, int64(n))
	release()
	return rec, nil
}
