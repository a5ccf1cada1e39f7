package btree

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

func TestRemap(t *testing.T) {
	for _, files := range []FileFormat{FilesV2, FilesLegacy} {
		t.Run(fmt.Sprint(files), func(t *testing.T) {
			ctx := context.Background()
			store := storage.NewLocal(t.TempDir())
			rows := newTestTable(t, store, 400, 300)
			m, err := format.LoadManifest(ctx, store, 0)
			if err != nil {
				t.Fatal(err)
			}
			md, err := Build(ctx, store, m, "id", "id_idx", Options{BatchSize: 50, Files: files})
			if err != nil {
				t.Fatal(err)
			}
			oldID, _ := uuid.FromBytes(md.Uuid.Uuid)
			seg := &format.Index{UUID: oldID.String(), Name: md.Name, Fields: md.Fields, Type: "btree", DatasetVersion: md.DatasetVersion}
			// Compaction of both fragments into fragment 5: rows keep their
			// order, every 4th surviving row of fragment 0 is dropped.
			mapping := func(a uint64) (uint64, bool) {
				frag, off := a>>32, a&0xffffffff
				if frag == 0 {
					return 5<<32 | off, off%4 != 1
				}
				return 5<<32 | (1000 + off), true
			}
			nm, err := Remap(ctx, store, seg, mapping, Options{})
			if err != nil {
				t.Fatal(err)
			}
			newID, _ := uuid.FromBytes(nm.Uuid.Uuid)
			if newID == oldID || nm.Name != "id_idx" || len(nm.Files) != 2 || nm.Fields[0] != 0 {
				t.Fatalf("remapped entry %v", nm)
			}
			ix, err := OpenDir(ctx, store, SegmentDir(newID))
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if _, legacy := ix.data.(*legacyTable); legacy != (files == FilesLegacy) {
				t.Errorf("remap changed the file format (legacy now %v)", legacy)
			}
			var moved []testRow
			for _, r := range rows {
				if na, keep := mapping(r.addr); keep {
					moved = append(moved, testRow{addr: na, id: r.id, k: r.k})
				}
			}
			if ix.NumRows() != uint64(len(moved)) {
				t.Errorf("%d rows after remap, want %d", ix.NumRows(), len(moved))
			}
			checkLookups(t, ix, moved)
		})
	}
}
