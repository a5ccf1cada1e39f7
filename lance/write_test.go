package lance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
)

const testDim = 8

func TestCreateAppendRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := tempTable(t)
	first := rowsFor("a", 0, 10, 0, testDim)
	d := mustCreate(t, path, testDim, first, CreateOptions{})
	if d.Version() != 1 || d.DataStorageVersion() != "2.0" {
		t.Fatalf("new table: version %d, storage %s; want 1, 2.0", d.Version(), d.DataStorageVersion())
	}
	model := map[string]string{}
	expectContent(model, first)

	more := rowsFor("b", 0, 25, 0, testDim)
	d2, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, more[:12]), resonaBatch(testDim, more[12:])}, WriteOptions{MaxRowsPerFile: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	expectContent(model, more)
	if d2.Version() != 2 {
		t.Errorf("append made version %d, want 2", d2.Version())
	}
	// 10 rows, then 25 rows rolled over at 10 rows per file.
	var sizes []uint64
	for _, f := range d2.Fragments() {
		sizes = append(sizes, f.PhysicalRows)
	}
	if fmt.Sprint(sizes) != "[10 10 10 5]" {
		t.Errorf("fragment sizes %v, want [10 10 10 5]", sizes)
	}
	sameContent(t, tableContent(t, d2), model)
	// The old snapshot still reads version 1.
	v1 := map[string]string{}
	expectContent(v1, first)
	sameContent(t, tableContent(t, d), v1)
	if n, _ := d.CountRows(ctx); n != 10 {
		t.Errorf("version 1 counts %d rows, want 10", n)
	}

	// Reopening from disk sees the same thing, and vectors round-trip:
	// searching a row's own vector finds it at distance 0.
	re := openT(t, path)
	target := more[17]
	res, err := re.Search(ctx, SearchOptions{Query: target.Vector, K: 1, Columns: []string{"id", "vector"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Column(0).(*array.String).Value(0); got != target.ID {
		t.Errorf("nearest row is %s, want %s", got, target.ID)
	}
	if dist := res.Column(2).(*array.Float32).Value(0); dist != 0 {
		t.Errorf("distance to own vector %v, want 0", dist)
	}
	vec := res.Column(1).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	for i := range target.Vector {
		if vec[i] != target.Vector[i] {
			t.Fatalf("vector[%d] = %v, want %v", i, vec[i], target.Vector[i])
		}
	}
}

func TestCreateExistingTable(t *testing.T) {
	ctx := context.Background()
	path := tempTable(t)
	mustCreate(t, path, testDim, rowsFor("a", 0, 3, 0, testDim), CreateOptions{})
	_, err := Create(ctx, path, resonaSchema(testDim), nil, CreateOptions{})
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("second Create: %v, want ErrInvalidArgument", err)
	}
	rows := rowsFor("z", 0, 4, 1, testDim)
	d, err := Create(ctx, path, resonaSchema(testDim), []arrow.RecordBatch{resonaBatch(testDim, rows)}, CreateOptions{Mode: ModeOverwrite})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := map[string]string{}
	expectContent(want, rows)
	if d.Version() != 2 {
		t.Errorf("overwrite made version %d, want 2", d.Version())
	}
	sameContent(t, tableContent(t, d), want)

	// An empty table, then Overwrite through the Dataset.
	e := mustCreate(t, tempTable(t), testDim, nil, CreateOptions{})
	if n, _ := e.CountRows(ctx); n != 0 || len(e.Fragments()) != 0 {
		t.Errorf("empty table has %d rows in %d fragments", n, len(e.Fragments()))
	}
	e2, err := e.Overwrite(ctx, []arrow.RecordBatch{resonaBatch(testDim, rows[:2])})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if n, _ := e2.CountRows(ctx); n != 2 {
		t.Errorf("after Overwrite: %d rows, want 2", n)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	path := tempTable(t)
	a := rowsFor("a", 0, 10, 0, testDim)
	b := rowsFor("b", 0, 10, 0, testDim)
	d := mustCreate(t, path, testDim, append(a, b...), CreateOptions{MaxRowsPerFile: 10})
	model := map[string]string{}
	expectContent(model, append(a, b...))

	// Two deletes in fragment 0: the second merges with the first file.
	d1, n, err := d.Delete(ctx, expr.Col("id").In("a1", "a3", "b0"))
	if err != nil || n != 3 {
		t.Fatalf("delete: n=%d err=%v, want 3", n, err)
	}
	defer d1.Close()
	d2, n, err := d1.Delete(ctx, expr.Col("id").Eq("a5"))
	if err != nil || n != 1 {
		t.Fatalf("delete: n=%d err=%v, want 1", n, err)
	}
	defer d2.Close()
	for _, id := range []string{"a1", "a3", "b0", "a5"} {
		delete(model, id)
	}
	sameContent(t, tableContent(t, d2), model)
	if f := d2.Fragments()[0]; f.DeletedRows != 3 || f.Deletion == nil {
		t.Errorf("fragment 0 records %d deleted rows (%+v), want 3", f.DeletedRows, f.Deletion)
	}

	// Deleting a row that is already gone, or none at all: no new version.
	d3, n, err := d2.Delete(ctx, expr.Col("id").Eq("a5"))
	if err != nil || n != 0 || d3.Version() != d2.Version() {
		t.Fatalf("no-op delete: n=%d version %d err=%v", n, d3.Version(), err)
	}
	d3.Close()

	// Deleting every remaining row of fragment 1 removes the fragment.
	d4, n, err := d2.Delete(ctx, expr.Col("id").Ge("b"))
	if err != nil || n != 9 {
		t.Fatalf("delete fragment: n=%d err=%v, want 9", n, err)
	}
	defer d4.Close()
	for _, r := range b {
		delete(model, r.ID)
	}
	if len(d4.Fragments()) != 1 || d4.Fragments()[0].ID != 0 {
		t.Errorf("fragments after deleting all of fragment 1: %+v", d4.Fragments())
	}
	sameContent(t, tableContent(t, d4), model)
	if n, _ := d4.CountRows(ctx); n != int64(len(model)) {
		t.Errorf("CountRows = %d, want %d", n, len(model))
	}

	if _, _, err := d4.Delete(ctx, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil filter: %v, want ErrInvalidArgument", err)
	}
}

func upsert(t testing.TB, d *Dataset, rows []resonaRow) (*Dataset, MergeInsertResult) {
	t.Helper()
	nd, res, err := d.MergeInsert(context.Background(), []arrow.RecordBatch{resonaBatch(testDim, rows)},
		MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
	if err != nil {
		t.Fatalf("MergeInsert: %v", err)
	}
	return nd, res
}

func TestMergeInsert(t *testing.T) {
	ctx := context.Background()
	path := tempTable(t)
	base := rowsFor("k", 0, 20, 0, testDim)
	d := mustCreate(t, path, testDim, base, CreateOptions{MaxRowsPerFile: 8})
	model := map[string]string{}
	expectContent(model, base)

	// 5 existing keys in two fragments, 3 new ones.
	in := append(rowsFor("k", 6, 11, 1, testDim), rowsFor("n", 0, 3, 1, testDim)...)
	d1, res := upsert(t, d, in)
	defer d1.Close()
	if res.Updated != 5 || res.Inserted != 3 {
		t.Errorf("result %+v, want 5 updated, 3 inserted", res)
	}
	expectContent(model, in)
	sameContent(t, tableContent(t, d1), model)
	if d1.Version() != 2 {
		t.Errorf("merge insert made version %d, want 2", d1.Version())
	}

	// Upserting the same rows again updates them all (the new fragment's
	// rows included) and inserts nothing.
	again := append(rowsFor("k", 6, 11, 2, testDim), rowsFor("n", 0, 3, 2, testDim)...)
	d2, res := upsert(t, d1, again)
	defer d2.Close()
	if res.Updated != 8 || res.Inserted != 0 {
		t.Errorf("result %+v, want 8 updated", res)
	}
	expectContent(model, again)
	sameContent(t, tableContent(t, d2), model)

	// Insert-only leaves matched rows alone.
	ins := append(rowsFor("k", 0, 2, 3, testDim), rowsFor("m", 0, 2, 3, testDim)...)
	d3, res, err := d2.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(testDim, ins)}, MergeInsertOptions{On: "id", WhenNotMatchedInsertAll: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	if res.Updated != 0 || res.Inserted != 2 {
		t.Errorf("insert-only result %+v, want 2 inserted", res)
	}
	expectContent(model, ins[2:])
	sameContent(t, tableContent(t, d3), model)

	// Duplicate keys matching a table row are ambiguous.
	dup := []resonaRow{makeRow("k1", 4, testDim), makeRow("k1", 5, testDim)}
	if _, _, err := d3.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(testDim, dup)}, MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ambiguous merge: %v, want ErrInvalidArgument", err)
	}
	if _, _, err := d3.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(testDim, dup)}, MergeInsertOptions{On: "nope"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown key column: %v, want ErrInvalidArgument", err)
	}
	// Nothing to do: no new version.
	d4, res, err := d3.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(testDim, rowsFor("k", 0, 2, 9, testDim))}, MergeInsertOptions{On: "id", WhenNotMatchedInsertAll: true})
	if err != nil || d4.Version() != d3.Version() || res != (MergeInsertResult{}) {
		t.Errorf("no-op merge: version %d (want %d), %+v, %v", d4.Version(), d3.Version(), res, err)
	}
	d4.Close()
}

func TestMergeInsertWholeFragment(t *testing.T) {
	path := tempTable(t)
	base := rowsFor("k", 0, 8, 0, testDim)
	d := mustCreate(t, path, testDim, base, CreateOptions{MaxRowsPerFile: 4})
	in := rowsFor("k", 0, 4, 1, testDim)
	d1, res := upsert(t, d, in)
	defer d1.Close()
	if res.Updated != 4 {
		t.Errorf("updated %d, want 4", res.Updated)
	}
	for _, f := range d1.Fragments() {
		if f.ID == 0 {
			t.Errorf("fragment 0, all of whose rows were replaced, is still there: %+v", f)
		}
	}
	model := map[string]string{}
	expectContent(model, base)
	expectContent(model, in)
	sameContent(t, tableContent(t, d1), model)
}

func TestAppendSchemaChecks(t *testing.T) {
	ctx := context.Background()
	d := mustCreate(t, tempTable(t), testDim, rowsFor("a", 0, 2, 0, testDim), CreateOptions{})

	if _, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim+1, rowsFor("x", 0, 2, 0, testDim+1))}); !errors.Is(err, ErrDimensionMismatch) {
		t.Errorf("wrong dimension: %v, want ErrDimensionMismatch", err)
	}
	other := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, other)
	b.Field(0).(*array.StringBuilder).Append("q")
	rec := b.NewRecordBatch()
	b.Release()
	if _, err := d.Append(ctx, []arrow.RecordBatch{rec}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("missing columns: %v, want ErrInvalidArgument", err)
	}

	// Columns in another order, with non-nullable fields and another
	// list item name, are accepted and stored in the table's layout.
	full := resonaBatch(testDim, rowsFor("r", 0, 3, 0, testDim))
	var fields []arrow.Field
	var cols []arrow.Array
	for i := full.NumCols() - 1; i >= 0; i-- {
		f := full.Schema().Field(int(i))
		f.Nullable = false
		col := full.Column(int(i))
		if f.Name == "vector" {
			f.Type = arrow.FixedSizeListOfField(testDim, arrow.Field{Name: "element", Type: arrow.PrimitiveTypes.Float32})
			col = array.MakeFromData(array.NewData(f.Type, col.Len(), col.Data().Buffers(), col.Data().Children(), 0, 0))
		}
		if f.Name == "metadata" {
			f.Nullable = true // it holds nulls
		}
		fields = append(fields, f)
		cols = append(cols, col)
	}
	reordered := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, full.NumRows())
	d2, err := d.Append(ctx, []arrow.RecordBatch{reordered})
	if err != nil {
		t.Fatalf("reordered append: %v", err)
	}
	defer d2.Close()
	if n, _ := d2.CountRows(ctx); n != 5 {
		t.Errorf("%d rows, want 5", n)
	}
	want := map[string]string{}
	expectContent(want, rowsFor("a", 0, 2, 0, testDim))
	expectContent(want, rowsFor("r", 0, 3, 0, testDim))
	sameContent(t, tableContent(t, d2), want)

	// Nulls in a non-nullable column are refused.
	strict := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	sb := array.NewRecordBuilder(memory.DefaultAllocator, strict)
	sb.Field(0).(*array.Int64Builder).Append(1)
	s, err := Create(ctx, tempTable(t), strict, []arrow.RecordBatch{sb.NewRecordBatch()}, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nullable := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	nb := array.NewRecordBuilder(memory.DefaultAllocator, nullable)
	nb.Field(0).(*array.Int64Builder).AppendNull()
	if _, err := s.Append(ctx, []arrow.RecordBatch{nb.NewRecordBatch()}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("null in non-nullable column: %v, want ErrInvalidArgument", err)
	}
}

func TestWriteRefusals(t *testing.T) {
	ctx := context.Background()
	d := mustCreate(t, tempTable(t), testDim, rowsFor("a", 0, 2, 0, testDim), CreateOptions{})
	batch := []arrow.RecordBatch{resonaBatch(testDim, rowsFor("b", 0, 1, 0, testDim))}

	// A writer feature flag this engine does not know makes the table
	// read-only for every write.
	ro := withWriterFlag(t, d, 1<<20)
	if _, err := ro.Append(ctx, batch); !errors.Is(err, ErrReadOnly) {
		t.Errorf("append to read-only table: %v, want ErrReadOnly", err)
	}
	if _, _, err := ro.Delete(ctx, expr.Col("id").Eq("a0")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("delete from read-only table: %v, want ErrReadOnly", err)
	}
	if _, _, err := ro.MergeInsert(ctx, batch, MergeInsertOptions{On: "id", WhenNotMatchedInsertAll: true}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("merge into read-only table: %v, want ErrReadOnly", err)
	}
	if _, err := ro.CreateIndex(ctx, "id", IndexOptions{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("index on read-only table: %v, want ErrReadOnly", err)
	}

	// A data storage version without a writer is refused before anything
	// is written.
	m2 := *d.m
	m2.DataStorageVersion = "2.3"
	fut := &Dataset{path: d.path, store: d.store, m: &m2, files: d.files, frags: d.frags}
	if _, err := fut.Append(ctx, batch); !errors.Is(err, ErrUnsupported) {
		t.Errorf("append to a 2.3 table: %v, want ErrUnsupported", err)
	}
	if _, err := Create(ctx, tempTable(t), resonaSchema(testDim), batch, CreateOptions{DataStorageVersion: "2.3"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("create a 2.3 table: %v, want ErrUnsupported", err)
	}
	if _, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("IVF_PQ index over too few rows to train: %v, want ErrInvalidArgument", err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Path(), "data"))
	if len(entries) != 1 {
		t.Errorf("refused writes left files behind: %d data files, want 1", len(entries))
	}
}

func TestConcurrentAppenders(t *testing.T) {
	ctx := context.Background()
	d := mustCreate(t, tempTable(t), testDim, nil, CreateOptions{})
	const writers, perWriter = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				rows := rowsFor(fmt.Sprintf("w%d-%d-", w, i), 0, 3, 0, testDim)
				nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rows)})
				if err != nil {
					errs <- err
					return
				}
				nd.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	latest, err := d.CheckoutLatest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer latest.Close()
	if latest.Version() != 1+writers*perWriter {
		t.Errorf("latest version %d, want %d", latest.Version(), 1+writers*perWriter)
	}
	if n, _ := latest.CountRows(ctx); n != writers*perWriter*3 {
		t.Errorf("%d rows, want %d", n, writers*perWriter*3)
	}
	if got := len(tableContent(t, latest)); got != writers*perWriter*3 {
		t.Errorf("%d distinct ids, want %d", got, writers*perWriter*3)
	}
}

// Two upserts of the same keys prepared on the same version: the second
// finds its rows already replaced, and redoes its work on the new version.
func TestMergeInsertConflictRetry(t *testing.T) {
	ctx := context.Background()
	base := rowsFor("k", 0, 10, 0, testDim)
	d := mustCreate(t, tempTable(t), testDim, base, CreateOptions{})
	first := rowsFor("k", 0, 5, 1, testDim)
	d1, _ := upsert(t, d, first)
	d1.Close()
	second := rowsFor("k", 3, 8, 2, testDim)
	d2, res := upsert(t, d, second) // d is stale: prepared on version 1
	defer d2.Close()
	if res.Updated != 5 || res.Inserted != 0 {
		t.Errorf("result %+v, want 5 updated", res)
	}
	model := map[string]string{}
	expectContent(model, base)
	expectContent(model, first)
	expectContent(model, second)
	sameContent(t, tableContent(t, d2), model)

	// Without retries the stale upsert is a retryable conflict.
	_, _, err := d.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(testDim, rowsFor("k", 0, 2, 3, testDim))},
		MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true, Write: WriteOptions{CommitRetries: -1}})
	if !errors.Is(err, ErrCommitConflict) {
		t.Errorf("stale upsert without retries: %v, want ErrCommitConflict", err)
	}
	// Concurrent deletes of different rows of one fragment merge.
	da, n1, err := d.Delete(ctx, expr.Col("id").Eq("k9"))
	if err != nil {
		t.Fatal(err)
	}
	da.Close()
	db, n2, err := d.Delete(ctx, expr.Col("id").Eq("k8"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	delete(model, "k9")
	delete(model, "k8")
	if n1 != 1 || n2 != 1 {
		t.Errorf("deleted %d and %d rows, want 1 and 1", n1, n2)
	}
	sameContent(t, tableContent(t, db), model)
	countFiles(t, d.Path())
}

// countFiles fails on staging files left in the table directory.
func countFiles(t testing.TB, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && filepath.Ext(p) != "" && filepath.Ext(p)[1] == '#' {
			t.Errorf("staging file left: %s", p)
		}
		return nil
	})
}

// withWriterFlag commits a copy of d's manifest with an extra writer
// feature flag, as a newer writer would, and opens it.
func withWriterFlag(t testing.TB, d *Dataset, flag uint64) *Dataset {
	t.Helper()
	ctx := context.Background()
	data, err := d.store.ReadAll(ctx, d.m.Path)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := format.DecodeManifestFile(d.m.Path, data)
	if err != nil {
		t.Fatal(err)
	}
	mf.Manifest.WriterFeatureFlags |= flag
	mf.Manifest.Version++
	out, err := format.EncodeManifestFile(mf.Manifest, mf.Indexes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.store.PutIfNotExists(ctx, d.m.Scheme.ManifestPath(mf.Manifest.Version), out); err != nil {
		t.Fatal(err)
	}
	ro, err := d.CheckoutLatest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	if ro.ReadOnlyReason() == nil {
		t.Fatal("the patched table is writable")
	}
	return ro
}

// Appends, upserts and deletes from several goroutines, all prepared on
// stale versions: every change lands exactly once.
func TestConcurrentMixedWriters(t *testing.T) {
	ctx := context.Background()
	base := rowsFor("k", 0, 40, 0, testDim)
	d := mustCreate(t, tempTable(t), testDim, base, CreateOptions{MaxRowsPerFile: 10})
	want := map[string]string{}
	expectContent(want, base)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	run := func(f func() (*Dataset, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nd, err := f()
			if err != nil {
				errs <- err
				return
			}
			nd.Close()
		}()
	}
	for w := 0; w < 3; w++ {
		rows := rowsFor(fmt.Sprintf("app%d-", w), 0, 5, 0, testDim)
		expectContent(want, rows)
		run(func() (*Dataset, error) { return d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rows)}) })
	}
	for w := 0; w < 3; w++ {
		// Upserts of disjoint keys in shared fragments.
		rows := rowsFor("k", w*10, w*10+4, w+1, testDim)
		rows = append(rows, rowsFor(fmt.Sprintf("up%d-", w), 0, 2, w+1, testDim)...)
		expectContent(want, rows)
		run(func() (*Dataset, error) {
			nd, _, err := d.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(testDim, rows)}, MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
			return nd, err
		})
	}
	for w := 0; w < 3; w++ {
		id := fmt.Sprintf("k%d", w*10+7)
		delete(want, id)
		run(func() (*Dataset, error) {
			nd, _, err := d.Delete(ctx, expr.Col("id").Eq(id))
			return nd, err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	latest, err := d.CheckoutLatest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer latest.Close()
	if latest.Version() != 10 {
		t.Errorf("latest version %d, want 10", latest.Version())
	}
	sameContent(t, tableContent(t, latest), want)
}

// A commit that fails before its manifest is linked leaves the table at its
// version and removes the data files written for it.
func TestAppendFailedCommitCleansUp(t *testing.T) {
	ctx := context.Background()
	d := mustCreate(t, tempTable(t), testDim, rowsFor("a", 0, 3, 0, testDim), CreateOptions{})
	boom := errors.New("injected")
	wo := WriteOptions{failpoint: func(name string) error {
		if name == commit.FailBeforeManifestLink {
			return boom
		}
		return nil
	}}
	if _, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rowsFor("b", 0, 3, 0, testDim))}, wo); !errors.Is(err, boom) {
		t.Fatalf("append: %v, want the injected error", err)
	}
	if _, _, err := d.Delete(ctx, expr.Col("id").Eq("a1"), wo); !errors.Is(err, boom) {
		t.Fatalf("delete: %v, want the injected error", err)
	}
	latest, err := d.CheckoutLatest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer latest.Close()
	if latest.Version() != 1 {
		t.Errorf("latest version %d, want 1", latest.Version())
	}
	for _, sub := range []string{"data", "_deletions"} {
		entries, _ := os.ReadDir(filepath.Join(d.Path(), sub))
		if want := map[string]int{"data": 1}[sub]; len(entries) != want {
			t.Errorf("%s holds %d files after failed commits, want %d", sub, len(entries), want)
		}
	}
}

// Concurrent creates of one table: exactly one wins, the others fail.
func TestConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	path := tempTable(t)
	const n = 4
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := Create(ctx, path, resonaSchema(testDim), []arrow.RecordBatch{resonaBatch(testDim, rowsFor(fmt.Sprintf("c%d-", i), 0, 2, 0, testDim))}, CreateOptions{})
			if err == nil {
				d.Close()
			}
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrInvalidArgument):
			t.Errorf("losing create: %v, want ErrInvalidArgument", err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates succeeded, want 1", won)
	}
	d := openT(t, path)
	if d.Version() != 1 || len(tableContent(t, d)) != 2 {
		t.Errorf("table at version %d with %d rows, want 1 and 2", d.Version(), len(tableContent(t, d)))
	}
}
