package format

import (
	"fmt"
	"strconv"

	"github.com/resona-go/resona/lance/internal/pb"
)

// DeletionKind is the on-disk format of a deletion file.
type DeletionKind int

const (
	// DeletionArrow is an Arrow IPC file with one uint32 column (".arrow").
	DeletionArrow DeletionKind = 0
	// DeletionBitmap is a portable 32-bit Roaring bitmap (".bin").
	DeletionBitmap DeletionKind = 1
)

// Extension returns the file extension without the dot.
func (k DeletionKind) Extension() string {
	if k == DeletionBitmap {
		return "bin"
	}
	return "arrow"
}

// DeletionFile locates the deleted-rows file of a fragment.
type DeletionFile struct {
	Kind        DeletionKind
	ReadVersion uint64
	ID          uint64
	// NumDeletedRows is the recorded count; HasCount is false for old
	// manifests that did not record it (stored as 0).
	NumDeletedRows uint64
	HasCount       bool
	Path           string // dataset-relative
}

// DeletionFilePath returns "_deletions/{fragment}-{read_version}-{id}.{ext}".
func DeletionFilePath(fragmentID uint64, kind DeletionKind, readVersion, id uint64) string {
	return DeletionsDir + "/" + strconv.FormatUint(fragmentID, 10) + "-" +
		strconv.FormatUint(readVersion, 10) + "-" + strconv.FormatUint(id, 10) + "." + kind.Extension()
}

// DataFile is one data file of a fragment.
type DataFile struct {
	Path string // dataset-relative, "data/<name>"
	// Fields are the Lance field ids stored in the file; ColumnIndices maps
	// each to its column in the file (-1: no column of its own). Both come
	// from the manifest unchanged.
	Fields        []int32
	ColumnIndices []int32
	FileVersion   FileVersion
	SizeBytes     uint64 // 0 when unknown
	PB            *pb.DataFile
}

// FieldColumn returns the column index in df that stores field id, and
// false when the file does not store that field. For legacy (v1) files,
// which record no column indices, the position in Fields is returned.
func FieldColumn(df *DataFile, fieldID int32) (int, bool) {
	for i, id := range df.Fields {
		if id != fieldID {
			continue
		}
		if len(df.ColumnIndices) == 0 {
			return i, true
		}
		if i >= len(df.ColumnIndices) || df.ColumnIndices[i] < 0 {
			return 0, false
		}
		return int(df.ColumnIndices[i]), true
	}
	return 0, false
}

// Fragment is a set of rows stored in one or more data files.
type Fragment struct {
	ID           uint64
	Files        []DataFile
	Deletion     *DeletionFile // nil: no deleted rows
	PhysicalRows uint64        // rows in the files, deleted ones included
	// HasRowIDs is true when the fragment carries a stable row-id sequence.
	HasRowIDs bool
	PB        *pb.DataFragment
}

// LiveRows returns the number of rows not deleted, as recorded in the
// manifest. When the deletion count was not recorded it returns ok=false
// and the caller must read the deletion file.
func (f *Fragment) LiveRows() (n uint64, ok bool) {
	if f.Deletion == nil {
		return f.PhysicalRows, true
	}
	if !f.Deletion.HasCount {
		return 0, false
	}
	return f.PhysicalRows - f.Deletion.NumDeletedRows, true
}

// newFragment converts and validates a DataFragment. path names the
// manifest in errors.
// Files under a base path are accepted only when the base is trivially
// the dataset root (rootBases).
func newFragment(path string, pf *pb.DataFragment, rootBases map[uint32]bool) (Fragment, error) {
	if pf == nil {
		return Fragment{}, corruptf(path, "empty fragment entry")
	}
	fr := Fragment{ID: pf.Id, PhysicalRows: pf.PhysicalRows, PB: pf}
	fr.HasRowIDs = pf.GetInlineRowIds() != nil || pf.GetExternalRowIds() != nil
	if len(pf.Overlays) > 0 {
		return Fragment{}, unsupportedf("%s: fragment %d has data overlay files", path, pf.Id)
	}
	for i, df := range pf.Files {
		if df == nil {
			return Fragment{}, corruptf(path, "fragment %d: empty data file entry %d", pf.Id, i)
		}
		if df.BaseId != nil && !rootBases[*df.BaseId] {
			return Fragment{}, unsupportedf("%s: fragment %d: data file %q lives under base path %d", path, pf.Id, df.Path, *df.BaseId)
		}
		if df.Path == "" {
			return Fragment{}, corruptf(path, "fragment %d: data file %d has no path", pf.Id, i)
		}
		if len(df.ColumnIndices) != 0 && len(df.ColumnIndices) != len(df.Fields) {
			return Fragment{}, corruptf(path, "fragment %d: data file %q has %d fields but %d column indices",
				pf.Id, df.Path, len(df.Fields), len(df.ColumnIndices))
		}
		fr.Files = append(fr.Files, DataFile{
			Path:          DataDir + "/" + df.Path,
			Fields:        df.Fields,
			ColumnIndices: df.ColumnIndices,
			FileVersion:   FileVersion{Major: df.FileMajorVersion, Minor: df.FileMinorVersion},
			SizeBytes:     df.FileSizeBytes,
			PB:            df,
		})
	}
	if d := pf.DeletionFile; d != nil {
		if d.BaseId != nil && !rootBases[*d.BaseId] {
			return Fragment{}, unsupportedf("%s: fragment %d: deletion file lives under base path %d", path, pf.Id, *d.BaseId)
		}
		kind := DeletionKind(d.FileType)
		if kind != DeletionArrow && kind != DeletionBitmap {
			return Fragment{}, unsupportedf("%s: fragment %d: deletion file type %d", path, pf.Id, d.FileType)
		}
		if d.NumDeletedRows > pf.PhysicalRows {
			return Fragment{}, corruptf(path, "fragment %d: %d deleted rows of %d", pf.Id, d.NumDeletedRows, pf.PhysicalRows)
		}
		fr.Deletion = &DeletionFile{
			Kind: kind, ReadVersion: d.ReadVersion, ID: d.Id,
			NumDeletedRows: d.NumDeletedRows, HasCount: d.NumDeletedRows > 0,
			Path: DeletionFilePath(pf.Id, kind, d.ReadVersion, d.Id),
		}
	}
	return fr, nil
}

// FileVersion is a data file format version as recorded in DataFile.
type FileVersion struct {
	Major, Minor uint32
}

// IsLegacy reports a legacy (v1, "0.1"/"0.2") file: major 0 with minor
// below 3. Lance records 2.0 files as 2/0 (their footer says 0.3).
func (v FileVersion) IsLegacy() bool { return v.Major == 0 && v.Minor < 3 }

// StorageVersion returns the data storage version string the file
// belongs to: "0.1" for legacy files, "2.0" for 0.3 and 2.0, else
// "major.minor".
func (v FileVersion) StorageVersion() string {
	switch {
	case v.IsLegacy():
		return "0.1"
	case v.Major == 0 && v.Minor == 3:
		return "2.0"
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// String returns "major.minor".
func (v FileVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }
