package maintenance_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Tables of format 2.1 and 2.2 are compacted into files of their own
// format: many small fragments with deletions (one fragment deleted
// entirely) become a few fragments holding exactly the live rows.
func TestCompactStructuralFormats(t *testing.T) {
	for _, v := range []filewriter.Version{filewriter.Version2_1, filewriter.Version2_2} {
		t.Run(v.String(), func(t *testing.T) {
			ctx := context.Background()
			tb := newTableVersion(t, format.SchemeV2, v, 10)
			for s := int64(10); s < 400; s += 10 {
				tb.appendRows(s, 10)
			}
			keep := func(id int64) bool { return id%7 != 0 && (id < 120 || id >= 130) }
			tb.deleteWhere(func(id int64) bool { return !keep(id) })
			before := tb.latest()
			if before.DataStorageVersion != v.String() || len(before.Fragments) != 39 {
				t.Fatalf("fixture: version %s, %d fragments", before.DataStorageVersion, len(before.Fragments))
			}
			live := idsWhere(400, keep)

			met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 150, BatchRows: 13})
			if err != nil {
				t.Fatal(err)
			}
			after := tb.latest()
			if met.Version != before.Version+1 || after.Version != met.Version {
				t.Fatalf("committed %d, latest %d", met.Version, after.Version)
			}
			if after.DataStorageVersion != v.String() {
				t.Errorf("data storage version %s after compaction, want %s", after.DataStorageVersion, v)
			}
			var rows []uint64
			var total uint64
			wantMajor, wantMinor := v.FileVersion()
			for _, f := range after.Fragments {
				rows = append(rows, f.PhysicalRows)
				total += f.PhysicalRows
				if f.Deletion != nil || len(f.Files) != 1 {
					t.Fatalf("fragment %d: deletion %v, %d files", f.ID, f.Deletion, len(f.Files))
				}
				df := f.Files[0]
				if df.FileVersion != (format.FileVersion{Major: wantMajor, Minor: wantMinor}) {
					t.Errorf("fragment %d: file version %s, want %s", f.ID, df.FileVersion, v)
				}
				// Structural files list the leaves only, numbered from 0, as
				// LanceDB records them.
				if !slices.Equal(df.Fields, []int32{0, 1, 2}) || !slices.Equal(df.ColumnIndices, []int32{0, 1, 2}) {
					t.Errorf("fragment %d: fields %v columns %v", f.ID, df.Fields, df.ColumnIndices)
				}
				checkFooter(t, tb.st, df.Path, int(wantMajor), int(wantMinor))
			}
			if total != uint64(len(live)) || len(rows) < 2 {
				t.Errorf("fragment rows %v, want %d live rows in several fragments", rows, len(live))
			}
			if met.RowsRewritten != uint64(len(live)) || met.DeletionsMaterialized != 400-10-uint64(len(live)) {
				t.Errorf("metrics %+v", met)
			}
			checkRows(t, tb.dir, 0, live)
			checkRows(t, tb.dir, before.Version, live)
		})
	}
}

// checkFooter opens a data file and checks the version its footer states.
func checkFooter(t *testing.T, st storage.Store, path string, major, minor int) {
	t.Helper()
	ctx := context.Background()
	f, err := st.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := file.Open(ctx, f, f.Size(), path)
	if err != nil {
		t.Fatal(err)
	}
	if gm, gn := r.Version(); gm != major || gn != minor {
		t.Errorf("%s: footer version %d.%d, want %d.%d", path, gm, gn, major, minor)
	}
}

func TestCompactRefusesUnknownStorageVersion(t *testing.T) {
	for _, sv := range []string{"0.1", "2.3", ""} {
		if _, err := maintenance.WriterVersion(sv); !errors.Is(err, lanceerr.ErrUnsupported) || !strings.Contains(err.Error(), "format "+sv+";") {
			t.Errorf("storage version %q: %v", sv, err)
		}
	}
	for _, sv := range []string{"2.0", "2.1", "2.2"} {
		if v, err := maintenance.WriterVersion(sv); err != nil || v.String() != sv {
			t.Errorf("storage version %s: writer %v, %v", sv, v, err)
		}
	}
}

// A 2.2 table whose schema the writer cannot store in 2.2 (a list of
// structs) is refused before anything is read or written. Its fragments
// store only "id"; "tags" has no data yet, as after adding a column.
func TestCompactRefusesUnwritableSchema(t *testing.T) {
	ctx := context.Background()
	full := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.StructOf(arrow.Field{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
	}, nil)
	ls, err := format.SchemaFromArrow(full, 0)
	if err != nil {
		t.Fatal(err)
	}
	fields := ls.PBFields()
	idOnly := arrow.NewSchema(full.Fields()[:1], nil)
	dir := filepath.Join(t.TempDir(), "t.lance")
	st := storage.NewLocal(dir)
	var frags []*pb.DataFragment
	for s := int64(0); s < 50; s += 10 {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		for i := s; i < s+10; i++ {
			b.Append(i)
		}
		rec := array.NewRecordBatch(idOnly, []arrow.Array{b.NewArray()}, 10)
		f := writeFile(t, st, idOnly, fields[:1], filewriter.Version2_2, rec)
		rec.Release()
		f.Id = uint64(s / 10)
		frags = append(frags, f)
	}
	if _, err := commit.Commit(ctx, st, &commit.Transaction{Operation: commit.Overwrite{Fragments: frags, Schema: fields}}, commit.Options{}); err != nil {
		t.Fatal(err)
	}
	files := listFiles(t, dir)
	met, err := maintenance.Compact(ctx, st, maintenance.CompactOptions{})
	if !errors.Is(err, lanceerr.ErrUnsupported) || !strings.Contains(err.Error(), "struct<k") || !strings.Contains(err.Error(), "2.2") {
		t.Fatalf("compacting a list of structs in 2.2: %+v, %v", met, err)
	}
	t.Logf("refusal: %v", err)
	if got := listFiles(t, dir); !slices.Equal(got, files) {
		t.Errorf("a refused compaction changed files:\n%v\n→ %v", files, got)
	}
}

// Values the writer refuses only when it meets them (here a null item in
// a vector, which 2.2 files cannot store) abort the compaction after
// other bins were written: nothing is committed and every file written is
// removed. The fixture's files are 2.0 files recorded as 2.2 (the reader
// goes by their footer), the only way to hold such values in a table the
// compaction writes as 2.2.
func TestCompactWriterRefusalLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "t.lance")
	st := storage.NewLocal(dir)
	var frags []*pb.DataFragment
	for s := int64(0); s < 70; s += 10 {
		rec := testRecord(s, 10, s == 60)
		f := writeFile(t, st, testSchema, testFields(t), filewriter.Version2_0, rec)
		rec.Release()
		f.Id = uint64(s / 10)
		f.Files[0].FileMajorVersion, f.Files[0].FileMinorVersion = filewriter.Version2_2.FileVersion()
		frags = append(frags, f)
	}
	if _, err := commit.Commit(ctx, st, &commit.Transaction{Operation: commit.Overwrite{Fragments: frags, Schema: testFields(t)}}, commit.Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := format.LoadManifest(ctx, st, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.DataStorageVersion != "2.2" {
		t.Fatalf("fixture stores %s", m.DataStorageVersion)
	}
	files := listFiles(t, dir)
	// Bins of 20 rows: the first ones are written before the last meets
	// the null item.
	met, err := maintenance.Compact(ctx, st, maintenance.CompactOptions{TargetRowsPerFragment: 20})
	if !errors.Is(err, lanceerr.ErrUnsupported) || !strings.Contains(err.Error(), "null items") {
		t.Fatalf("compaction: %+v, %v", met, err)
	}
	t.Logf("refusal: %v", err)
	latest, lerr := format.LatestVersion(ctx, st)
	if lerr != nil || latest.Version != m.Version {
		t.Errorf("latest version %+v (%v), want %d", latest, lerr, m.Version)
	}
	if got := listFiles(t, dir); !slices.Equal(got, files) {
		t.Errorf("a failed compaction left files:\n%v\n→ %v", files, got)
	}
}

// testRecord builds rows [start, start+n) of testSchema; with nullItem the
// last row's vector has a null item.
func testRecord(start, n int64, nullItem bool) arrow.RecordBatch {
	ids := array.NewInt64Builder(memory.DefaultAllocator)
	texts := array.NewStringBuilder(memory.DefaultAllocator)
	vecs := array.NewFixedSizeListBuilder(memory.DefaultAllocator, testDim, arrow.PrimitiveTypes.Float32)
	vals := vecs.ValueBuilder().(*array.Float32Builder)
	for i := start; i < start+n; i++ {
		r := rowFor(i)
		ids.Append(r.ID)
		texts.Append(r.Text)
		vecs.Append(true)
		valid := []bool{true, true, true, true}
		if nullItem && i == start+n-1 {
			valid[1] = false
		}
		vals.AppendValues(r.Vector[:], valid)
	}
	return array.NewRecordBatch(testSchema, []arrow.Array{ids.NewArray(), texts.NewArray(), vecs.NewArray()}, n)
}

// writeFile writes rec into a new data file of format v and returns an
// unassigned fragment for it.
func writeFile(t *testing.T, st storage.Store, schema *arrow.Schema, fields []*pb.Field, v filewriter.Version, rec arrow.RecordBatch) *pb.DataFragment {
	t.Helper()
	ctx := context.Background()
	name := uuid.NewString() + ".lance"
	ow, err := st.(storage.StreamCreator).Create(ctx, format.DataDir+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := filewriter.New(ow, schema, fields, filewriter.Options{Version: v})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, rec); err != nil {
		t.Fatal(fmt.Errorf("write %s: %w", name, err))
	}
	res, err := w.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ow.Commit(); err != nil {
		t.Fatal(err)
	}
	major, minor := v.FileVersion()
	return &pb.DataFragment{PhysicalRows: res.Rows, Files: []*pb.DataFile{{
		Path: name, Fields: res.Fields, ColumnIndices: res.ColumnIndices,
		FileMajorVersion: major, FileMinorVersion: minor, FileSizeBytes: res.Bytes,
	}}}
}
