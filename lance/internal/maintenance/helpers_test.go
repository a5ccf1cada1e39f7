package maintenance_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

const testDim = 4

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "vector", Type: arrow.FixedSizeListOf(testDim, arrow.PrimitiveTypes.Float32), Nullable: true},
}, nil)

func testFields(t testing.TB) []*pb.Field {
	s, err := format.SchemaFromArrow(testSchema, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s.PBFields()
}

// row is the expected content of one row, derived from its id.
type row struct {
	ID     int64
	Text   string
	Vector [testDim]float32
}

func rowFor(id int64) row {
	r := row{ID: id, Text: fmt.Sprintf("text of row %d", id)}
	for k := range r.Vector {
		r.Vector[k] = float32(id)*0.5 + float32(k)
	}
	return r
}

// writeFragment writes rows [start, start+n) into a new 2.0 data file and
// returns an unassigned fragment for it.
func writeFragment(t testing.TB, st storage.Store, start, n int64) *pb.DataFragment {
	t.Helper()
	return writeFragmentVersion(t, st, filewriter.Version2_0, start, n)
}

// writeFragmentVersion is writeFragment for files of format v.
func writeFragmentVersion(t testing.TB, st storage.Store, v filewriter.Version, start, n int64) *pb.DataFragment {
	t.Helper()
	ids := array.NewInt64Builder(memory.DefaultAllocator)
	texts := array.NewStringBuilder(memory.DefaultAllocator)
	vecs := array.NewFixedSizeListBuilder(memory.DefaultAllocator, testDim, arrow.PrimitiveTypes.Float32)
	vals := vecs.ValueBuilder().(*array.Float32Builder)
	for i := start; i < start+n; i++ {
		r := rowFor(i)
		ids.Append(r.ID)
		texts.Append(r.Text)
		vecs.Append(true)
		vals.AppendValues(r.Vector[:], nil)
	}
	cols := []arrow.Array{ids.NewArray(), texts.NewArray(), vecs.NewArray()}
	rec := array.NewRecordBatch(testSchema, cols, n)
	defer rec.Release()
	name := uuid.NewString() + ".lance"
	ow, err := st.(storage.StreamCreator).Create(context.Background(), format.DataDir+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := filewriter.New(ow, testSchema, testFields(t), filewriter.Options{Version: v})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := w.Write(ctx, rec); err != nil {
		t.Fatal(err)
	}
	res, err := w.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ow.Commit(); err != nil {
		t.Fatal(err)
	}
	major, minor := v.FileVersion()
	return &pb.DataFragment{
		PhysicalRows: res.Rows,
		Files: []*pb.DataFile{{
			Path: name, Fields: res.Fields, ColumnIndices: res.ColumnIndices,
			FileMajorVersion: major, FileMinorVersion: minor,
			FileSizeBytes: res.Bytes,
		}},
	}
}

// table is a test dataset.
type table struct {
	t   testing.TB
	dir string
	st  storage.Store
	// version is the format of the data files the table gets.
	version filewriter.Version
}

// newTable creates a dataset whose first version holds rows [0, n).
func newTable(t testing.TB, scheme format.NamingScheme, n int64) *table {
	t.Helper()
	return newTableVersion(t, scheme, filewriter.Version2_0, n)
}

// newTableVersion is newTable with data files of format v, which becomes
// the table's data storage version.
func newTableVersion(t testing.TB, scheme format.NamingScheme, v filewriter.Version, n int64) *table {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "t.lance")
	tb := &table{t: t, dir: dir, st: storage.NewLocal(dir), version: v}
	frag := writeFragmentVersion(t, tb.st, v, 0, n)
	_, err := commit.Commit(context.Background(), tb.st, &commit.Transaction{Operation: commit.Overwrite{
		Fragments: []*pb.DataFragment{frag}, Schema: testFields(t),
	}}, commit.Options{NewTableScheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *table) latest() *format.Manifest {
	tb.t.Helper()
	m, err := format.LoadManifest(context.Background(), tb.st, 0)
	if err != nil {
		tb.t.Fatal(err)
	}
	return m
}

// appendRows commits one fragment with rows [start, start+n).
func (tb *table) appendRows(start, n int64) {
	tb.t.Helper()
	m := tb.latest()
	frag := writeFragmentVersion(tb.t, tb.st, tb.version, start, n)
	_, err := commit.Commit(context.Background(), tb.st, &commit.Transaction{ReadVersion: m.Version,
		Operation: commit.Append{Fragments: []*pb.DataFragment{frag}}}, commit.Options{})
	if err != nil {
		tb.t.Fatal(err)
	}
}

// deleteWhere deletes the rows whose id satisfies pred, merging with
// existing deletion files, and commits a Delete.
func (tb *table) deleteWhere(pred func(id int64) bool) {
	tb.t.Helper()
	ctx := context.Background()
	m := tb.latest()
	ds, err := lance.Open(ctx, tb.dir)
	if err != nil {
		tb.t.Fatal(err)
	}
	defer ds.Close()
	perFrag := map[uint64]*roaring.Bitmap{}
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"id"}, WithRowAddress: true}) {
		if err != nil {
			tb.t.Fatal(err)
		}
		ids := rec.Column(0).(*array.Int64)
		addrs := rec.Column(1).(*array.Uint64)
		for i := 0; i < int(rec.NumRows()); i++ {
			if pred(ids.Value(i)) {
				a := addrs.Value(i)
				if perFrag[a>>32] == nil {
					perFrag[a>>32] = roaring.New()
				}
				perFrag[a>>32].Add(uint32(a))
			}
		}
	}
	var op commit.Delete
	for i := range m.Fragments {
		fr := &m.Fragments[i]
		add := perFrag[fr.ID]
		if add == nil {
			continue
		}
		old, err := format.ReadDeletions(ctx, tb.st, fr)
		if err != nil {
			tb.t.Fatal(err)
		}
		old.Or(add)
		if old.GetCardinality() == fr.PhysicalRows {
			op.DeletedFragmentIDs = append(op.DeletedFragmentIDs, fr.ID)
			continue
		}
		df, err := format.WriteDeletionFile(ctx, tb.st, fr.ID, m.Version, old)
		if err != nil {
			tb.t.Fatal(err)
		}
		nf := proto.Clone(fr.PB).(*pb.DataFragment)
		nf.DeletionFile = df
		op.UpdatedFragments = append(op.UpdatedFragments, nf)
	}
	if _, err := commit.Commit(ctx, tb.st, &commit.Transaction{ReadVersion: m.Version, Operation: op}, commit.Options{}); err != nil {
		tb.t.Fatal(err)
	}
}

// readRows reads the table at version (0: latest) with package lance and
// returns its rows sorted by id.
func readRows(t testing.TB, dir string, version uint64) []row {
	t.Helper()
	ctx := context.Background()
	var opts []lance.OpenOption
	if version != 0 {
		opts = append(opts, lance.WithVersion(version))
	}
	ds, err := lance.Open(ctx, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	var out []row
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids := rec.Column(0).(*array.Int64)
		texts := rec.Column(1).(*array.String)
		vecs := rec.Column(2).(*array.FixedSizeList)
		vals := vecs.ListValues().(*array.Float32)
		for i := 0; i < int(rec.NumRows()); i++ {
			r := row{ID: ids.Value(i), Text: texts.Value(i)}
			for k := range r.Vector {
				r.Vector[k] = vals.Value((vecs.Offset()+i)*testDim + k)
			}
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// checkRows compares the rows of the table with the rows of the given ids.
func checkRows(t testing.TB, dir string, version uint64, want []int64) {
	t.Helper()
	got := readRows(t, dir, version)
	if len(got) != len(want) {
		t.Fatalf("version %d: %d rows, want %d", version, len(got), len(want))
	}
	for i, id := range want {
		if got[i] != rowFor(id) {
			t.Fatalf("version %d: row %d is %+v, want %+v", version, i, got[i], rowFor(id))
		}
	}
}

func idsWhere(n int64, keep func(int64) bool) []int64 {
	var out []int64
	for i := int64(0); i < n; i++ {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out
}

func all(int64) bool { return true }

// listFiles returns every file below dir, relative, sorted.
func listFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// ageFiles sets the modification time of every file below dir back by d.
func ageFiles(t testing.TB, dir string, d time.Duration) {
	t.Helper()
	for _, f := range listFiles(t, dir) {
		p := filepath.Join(dir, f)
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		mt := info.ModTime().Add(-d)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
}
