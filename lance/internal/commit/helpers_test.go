package commit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

func bitmapOf(ids ...uint32) *roaring.Bitmap {
	bm := roaring.New()
	bm.AddMany(ids)
	return bm
}

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func testFields(t testing.TB) []*pb.Field {
	s, err := format.SchemaFromArrow(testSchema, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s.PBFields()
}

func testFieldsNoT() []*pb.Field {
	s, err := format.SchemaFromArrow(testSchema, 0)
	if err != nil {
		panic(err)
	}
	return s.PBFields()
}

// writeFragment writes a 2.0 data file with ids [start, start+n) under
// dir/data (temp file + rename, as Lance does) and returns an unassigned
// fragment (id 0) for it.
func writeFragment(t testing.TB, dir string, start, n int64) *pb.DataFragment {
	t.Helper()
	f, err := writeFragmentErr(dir, testFields(t), start, n)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func writeFragmentErr(dir string, fields []*pb.Field, start, n int64) (*pb.DataFragment, error) {
	ids := array.NewInt64Builder(memory.DefaultAllocator)
	texts := array.NewStringBuilder(memory.DefaultAllocator)
	for i := start; i < start+n; i++ {
		ids.Append(i)
		texts.Append(fmt.Sprintf("row %d", i))
	}
	idArr, textArr := ids.NewArray(), texts.NewArray()
	defer idArr.Release()
	defer textArr.Release()
	rec := array.NewRecordBatch(testSchema, []arrow.Array{idArr, textArr}, n)
	defer rec.Release()

	name := uuid.NewString() + ".lance"
	full := filepath.Join(dir, format.DataDir, name)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(full), ".tmp-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	w, err := filewriter.New(tmp, testSchema, fields, filewriter.Options{})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := w.Write(ctx, rec); err != nil {
		return nil, err
	}
	res, err := w.Finish(ctx)
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), full); err != nil {
		return nil, err
	}
	return &pb.DataFragment{
		PhysicalRows: res.Rows,
		Files: []*pb.DataFile{{
			Path: name, Fields: res.Fields, ColumnIndices: res.ColumnIndices,
			FileMajorVersion: filewriter.FileMajorVersion, FileMinorVersion: filewriter.FileMinorVersion,
			FileSizeBytes: res.Bytes,
		}},
	}, nil
}

// newTable creates a dataset with one fragment of n rows.
func newTable(t testing.TB, scheme format.NamingScheme, n int64) (string, storage.Store) {
	t.Helper()
	dir := t.TempDir()
	st := storage.NewLocal(dir)
	frag := writeFragment(t, dir, 0, n)
	_, err := Commit(context.Background(), st, &Transaction{Operation: Overwrite{
		Fragments: []*pb.DataFragment{frag}, Schema: testFields(t),
	}}, Options{NewTableScheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return dir, st
}

// verifyTable checks the invariants every committed version must keep:
// every version opens, fragment ids are unique, every referenced data and
// deletion file exists, and the row count matches want (version → rows;
// versions absent from want are not checked). It returns the latest.
func verifyTable(t testing.TB, st storage.Store, want map[uint64]uint64) *format.Manifest {
	t.Helper()
	ctx := context.Background()
	refs, _, err := format.ScanVersions(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var latest *format.Manifest
	for i, ref := range refs {
		if ref.Version != uint64(i+1) {
			t.Fatalf("versions are not contiguous: %v", refs)
		}
		m, err := format.ReadManifest(ctx, st, ref.Path)
		if err != nil {
			t.Fatalf("version %d: %v", ref.Version, err)
		}
		rows, ok := m.NumRows()
		if !ok {
			t.Fatalf("version %d: unknown row count", ref.Version)
		}
		if w, ok := want[ref.Version]; ok && w != rows {
			t.Errorf("version %d: %d rows, want %d", ref.Version, rows, w)
		}
		for _, fr := range m.Fragments {
			for _, df := range fr.Files {
				if _, err := st.Stat(ctx, df.Path); err != nil {
					t.Errorf("version %d: fragment %d names missing data file %s: %v", ref.Version, fr.ID, df.Path, err)
				}
			}
			if fr.Deletion != nil {
				if _, err := format.ReadDeletions(ctx, st, &fr); err != nil {
					t.Errorf("version %d: fragment %d deletion file: %v", ref.Version, fr.ID, err)
				}
			}
		}
		if m.PB.TransactionFile != "" || m.Transaction != nil {
			if _, err := ReadVersionTransaction(ctx, st, ref.Path); err != nil {
				t.Errorf("version %d: transaction: %v", ref.Version, err)
			}
		}
		latest = m
	}
	return latest
}

func isConflict(err error) bool { return errors.Is(err, lanceerr.ErrCommitConflict) }

func exampleDir() string {
	dir, err := os.MkdirTemp("", "commit-example-")
	if err != nil {
		panic(err)
	}
	return dir
}
