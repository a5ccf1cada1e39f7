package btree

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

func TestExploreManifest(t *testing.T) {
	p := os.Getenv("EXPLORE_DS")
	if p == "" {
		t.Skip()
	}
	ctx := context.Background()
	st := storage.NewLocal(p)
	m, err := format.LoadManifest(ctx, st, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Indexes {
		ix, err := Open(ctx, st, &m.Indexes[i])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(ix.NumRows(), ix.NumPages(), ix.BatchSize(), ix.ValueType())
		for _, v := range []string{"doc-5", "doc-0", "doc-299", "doc-100", "nope"} {
			r, err := ix.Equal(ctx, v)
			fmt.Println(v, r, err)
		}
		r, err := ix.IsNull(ctx)
		fmt.Println("null", len(r), err)
		r, err = ix.Range(ctx, &Bound{Value: "doc-10", Inclusive: true}, &Bound{Value: "doc-11"})
		fmt.Println("range", r, err)
	}
}
