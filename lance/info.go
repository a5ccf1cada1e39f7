package lance

import (
	"time"

	"github.com/resona-go/resona/lance/internal/format"
)

// VersionInfo describes one committed version of a table.
type VersionInfo struct {
	Version uint64
	// Timestamp is the commit time recorded in the manifest, or the
	// manifest file's modification time when none was recorded.
	Timestamp time.Time
}

// FragmentInfo describes one fragment of the open version.
type FragmentInfo struct {
	ID uint64
	// PhysicalRows counts the rows stored in the fragment's data files,
	// deleted rows included; row offsets range over [0, PhysicalRows).
	PhysicalRows uint64
	// DeletedRows is the number of deleted rows recorded in the manifest.
	DeletedRows uint64
	Files       []DataFileInfo
	// Deletion is nil when the fragment has no deleted rows.
	Deletion *DeletionFileInfo
}

// LiveRows returns PhysicalRows − DeletedRows.
func (f FragmentInfo) LiveRows() uint64 { return f.PhysicalRows - f.DeletedRows }

// DataFileInfo describes one data file of a fragment. A fragment whose
// columns were added later (schema evolution) has several data files, each
// holding some of the fields.
type DataFileInfo struct {
	// Path is relative to the table directory ("data/<name>.lance").
	Path string
	// FieldIDs are the Lance field ids stored in the file.
	FieldIDs []int32
	// FormatVersion is the data file format version: "2.0", "2.1", "2.2",
	// or "0.1" for legacy files.
	FormatVersion string
	// SizeBytes is the file size recorded in the manifest, 0 if unknown.
	SizeBytes uint64
}

// DeletionFileInfo describes a fragment's deletion file.
type DeletionFileInfo struct {
	// Path is relative to the table directory ("_deletions/...").
	Path string
	// Kind is "arrow" (an Arrow IPC file of offsets) or "bitmap" (a
	// Roaring bitmap), as Lance names the file extensions.
	Kind           string
	ReadVersion    uint64
	ID             uint64
	NumDeletedRows uint64
}

// IndexInfo describes one index segment of the open version. Segments that
// share a name are parts (deltas) of one logical index.
type IndexInfo struct {
	Name string
	UUID string
	// Type is the index kind recorded in the manifest: "vector", "btree",
	// "bitmap", "inverted", "label_list", ... It is "" when the manifest does
	// not record it (LanceDB 0.13 did not), and "unknown: <type url>" for
	// index kinds this engine does not know.
	Type string
	// Columns are the indexed columns' names; FieldIDs their Lance ids.
	Columns  []string
	FieldIDs []int32
	// Fragments are the ids of the fragments the segment covers; nil when
	// the manifest does not record them.
	Fragments []uint64
	// DatasetVersion is the table version the index was built on.
	DatasetVersion uint64
	// IndexVersion is the on-disk version of the index type.
	IndexVersion int32
	// CreatedAt is zero when not recorded.
	CreatedAt time.Time
}

func fragmentInfo(f *format.Fragment) FragmentInfo {
	fi := FragmentInfo{ID: f.ID, PhysicalRows: f.PhysicalRows}
	for _, df := range f.Files {
		fi.Files = append(fi.Files, DataFileInfo{
			Path:          df.Path,
			FieldIDs:      append([]int32(nil), df.Fields...),
			FormatVersion: df.FileVersion.StorageVersion(),
			SizeBytes:     df.SizeBytes,
		})
	}
	if d := f.Deletion; d != nil {
		fi.DeletedRows = d.NumDeletedRows
		fi.Deletion = &DeletionFileInfo{
			Path: d.Path, Kind: deletionKindName(d.Kind), ReadVersion: d.ReadVersion,
			ID: d.ID, NumDeletedRows: d.NumDeletedRows,
		}
	}
	return fi
}

func deletionKindName(k format.DeletionKind) string {
	if k == format.DeletionBitmap {
		return "bitmap"
	}
	return "arrow"
}

func indexInfo(ix *format.Index, schema *format.Schema) IndexInfo {
	ii := IndexInfo{
		Name: ix.Name, UUID: ix.UUID, Type: ix.Type,
		FieldIDs:       append([]int32(nil), ix.Fields...),
		DatasetVersion: ix.DatasetVersion, IndexVersion: ix.Version, CreatedAt: ix.CreatedAt,
	}
	for _, id := range ix.Fields {
		name := ""
		if f, ok := schema.FieldByID(id); ok {
			name = fieldPath(schema, f)
		}
		ii.Columns = append(ii.Columns, name)
	}
	if ix.Fragments != nil {
		ii.Fragments = make([]uint64, 0, ix.Fragments.GetCardinality())
		it := ix.Fragments.Iterator()
		for it.HasNext() {
			ii.Fragments = append(ii.Fragments, uint64(it.Next()))
		}
	}
	return ii
}

// fieldPath returns the dotted path of a (possibly nested) field.
func fieldPath(schema *format.Schema, f *format.Field) string {
	name := f.Name
	for depth := 0; f.ParentID >= 0 && depth < 64; depth++ {
		p, ok := schema.FieldByID(f.ParentID)
		if !ok {
			break
		}
		name = p.Name + "." + name
		f = p
	}
	return name
}
