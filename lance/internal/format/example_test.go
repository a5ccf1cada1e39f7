package format_test

import (
	"context"
	"fmt"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Open the latest version of a table written by LanceDB 0.39 and inspect it.
func ExampleLoadManifest() {
	ctx := context.Background()
	store := storage.NewLocal("testdata/v39")
	m, err := format.LoadManifest(ctx, store, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, _ := m.NumRows()
	fmt.Println("version", m.Version, m.Scheme, "storage", m.DataStorageVersion, "rows", rows)
	for _, f := range m.Schema.Fields {
		fmt.Printf("field %d %s: %s\n", f.ID, f.Name, f.Type)
	}
	for _, ix := range m.Indexes {
		fmt.Println("index", ix.Name, ix.Type, "fragments", ix.Fragments.ToArray())
	}
	// Output:
	// version 13 V2 storage 2.2 rows 2785
	// field 0 id: utf8
	// field 1 n: int32
	// field 2 score: float64
	// field 3 tags: list<item: utf8, nullable>
	// field 5 meta: struct<a: int64 nullable, b: utf8 nullable>
	// field 8 vec: fixed_size_list<item: float32, nullable>[16]
	// index id_idx btree fragments [4 5]
	// index vec_idx vector fragments [4 5]
}
