package format

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// DeletionBitmapThreshold is the deleted-row count above which Lance keeps
// deletions as a bitmap and writes a ".bin" file; at or below it, it writes
// an Arrow ".arrow" file. (Lance promotes its in-memory set to a bitmap once
// it holds more than this many offsets; readers accept either format.)
const DeletionBitmapThreshold = 5000

// DecodeDeletionFile parses deletion file bytes of the given kind into the
// set of deleted physical row offsets. path names the file in errors.
func DecodeDeletionFile(path string, kind DeletionKind, data []byte) (*roaring.Bitmap, error) {
	switch kind {
	case DeletionArrow:
		return decodeDeletionArrow(path, data)
	case DeletionBitmap:
		return decodeDeletionBitmap(path, data)
	}
	return nil, unsupportedf("%s: deletion file type %d", path, kind)
}

func decodeDeletionBitmap(path string, data []byte) (*roaring.Bitmap, error) {
	bm, err := decodeRoaring(data)
	if err != nil {
		return nil, corruptf(path, "%v", err)
	}
	return bm, nil
}

// decodeRoaring parses a portable 32-bit Roaring bitmap that must span all
// of data, validating its containers.
func decodeRoaring(data []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	n, err := bm.ReadFrom(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("roaring bitmap: %w", err)
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("roaring bitmap uses %d of %d bytes", n, len(data))
	}
	if err := bm.Validate(); err != nil {
		return nil, fmt.Errorf("roaring bitmap: %w", err)
	}
	return bm, nil
}

// ReadDeletions returns the deleted physical row offsets of a fragment (an
// empty bitmap when it has no deletion file). Offsets must be below the
// fragment's physical row count and their number must match the recorded
// count; otherwise the error wraps lanceerr.ErrCorrupt.
func ReadDeletions(ctx context.Context, store storage.Store, frag *Fragment) (*roaring.Bitmap, error) {
	if frag.Deletion == nil {
		return roaring.New(), nil
	}
	d := frag.Deletion
	data, err := store.ReadAll(ctx, d.Path)
	if err != nil {
		return nil, err
	}
	bm, err := DecodeDeletionFile(d.Path, d.Kind, data)
	if err != nil {
		return nil, err
	}
	if !bm.IsEmpty() && uint64(bm.Maximum()) >= frag.PhysicalRows {
		return nil, corruptf(d.Path, "deleted offset %d is beyond the fragment's %d rows", bm.Maximum(), frag.PhysicalRows)
	}
	if d.HasCount && bm.GetCardinality() != d.NumDeletedRows {
		return nil, corruptf(d.Path, "holds %d deleted rows, manifest records %d", bm.GetCardinality(), d.NumDeletedRows)
	}
	return bm, nil
}

// EncodeDeletionFile serialises deleted offsets the way Lance does: an
// Arrow IPC file with a ZSTD-compressed uint32 column "row_id" up to
// DeletionBitmapThreshold offsets, a portable Roaring bitmap above.
func EncodeDeletionFile(deleted *roaring.Bitmap) (DeletionKind, []byte, error) {
	if deleted.GetCardinality() > DeletionBitmapThreshold {
		// Rebuilt from the values so that no run containers are written:
		// older Rust roaring readers cannot decode them.
		plain := roaring.New()
		plain.AddMany(deleted.ToArray())
		var buf bytes.Buffer
		if _, err := plain.WriteTo(&buf); err != nil {
			return 0, nil, fmt.Errorf("format: encode deletion bitmap: %w", err)
		}
		return DeletionBitmap, buf.Bytes(), nil
	}
	b, err := encodeDeletionArrow(deleted.ToArray())
	return DeletionArrow, b, err
}

func encodeDeletionArrow(offsets []uint32) ([]byte, error) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "row_id", Type: arrow.PrimitiveTypes.Uint32}}, nil)
	bld := array.NewUint32Builder(memory.DefaultAllocator)
	defer bld.Release()
	bld.AppendValues(offsets, nil)
	col := bld.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(offsets)))
	defer rec.Release()
	var buf bytes.Buffer
	w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(schema), ipc.WithZstd())
	if err != nil {
		return nil, fmt.Errorf("format: encode deletion file: %w", err)
	}
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("format: encode deletion file: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("format: encode deletion file: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteDeletionFile writes the deleted offsets of a fragment under a fresh
// random id and returns the manifest entry to record. deleted must not be
// empty (a fragment without deletions has no deletion file).
func WriteDeletionFile(ctx context.Context, store storage.Store, fragmentID, readVersion uint64, deleted *roaring.Bitmap) (*pb.DeletionFile, error) {
	if deleted.IsEmpty() {
		return nil, fmt.Errorf("format: no deleted rows to write for fragment %d", fragmentID)
	}
	kind, data, err := EncodeDeletionFile(deleted)
	if err != nil {
		return nil, err
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("format: deletion file id: %w", err)
	}
	id := binary.LittleEndian.Uint64(rnd[:])
	if err := store.PutIfNotExists(ctx, DeletionFilePath(fragmentID, kind, readVersion, id), data); err != nil {
		return nil, err
	}
	return &pb.DeletionFile{
		FileType:       pb.DeletionFile_DeletionFileType(kind),
		ReadVersion:    readVersion,
		Id:             id,
		NumDeletedRows: deleted.GetCardinality(),
	}, nil
}
