package v21

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

func TestDecodeErrors(t *testing.T) {
	ctx := context.Background()
	f := loadFixture(t, "testdata", "nested", nestedSchema())
	st := f.schema[3]
	cols := f.columnsOf(3)
	check := func(name string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", name, err, want)
		}
	}
	_, err := DecodeRange(ctx, f.src, st, cols, 0, uint64(f.rows)+1)
	check("beyond rows", err, lanceerr.ErrInvalidArgument)
	_, err = DecodeRange(ctx, f.src, st, cols[:1], 0, 1)
	check("missing column", err, lanceerr.ErrInvalidArgument)
	_, err = Take(ctx, f.src, st, cols, []uint64{3, 1})
	check("unsorted take", err, lanceerr.ErrInvalidArgument)
	m := arrow.Field{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32)}
	_, err = DecodeRange(ctx, f.src, m, cols, 0, 1)
	check("map", err, lanceerr.ErrUnsupported)

	old := []page.Column{{Pages: []page.Page{{NumRows: 1, Encoding: &anypb.Any{TypeUrl: "/lance.encodings.ArrayEncoding"}}}}}
	_, err = DecodeRange(ctx, f.src, f.schema[0].Type.(*arrow.ListType).ElemField(), old, 0, 1)
	check("2.0 page", err, lanceerr.ErrUnsupported)

	bad := []page.Column{{Pages: []page.Page{{NumRows: 1, Encoding: &anypb.Any{TypeUrl: PageLayoutTypeURL, Value: []byte{0xff}}}}}}
	_, err = DecodeRange(ctx, f.src, arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32}, bad, 0, 1)
	check("bad layout", err, lanceerr.ErrCorrupt)

	// A leaf column decoded as a list: the page's layers do not match.
	_, err = DecodeRange(ctx, f.src, f.schema[0], f.columnsOf(4), 0, 1)
	check("layers mismatch", err, lanceerr.ErrCorrupt)

	a, err := DecodeRange(ctx, f.src, st, cols, 5, 5)
	if err != nil || a.Len() != 0 || !arrow.TypeEqual(a.DataType(), st.Type) {
		t.Errorf("empty range: %v %v", a, err)
	}
}

func TestLeafColumns(t *testing.T) {
	for _, c := range []struct {
		f    arrow.Field
		want int
	}{
		{nestedSchema()[3], 2},
		{nestedSchema()[6], 1},
		{moreSchema(false)[15], 2},
		{moreSchema(false)[16], 2},
		{vectorsSchema()[0], 1},
	} {
		if got := LeafColumns(c.f); got != c.want {
			t.Errorf("%s: %d want %d", c.f.Name, got, c.want)
		}
	}
}
