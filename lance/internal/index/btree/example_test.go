package btree_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/btree"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Looking up ids through the BTREE LanceDB 0.39 built on a table's id
// column. Rows of fragments the segment does not cover, and deleted rows,
// are the caller's business.
func Example() {
	ctx := context.Background()
	store := storage.NewLocal(filepath.Join("testdata", "lancedb-0.39", "embeddings.lance"))
	m, err := format.LoadManifest(ctx, store, 0)
	if err != nil {
		panic(err)
	}
	id, _ := m.Schema.FieldByName("id")
	segs, err := btree.Segments(ctx, store, m, id.ID)
	if err != nil {
		panic(err)
	}
	ix, err := btree.Open(ctx, store, segs[0])
	if err != nil {
		panic(err)
	}
	defer ix.Close()
	addrs, err := ix.In(ctx, []any{"doc-5", "doc-0", "missing"})
	if err != nil {
		panic(err)
	}
	for _, a := range addrs {
		fmt.Printf("fragment %d row %d\n", a>>32, a&0xffffffff)
	}
	fmt.Println(segs[0].Name, ix.NumRows(), "rows in", ix.NumPages(), "pages")
	// Output:
	// fragment 0 row 0
	// fragment 0 row 3395
	// fragment 0 row 5000
	// id_idx 5001 rows in 2 pages
}
