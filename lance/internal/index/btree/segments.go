package btree

import (
	"context"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Segments returns the BTREE segments of manifest m built on the field with
// Lance id fieldID, in manifest order. Segments without a recorded type
// (LanceDB 0.13) are included when format.InferIndexType says btree.
func Segments(ctx context.Context, store storage.Store, m *format.Manifest, fieldID int32) ([]*format.Index, error) {
	var out []*format.Index
	for i := range m.Indexes {
		seg := &m.Indexes[i]
		if len(seg.Fields) != 1 || seg.Fields[0] != fieldID {
			continue
		}
		typ := seg.Type
		if typ == "" {
			t, err := format.InferIndexType(ctx, store, m, seg)
			if err != nil {
				return nil, err
			}
			typ = t
		}
		if typ == "btree" {
			out = append(out, seg)
		}
	}
	return out, nil
}
