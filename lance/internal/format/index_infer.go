package format

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Files whose presence identifies the kind of an index written without
// index_details (Lance 0.19 and older, i.e. LanceDB 0.13).
const (
	vectorIndexFile        = "index.idx"
	bitmapLookupFile       = "bitmap_page_lookup.lance"
	invertedMetadataFile   = "metadata.lance"
	legacyInvertedListFile = "invert.lance"
)

// InferIndexType returns ix.Type when the manifest recorded details, and
// otherwise derives the type the way Lance does for such old indexes: a
// list column means a label-list index; a fixed-size-list column with an
// index.idx file a vector index; then the presence of bitmap or inverted
// index files; anything else is a btree.
func InferIndexType(ctx context.Context, store storage.Store, m *Manifest, ix *Index) (string, error) {
	if ix.Type != "" {
		return ix.Type, nil
	}
	if len(ix.Fields) == 0 {
		return "", corruptf(m.Path, "index %q names no field", ix.Name)
	}
	f, ok := m.Schema.FieldByID(ix.Fields[0])
	if !ok {
		return "", corruptf(m.Path, "index %q refers to unknown field id %d", ix.Name, ix.Fields[0])
	}
	exists := func(name string) (bool, error) {
		_, err := store.Stat(ctx, ix.Dir()+"/"+name)
		if err == nil {
			return true, nil
		}
		if errors.Is(err, lanceerr.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	switch f.Type.ID() {
	case arrow.LIST, arrow.LARGE_LIST:
		return "label_list", nil
	case arrow.FIXED_SIZE_LIST:
		if ok, err := exists(vectorIndexFile); err != nil || ok {
			return "vector", err
		}
	}
	for _, c := range []struct{ file, typ string }{
		{bitmapLookupFile, "bitmap"},
		{invertedMetadataFile, "inverted"},
		{legacyInvertedListFile, "inverted"},
	} {
		if ok, err := exists(c.file); err != nil || ok {
			return c.typ, err
		}
	}
	return "btree", nil
}
