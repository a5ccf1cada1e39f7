package format

import (
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/pb"
)

// Index is one index segment listed in a manifest. Segments sharing a
// name are deltas of one logical index and are searched together.
type Index struct {
	UUID string // canonical hyphenated form; names the directory
	Name string
	// Fields are the Lance field ids the index is built on.
	Fields []int32
	// Fragments is the set of fragment ids the segment covers; nil when
	// the manifest did not record it (very old writers).
	Fragments      *roaring.Bitmap
	DatasetVersion uint64
	// Type is the index kind derived from the details type URL: "vector",
	// "btree", "bitmap", "inverted", "label_list", "ngram", "zonemap",
	// "bloomfilter", "json", "frag_reuse", "mem_wal", "rtree", "" when the
	// manifest has no details (LanceDB 0.13), or "unknown: <url>".
	Type       string
	DetailsURL string
	// Version is index_version (the on-disk version of the index type).
	Version   int32
	CreatedAt time.Time // zero when not recorded
	Files     []IndexFile
	PB        *pb.IndexMetadata
}

// IndexFile is one file of an index segment, relative to its directory.
type IndexFile struct {
	Path      string
	SizeBytes uint64
}

// Dir returns the dataset-relative directory of the segment's files.
func (ix *Index) Dir() string { return IndicesDir + "/" + ix.UUID }

// indexTypeSuffixes maps the final component of a details type URL to an
// index type. Type URLs differ between Lance versions in their package
// ("/lance.table.X" vs "/lance.index.pb.X"), so only the message name is
// compared.
var indexTypeSuffixes = map[string]string{
	"VectorIndexDetails":        "vector",
	"BTreeIndexDetails":         "btree",
	"BitmapIndexDetails":        "bitmap",
	"InvertedIndexDetails":      "inverted",
	"LabelListIndexDetails":     "label_list",
	"NGramIndexDetails":         "ngram",
	"ZoneMapIndexDetails":       "zonemap",
	"BloomFilterIndexDetails":   "bloomfilter",
	"JsonIndexDetails":          "json",
	"FragmentReuseIndexDetails": "frag_reuse",
	"MemWalIndexDetails":        "mem_wal",
	"RTreeIndexDetails":         "rtree",
}

// IndexTypeFromURL maps a protobuf Any type URL to an index type name.
func IndexTypeFromURL(url string) string {
	if url == "" {
		return ""
	}
	name := url
	if i := strings.LastIndexAny(name, "/."); i >= 0 {
		name = name[i+1:]
	}
	if t, ok := indexTypeSuffixes[name]; ok {
		return t
	}
	return "unknown: " + url
}

// newIndex converts and validates an IndexMetadata entry.
func newIndex(path string, pi *pb.IndexMetadata, rootBases map[uint32]bool) (Index, error) {
	if pi == nil {
		return Index{}, corruptf(path, "empty index entry")
	}
	if pi.Uuid == nil || len(pi.Uuid.Uuid) != 16 {
		return Index{}, corruptf(path, "index %q: uuid is not 16 bytes", pi.Name)
	}
	id, err := uuid.FromBytes(pi.Uuid.Uuid)
	if err != nil {
		return Index{}, corruptf(path, "index %q: uuid: %v", pi.Name, err)
	}
	if pi.BaseId != nil && !rootBases[*pi.BaseId] {
		return Index{}, unsupportedf("%s: index %q lives under base path %d", path, pi.Name, *pi.BaseId)
	}
	ix := Index{
		UUID: id.String(), Name: pi.Name, Fields: pi.Fields, DatasetVersion: pi.DatasetVersion,
		Version: pi.GetIndexVersion(), PB: pi,
	}
	if pi.FragmentBitmap != nil {
		bm, err := decodeRoaring(pi.FragmentBitmap)
		if err != nil {
			return Index{}, corruptf(path, "index %q: fragment bitmap: %v", pi.Name, err)
		}
		ix.Fragments = bm
	}
	if pi.IndexDetails != nil {
		ix.DetailsURL = pi.IndexDetails.TypeUrl
		ix.Type = IndexTypeFromURL(pi.IndexDetails.TypeUrl)
	}
	if pi.CreatedAt != nil {
		ix.CreatedAt = time.UnixMilli(int64(*pi.CreatedAt)).UTC()
	}
	for _, f := range pi.Files {
		if f != nil {
			ix.Files = append(ix.Files, IndexFile{Path: f.Path, SizeBytes: f.SizeBytes})
		}
	}
	return ix, nil
}
