package v21

import (
	"context"
	"testing"

	"github.com/resona-go/resona/lance/internal/encoding/page"
)

// Pages are located by their cumulative row counts. Listing a column's page
// twice makes a two-page column whose rows repeat; reads across the page
// boundary must stitch both halves.
func TestMultiPageColumns(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ fixture, field string }{
		{"nested", "li_some"}, {"nested", "st"}, {"strings", "fsst_some"}, {"vectors", "vec_none"},
		{"vectors", "vec_some"}, {"prims", "i32_all"}, {"prims", "const_i64"}, {"more", "const_null_str"},
	} {
		t.Run(c.fixture+"/"+c.field, func(t *testing.T) {
			f := loadFixture(t, "testdata", c.fixture, fixtureSchemas[c.fixture]())
			idx := -1
			for i, fl := range f.schema {
				if fl.Name == c.field {
					idx = i
				}
			}
			field := f.schema[idx]
			var cols []page.Column
			for _, col := range f.columnsOf(idx) {
				col.Pages = append(append([]page.Page{}, col.Pages...), col.Pages...)
				cols = append(cols, col)
			}
			want := append(append([]any{}, f.want[field.Name]...), f.want[field.Name]...)
			n := f.rows
			a, err := DecodeRange(ctx, f.src, field, cols, uint64(n/2), uint64(n+n/2+1))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Release()
			checkArray(t, field.Name, a, want, seq(n/2, n+n/2+1))
			b, err := Take(ctx, f.src, field, cols, []uint64{0, uint64(n - 1), uint64(n), uint64(2*n - 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Release()
			checkArray(t, field.Name+"[take]", b, want, []int{0, n - 1, n, 2*n - 1})
		})
	}
}

// Taking one row reads only part of a page when the layout locates rows.
func TestSparseTakeReadsLess(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ fixture, field string }{
		{"strings", "fsst_none"}, {"strings", "s_some"}, {"more", "long_str"},
	} {
		f := loadFixture(t, "testdata", c.fixture, fixtureSchemas[c.fixture]())
		for i, fl := range f.schema {
			if fl.Name != c.field {
				continue
			}
			cols := f.columnsOf(i)
			var total uint64
			for _, r := range cols[0].Pages[0].Buffers {
				total += r.Size
			}
			row := uint64(f.rows - 2)
			a, err := Take(ctx, f.src, fl, cols, []uint64{row})
			if err != nil {
				t.Fatal(err)
			}
			checkArray(t, c.field, a, f.want[c.field], []int{int(row)})
			a.Release()
			if f.src.bytes >= total {
				t.Errorf("%s/%s: read %d bytes of a %d-byte page", c.fixture, c.field, f.src.bytes, total)
			}
		}
	}
}
