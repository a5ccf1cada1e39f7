package lance

import (
	"context"
	"fmt"
	"runtime"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/resona-go/resona/lance/internal/format"
)

// fieldLoc says where a fragment stores one top-level field.
type fieldLoc struct {
	field  *format.Field
	arrow  arrow.Field
	file   int // index in the fragment's files, -1: the fragment lacks the field
	column int // first physical column of the field in that file
}

// fragReader reads the rows of one fragment, column by column.
type fragReader struct {
	frag    *format.Fragment
	deleted *roaring.Bitmap
	files   []*dataFile // by index in frag.Files; nil for files not needed
	locs    []fieldLoc
	done    []func()
}

// openFragment prepares to read fields of frag: it locates each field in
// the fragment's data files, opens the files holding them and reads the
// deletion file. Call close when done.
func (d *Dataset) openFragment(ctx context.Context, frag *format.Fragment, fields []*format.Field) (*fragReader, error) {
	fr := &fragReader{frag: frag, files: make([]*dataFile, len(frag.Files)), locs: make([]fieldLoc, len(fields))}
	ok := false
	defer func() {
		if !ok {
			fr.close()
		}
	}()
	del, err := format.ReadDeletions(ctx, d.store, frag)
	if err != nil {
		return nil, fmt.Errorf("fragment %d: %w", frag.ID, err)
	}
	fr.deleted = del
	for i, f := range fields {
		loc := fieldLoc{field: f, arrow: f.Arrow(), file: -1}
		loc.file, loc.column = locateField(frag, f)
		fr.locs[i] = loc
		if loc.file < 0 || fr.files[loc.file] != nil {
			continue
		}
		df := &frag.Files[loc.file]
		opened, release, err := d.files.get(ctx, df)
		if err != nil {
			return nil, fmt.Errorf("fragment %d: %w", frag.ID, err)
		}
		fr.done = append(fr.done, release)
		if n := opened.r.NumRows(); n != frag.PhysicalRows {
			return nil, fmt.Errorf("%w: fragment %d: data file %s holds %d rows, the manifest says %d",
				ErrCorrupt, frag.ID, df.Path, n, frag.PhysicalRows)
		}
		fr.files[loc.file] = opened
	}
	ok = true
	return fr, nil
}

func (fr *fragReader) close() {
	for _, f := range fr.done {
		f()
	}
	fr.done = nil
}

// locateField finds the data file and first column of field f in frag.
// When several files list the field, the last one (the newest) wins. A
// field with no column of its own (a struct in format 2.1+) starts at its
// first descendant's column.
func locateField(frag *format.Fragment, f *format.Field) (file, column int) {
	for i := len(frag.Files) - 1; i >= 0; i-- {
		if col, ok := firstColumnOf(&frag.Files[i], f, 0); ok {
			return i, col
		}
	}
	return -1, 0
}

func firstColumnOf(df *format.DataFile, f *format.Field, depth int) (int, bool) {
	if col, ok := format.FieldColumn(df, f.ID); ok {
		return col, true
	}
	if depth > 64 {
		return 0, false
	}
	for _, c := range f.Children {
		if col, ok := firstColumnOf(df, c, depth+1); ok {
			return col, true
		}
	}
	return 0, false
}

// readRange decodes physical rows [start, end) of every located field,
// decoding columns concurrently.
func (fr *fragReader) readRange(ctx context.Context, start, end uint64) ([]arrow.Array, error) {
	return fr.read(ctx, int(end-start), func(ctx context.Context, l *fieldLoc, df *dataFile) (arrow.Array, error) {
		return df.r.ReadRange(ctx, l.arrow, l.column, start, end)
	})
}

// take decodes the given physical rows (ascending) of every located field.
func (fr *fragReader) take(ctx context.Context, rows []uint64) ([]arrow.Array, error) {
	return fr.read(ctx, len(rows), func(ctx context.Context, l *fieldLoc, df *dataFile) (arrow.Array, error) {
		return df.r.Take(ctx, l.arrow, l.column, rows)
	})
}

func (fr *fragReader) read(ctx context.Context, n int, decode func(context.Context, *fieldLoc, *dataFile) (arrow.Array, error)) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(fr.locs))
	one := func(ctx context.Context, i int) error {
		l := &fr.locs[i]
		if l.file < 0 {
			// Added to the schema after this fragment was written.
			out[i] = array.MakeArrayOfNull(memory.DefaultAllocator, l.arrow.Type, n)
			return nil
		}
		arr, err := decode(ctx, l, fr.files[l.file])
		if err != nil {
			return fmt.Errorf("fragment %d: column %q: %w", fr.frag.ID, l.arrow.Name, err)
		}
		if arr.Len() != n {
			arr.Release()
			return fmt.Errorf("%w: fragment %d: column %q decoded %d rows, want %d", ErrCorrupt, fr.frag.ID, l.arrow.Name, arr.Len(), n)
		}
		out[i] = arr
		return nil
	}
	var err error
	if len(fr.locs) == 1 {
		err = one(ctx, 0)
	} else {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i := range fr.locs {
			g.Go(func() error { return one(gctx, i) })
		}
		err = g.Wait()
	}
	if err != nil {
		releaseAll(out)
		return nil, err
	}
	return out, nil
}

// deletedIn returns, for physical rows [start, end), which are deleted, or
// nil when none is.
func (fr *fragReader) deletedIn(start, end uint64) []bool {
	if fr.deleted.IsEmpty() {
		return nil
	}
	it := fr.deleted.Iterator()
	it.AdvanceIfNeeded(uint32(start))
	var mask []bool
	for it.HasNext() {
		r := uint64(it.Next())
		if r >= end {
			break
		}
		if mask == nil {
			mask = make([]bool, end-start)
		}
		mask[r-start] = true
	}
	return mask
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}
