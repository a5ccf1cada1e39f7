package btree

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// testRow is one row the test table holds; the expected lookups are
// computed from these, independently of the files.
type testRow struct {
	addr uint64
	id   *string
	k    int64
}

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// idOf is the id of row i of the generator: a permutation of doc-N with
// every 11th row null and every 13th a duplicate of a small id.
func idOf(i int) *string {
	switch {
	case i%11 == 5:
		return nil
	case i%13 == 7:
		s := fmt.Sprintf("doc-%d", i%5)
		return &s
	}
	s := fmt.Sprintf("doc-%d", (i*7919)%100003)
	return &s
}

// newTestTable writes a table of fragments with the given row counts and
// deletes every 9th row of fragment 1; it returns the live rows.
func newTestTable(t testing.TB, store storage.Store, sizes ...int) []testRow {
	t.Helper()
	ctx := context.Background()
	ls, err := format.SchemaFromArrow(testSchema, 0)
	if err != nil {
		t.Fatal(err)
	}
	fields := ls.PBFields()
	var frags []*pb.DataFragment
	var rows []testRow
	next := 0
	for f, n := range sizes {
		ids := array.NewStringBuilder(memory.DefaultAllocator)
		ks := array.NewInt64Builder(memory.DefaultAllocator)
		for i := 0; i < n; i++ {
			id := idOf(next)
			if id == nil {
				ids.AppendNull()
			} else {
				ids.Append(*id)
			}
			k := int64(next%50) - 25
			ks.Append(k)
			rows = append(rows, testRow{addr: uint64(f)<<32 | uint64(i), id: id, k: k})
			next++
		}
		idArr, kArr := ids.NewArray(), ks.NewArray()
		rec := array.NewRecordBatch(testSchema, []arrow.Array{idArr, kArr}, int64(n))
		var buf bytes.Buffer
		w, err := filewriter.New(&buf, testSchema, fields, filewriter.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, rec); err != nil {
			t.Fatal(err)
		}
		res, err := w.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rec.Release()
		idArr.Release()
		kArr.Release()
		name := uuid.NewString() + ".lance"
		if err := store.Put(ctx, format.DataDir+"/"+name, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		frags = append(frags, &pb.DataFragment{
			Id:           uint64(f),
			PhysicalRows: res.Rows,
			Files: []*pb.DataFile{{
				Path: name, Fields: res.Fields, ColumnIndices: res.ColumnIndices,
				FileMajorVersion: filewriter.FileMajorVersion, FileMinorVersion: filewriter.FileMinorVersion,
				FileSizeBytes: res.Bytes,
			}},
		})
	}
	r, err := commit.Commit(ctx, store, &commit.Transaction{Operation: commit.Overwrite{
		Fragments: frags, Schema: fields,
	}}, commit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) < 2 {
		return rows
	}
	// Delete every 9th row of fragment 1.
	m := r.Manifest
	del := roaring.New()
	for i := 0; i < sizes[1]; i += 9 {
		del.Add(uint32(i))
	}
	df, err := format.WriteDeletionFile(ctx, store, 1, m.Version, del)
	if err != nil {
		t.Fatal(err)
	}
	frag := m.Fragments[1].PB
	upd := &pb.DataFragment{Id: frag.Id, Files: frag.Files, PhysicalRows: frag.PhysicalRows, DeletionFile: df}
	if _, err := commit.Commit(ctx, store, &commit.Transaction{
		ReadVersion: m.Version,
		Operation:   commit.Delete{UpdatedFragments: []*pb.DataFragment{upd}, Predicate: "x"},
	}, commit.Options{}); err != nil {
		t.Fatal(err)
	}
	live := rows[:0:0]
	for _, r := range rows {
		if r.addr>>32 == 1 && del.Contains(uint32(r.addr)) {
			continue
		}
		live = append(live, r)
	}
	return live
}

// bruteIDs returns the addresses of rows whose id satisfies match.
func bruteIDs(rows []testRow, match func(id *string) bool) []uint64 {
	var out []uint64
	for _, r := range rows {
		if match(r.id) {
			out = append(out, r.addr)
		}
	}
	slices.Sort(out)
	return out
}

func sameAddrs(a, b []uint64) bool {
	return len(a) == 0 && len(b) == 0 || slices.Equal(a, b)
}
