package btree

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// table is one of the two index files, read column by column: a v2 file
// through package file, or a legacy v1 file (legacy.go).
type table interface {
	// fields are the top-level fields of the file.
	fields() []arrow.Field
	metadata() map[string]string
	numRows() uint64
	// readRange decodes rows [start, end) of top-level field i.
	readRange(ctx context.Context, i int, start, end uint64) (arrow.Array, error)
	// batchRange returns the rows of record batch b when the file has
	// record batches (legacy files), batched=false otherwise. A batch the
	// file does not have is ErrCorrupt.
	batchRange(b uint32) (start, end uint64, batched bool, err error)
}

// openTable opens an index file, choosing the reader by the footer version.
func openTable(ctx context.Context, store storage.Store, path string) (table, storage.File, error) {
	f, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	legacy, err := isLegacy(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	var t table
	if legacy {
		t, err = openLegacy(f, f.Size(), path)
	} else {
		t, err = openV2(ctx, f, path)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return t, f, nil
}

// isLegacy reads the footer's version: major 0 with minor below 3 is v1.
func isLegacy(f storage.File, path string) (bool, error) {
	if f.Size() < 16 {
		return false, fmt.Errorf("%w: %s: file of %d bytes is too short for a footer", lanceerr.ErrCorrupt, path, f.Size())
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], f.Size()-8); err != nil {
		return false, fmt.Errorf("%s: read footer: %w", path, err)
	}
	if string(tail[4:]) != "LANC" {
		return false, fmt.Errorf("%w: %s: no LANC magic", lanceerr.ErrCorrupt, path)
	}
	major := uint16(tail[0]) | uint16(tail[1])<<8
	minor := uint16(tail[2]) | uint16(tail[3])<<8
	return major == 0 && minor < 3, nil
}

type v2Table struct {
	rd   *file.Reader
	flds []arrow.Field
	cols []int // first column of each top-level field
	meta map[string]string
}

func openV2(ctx context.Context, f storage.File, path string) (*v2Table, error) {
	rd, err := file.Open(ctx, f, f.Size(), path)
	if err != nil {
		return nil, err
	}
	s := rd.Schema()
	sch, err := format.NewSchema(path, s.GetFields(), s.GetMetadata())
	if err != nil {
		return nil, err
	}
	major, minor := rd.Version()
	t := &v2Table{rd: rd, meta: sch.Metadata}
	col := 0
	for _, af := range sch.Arrow.Fields() {
		t.flds = append(t.flds, af)
		t.cols = append(t.cols, col)
		col += file.ColumnsUsed(af, major, minor)
	}
	return t, nil
}

func (t *v2Table) fields() []arrow.Field                           { return t.flds }
func (t *v2Table) metadata() map[string]string                     { return t.meta }
func (t *v2Table) numRows() uint64                                 { return t.rd.NumRows() }
func (t *v2Table) batchRange(uint32) (uint64, uint64, bool, error) { return 0, 0, false, nil }

func (t *v2Table) readRange(ctx context.Context, i int, start, end uint64) (arrow.Array, error) {
	return t.rd.ReadRange(ctx, t.flds[i], t.cols[i], start, end)
}
