package btree

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/format"
)

func TestExplore(t *testing.T) {
	p := os.Getenv("EXPLORE")
	if p == "" {
		t.Skip()
	}
	ctx := context.Background()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	rd, err := file.Open(ctx, f, st.Size(), p)
	if err != nil {
		t.Fatal(err)
	}
	maj, min := rd.Version()
	fmt.Println("version", maj, min, "rows", rd.NumRows(), "cols", rd.NumColumns())
	s := rd.Schema()
	for k, v := range s.Metadata {
		fmt.Printf("meta %s=%q\n", k, v)
	}
	for _, fl := range s.Fields {
		fmt.Printf("field %v\n", fl)
	}
	sch, err := format.NewSchema(p, s.Fields, s.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	for i, af := range sch.Arrow.Fields() {
		arr, err := rd.ReadRange(ctx, af, i, 0, rd.NumRows())
		if err != nil {
			t.Fatal(err)
		}
		n := arr.Len()
		if n > 12 {
			n = 12
		}
		fmt.Println(af.Name, af.Type, arr.NullN(), arr.Len())
		for j := 0; j < n; j++ {
			fmt.Print(arr.ValueStr(j), " ")
		}
		fmt.Println()
	}
	_ = arrow.PrimitiveTypes.Uint64
}
