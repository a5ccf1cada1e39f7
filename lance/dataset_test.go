package lance

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/expr"
)

// table is a scan result gathered as Go values, column by column; nulls
// are nil.
type table map[string][]any

func (tb table) rows() int {
	for _, c := range tb {
		return len(c)
	}
	return 0
}

func appendRecord(t testing.TB, tb table, rec arrow.RecordBatch) {
	t.Helper()
	for i, f := range rec.Schema().Fields() {
		col := rec.Column(i)
		for r := 0; r < col.Len(); r++ {
			tb[f.Name] = append(tb[f.Name], cellValue(t, col, r))
		}
	}
}

func cellValue(t testing.TB, col arrow.Array, r int) any {
	t.Helper()
	if col.IsNull(r) {
		return nil
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(r)
	case *array.Int64:
		return a.Value(r)
	case *array.Uint64:
		return a.Value(r)
	case *array.Float64:
		return a.Value(r)
	case *array.Float32:
		return a.Value(r)
	case *array.Boolean:
		return a.Value(r)
	case *array.FixedSizeList:
		n := int(a.DataType().(*arrow.FixedSizeListType).Len())
		vals := a.ListValues().(*array.Float32).Float32Values()
		off := (a.Data().Offset() + r) * n
		return slices.Clone(vals[off : off+n])
	}
	t.Fatalf("unexpected column type %s", col.DataType())
	return nil
}

func scanTable(t testing.TB, ds *Dataset, opts ScanOptions) (table, []arrow.RecordBatch) {
	t.Helper()
	tb := table{}
	var recs []arrow.RecordBatch
	for rec, err := range ds.Scan(context.Background(), opts) {
		if err != nil {
			t.Fatal(err)
		}
		appendRecord(t, tb, rec)
		recs = append(recs, rec)
	}
	return tb, recs
}

func ptrsToAny[T any](in []*T) []any {
	out := make([]any, len(in))
	for i, p := range in {
		if p != nil {
			out[i] = *p
		}
	}
	return out
}

func valsToAny[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

func TestOpenLatest(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	last := fx.Versions[len(fx.Versions)-1]
	if ds.Version() != last.Version {
		t.Errorf("Version = %d, want %d", ds.Version(), last.Version)
	}
	if got := ds.DataStorageVersion(); got != "2.0" {
		t.Errorf("DataStorageVersion = %q, want 2.0", got)
	}
	if err := ds.ReadOnlyReason(); err != nil {
		t.Errorf("ReadOnlyReason = %v, want nil", err)
	}
	var names []string
	for _, f := range ds.Schema().Fields() {
		names = append(names, f.Name)
	}
	if want := []string{"id", "category", "n", "score", "flag", "vector", "n2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("schema columns = %v, want %v", names, want)
	}
	if vt := ds.Schema().Field(5).Type; !arrow.TypeEqual(vt, arrow.FixedSizeListOfNonNullable(int32(fx.Dim), arrow.PrimitiveTypes.Float32)) &&
		!arrow.TypeEqual(vt, arrow.FixedSizeListOf(int32(fx.Dim), arrow.PrimitiveTypes.Float32)) {
		t.Errorf("vector type = %s", vt)
	}
}

func TestFragments(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	frags := ds.Fragments()
	if len(frags) != 3 {
		t.Fatalf("%d fragments, want 3", len(frags))
	}
	var live uint64
	for _, f := range frags {
		live += f.LiveRows()
		if (f.Deletion != nil) != (f.DeletedRows > 0) {
			t.Errorf("fragment %d: deletion file %+v with %d deleted rows", f.ID, f.Deletion, f.DeletedRows)
		}
		for _, df := range f.Files {
			if df.FormatVersion != "2.0" {
				t.Errorf("fragment %d: file %s has format %s", f.ID, df.Path, df.FormatVersion)
			}
		}
	}
	if last := fx.Versions[len(fx.Versions)-1]; int64(live) != last.Count {
		t.Errorf("live rows = %d, LanceDB counts %d", live, last.Count)
	}
	// n2 was added by addColumns: the first two fragments keep it in a
	// second data file of their own.
	for _, f := range frags[:2] {
		if len(f.Files) != 2 || !reflect.DeepEqual(f.Files[1].FieldIDs, []int32{6}) {
			t.Errorf("fragment %d files = %+v, want a second file holding field 6", f.ID, f.Files)
		}
	}
	if frags[0].PhysicalRows != 150 || frags[1].PhysicalRows != 120 || frags[2].PhysicalRows != 60 {
		t.Errorf("physical rows = %d, %d, %d", frags[0].PhysicalRows, frags[1].PhysicalRows, frags[2].PhysicalRows)
	}
}

func TestIndexes(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	got := map[string][]string{}
	for _, ix := range ds.Indexes() {
		got[ix.Name] = ix.Columns
		if !reflect.DeepEqual(ix.Fragments, []uint64{0, 1, 2}) {
			t.Errorf("index %s covers fragments %v", ix.Name, ix.Fragments)
		}
		if ix.UUID == "" {
			t.Errorf("index %s has no uuid", ix.Name)
		}
	}
	want := map[string][]string{}
	for _, ix := range fx.Indices {
		want[ix.Name] = ix.Columns
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("indexes = %v, LanceDB lists %v", got, want)
	}
}

func TestVersionsAndCheckout(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ctx := context.Background()
	ds := openT(t, path)
	vs, err := ds.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(fx.Versions) {
		t.Fatalf("%d versions, want %d", len(vs), len(fx.Versions))
	}
	for i, v := range vs {
		if v.Version != fx.Versions[i].Version {
			t.Errorf("version %d = %d, want %d", i, v.Version, fx.Versions[i].Version)
		}
		if v.Timestamp.IsZero() || v.Timestamp.After(time.Now()) {
			t.Errorf("version %d timestamp %v", v.Version, v.Timestamp)
		}
		if i > 0 && v.Timestamp.Before(vs[i-1].Timestamp) {
			t.Errorf("version %d is older than version %d", v.Version, vs[i-1].Version)
		}
	}
	old, err := ds.Checkout(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if n, err := old.CountRows(ctx); err != nil || n != fx.Versions[2].Count {
		t.Errorf("version 3 CountRows = %d, %v; want %d", n, err, fx.Versions[2].Count)
	}
	if old.Schema().NumFields() != 6 {
		t.Errorf("version 3 has %d columns, want 6 (before n2 was added)", old.Schema().NumFields())
	}
	if _, err := ds.Checkout(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("Checkout(99) = %v, want ErrNotFound", err)
	}
	if _, err := Open(ctx, path, WithVersion(42)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(WithVersion(42)) = %v, want ErrNotFound", err)
	}
	if _, err := Open(ctx, "testdata/missing.lance"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
}

// TestScanEveryVersion compares, for every version LanceDB wrote, the row
// counts and the rows in scan order with what LanceDB read back.
func TestScanEveryVersion(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ctx := context.Background()
	for _, v := range fx.Versions {
		t.Run(fmt.Sprint("v", v.Version), func(t *testing.T) {
			ds := openT(t, path, WithVersion(v.Version))
			if n, err := ds.CountRows(ctx); err != nil || n != v.Count {
				t.Errorf("CountRows = %d, %v; LanceDB %d", n, err, v.Count)
			}
			if n, err := ds.CountRows(ctx, expr.Col("category").Eq("alpha")); err != nil || n != v.CountAlpha {
				t.Errorf("CountRows(category = 'alpha') = %d, %v; LanceDB %d", n, err, v.CountAlpha)
			}
			got, _ := scanTable(t, ds, ScanOptions{WithRowAddress: true, BatchSize: 64})
			if got.rows() != int(v.Count) {
				t.Fatalf("scan returned %d rows, LanceDB %d", got.rows(), v.Count)
			}
			checkColumn(t, got, RowAddressColumn, valsToAny(column[uint64](t, v.Rows, "_rowid")))
			checkColumn(t, got, "id", ptrsToAny(column[*string](t, v.Rows, "id")))
			if _, ok := v.Rows["n2"]; ok {
				checkColumn(t, got, "n2", ptrsToAny(column[*int64](t, v.Rows, "n2")))
			}
			if _, ok := v.Rows["vector"]; !ok {
				return
			}
			checkColumn(t, got, "category", ptrsToAny(column[*string](t, v.Rows, "category")))
			checkColumn(t, got, "n", ptrsToAny(column[*int64](t, v.Rows, "n")))
			checkColumn(t, got, "score", ptrsToAny(column[*float64](t, v.Rows, "score")))
			checkColumn(t, got, "flag", ptrsToAny(column[*bool](t, v.Rows, "flag")))
			checkColumn(t, got, "vector", valsToAny(column[[]float32](t, v.Rows, "vector")))
		})
	}
}

func checkColumn(t *testing.T, got table, name string, want []any) {
	t.Helper()
	g := got[name]
	if len(g) != len(want) {
		t.Errorf("column %s: %d values, want %d", name, len(g), len(want))
		return
	}
	bad := 0
	for i := range g {
		if !reflect.DeepEqual(g[i], want[i]) {
			if bad < 3 {
				t.Errorf("column %s row %d = %v, LanceDB read %v", name, i, g[i], want[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("column %s: %d rows differ", name, bad)
	}
}

func TestScanProjectionFilterBatches(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	last := fx.Versions[len(fx.Versions)-1]
	ids := column[*string](t, last.Rows, "id")
	ns := column[*int64](t, last.Rows, "n")
	addrs := column[uint64](t, last.Rows, "_rowid")
	var wantIDs, wantAddrs []any
	for i := range ids {
		if *ns[i] < 100 || *ns[i] >= 300 {
			wantIDs = append(wantIDs, *ids[i])
			wantAddrs = append(wantAddrs, addrs[i])
		}
	}
	filter := expr.Or(expr.Col("n").Lt(100), expr.Col("n").Ge(300))
	got, recs := scanTable(t, ds, ScanOptions{Columns: []string{"id"}, Filter: filter, WithRowAddress: true, BatchSize: 7})
	checkColumn(t, got, "id", wantIDs)
	checkColumn(t, got, RowAddressColumn, wantAddrs)
	for _, rec := range recs {
		if rec.NumCols() != 2 || rec.ColumnName(0) != "id" || rec.ColumnName(1) != RowAddressColumn {
			t.Fatalf("batch schema %s, want id, _rowaddr", rec.Schema())
		}
		if rec.NumRows() == 0 || rec.NumRows() > 7 {
			t.Errorf("batch of %d rows, want 1..7", rec.NumRows())
		}
		a := rec.Column(1).(*array.Uint64)
		if a.Value(0)>>32 != a.Value(a.Len()-1)>>32 {
			t.Errorf("batch spans fragments %d and %d", a.Value(0)>>32, a.Value(a.Len()-1)>>32)
		}
	}
	n, err := ds.CountRows(context.Background(), filter)
	if err != nil || n != int64(len(wantIDs)) {
		t.Errorf("CountRows(filter) = %d, %v; want %d", n, err, len(wantIDs))
	}
}

func TestScanFragmentsOption(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	last := fx.Versions[len(fx.Versions)-1]
	var want []any
	for _, a := range column[uint64](t, last.Rows, "_rowid") {
		if a>>32 == 2 {
			want = append(want, a)
		}
	}
	got, _ := scanTable(t, ds, ScanOptions{Columns: []string{}, WithRowAddress: true, Fragments: []uint64{2}})
	checkColumn(t, got, RowAddressColumn, want)
	for _, err := range ds.Scan(context.Background(), ScanOptions{Fragments: []uint64{7}}) {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("scan of fragment 7: %v, want ErrNotFound", err)
		}
	}
}

func TestScanErrors(t *testing.T) {
	path, _ := loadFixture(t, "v13")
	ds := openT(t, path)
	ctx := context.Background()
	for _, opts := range []ScanOptions{
		{Columns: []string{"nope"}},
		{Columns: []string{"id", "id"}},
		{Filter: expr.Col("nope").Eq(1)},
		{Filter: expr.Col("id").Eq(1)},
		{Filter: expr.Col("id").Eq(1), Fragments: []uint64{}}, // reported even when no row is read
		{BatchSize: -1},
	} {
		n := 0
		for rec, err := range ds.Scan(ctx, opts) {
			n++
			if rec != nil || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("%+v: got %v, %v; want ErrInvalidArgument", opts, rec, err)
			}
		}
		if n != 1 {
			t.Errorf("%+v: %d items, want exactly one error", opts, n)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	var last error
	for _, err := range ds.Scan(cctx, ScanOptions{}) {
		last = err
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("cancelled scan ended with %v, want context.Canceled", last)
	}
}

func TestScanStopEarly(t *testing.T) {
	path, _ := loadFixture(t, "v13")
	ds := openT(t, path)
	before := runtime.NumGoroutine()
	defer func() {
		// The producer goroutines must all have exited.
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines left running after stopping scans early (had %d)", n, before)
		}
	}()
	for i := 0; i < 20; i++ {
		n := 0
		for _, err := range ds.Scan(context.Background(), ScanOptions{BatchSize: 10}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if n == 2 {
				break
			}
		}
	}
}

func TestTake(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	ctx := context.Background()
	last := fx.Versions[len(fx.Versions)-1]
	ids := column[*string](t, last.Rows, "id")
	n2 := column[*int64](t, last.Rows, "n2")
	vecs := column[[]float32](t, last.Rows, "vector")
	addrs := column[uint64](t, last.Rows, "_rowid")
	// Across fragments, out of order, with a repeat.
	pick := []int{len(addrs) - 1, 0, 150, 3, 0, 200, 77, 129}
	var req []uint64
	var wantIDs, wantN2, wantVecs []any
	for _, p := range pick {
		req = append(req, addrs[p])
		wantIDs = append(wantIDs, *ids[p])
		wantN2 = append(wantN2, *n2[p])
		wantVecs = append(wantVecs, vecs[p])
	}
	rec, err := ds.Take(ctx, req, []string{"vector", "id", "n2"})
	if err != nil {
		t.Fatal(err)
	}
	got := table{}
	appendRecord(t, got, rec)
	if rec.ColumnName(0) != "vector" || rec.ColumnName(1) != "id" || rec.ColumnName(2) != "n2" {
		t.Errorf("take schema %s", rec.Schema())
	}
	checkColumn(t, got, "id", wantIDs)
	checkColumn(t, got, "n2", wantN2)
	checkColumn(t, got, "vector", wantVecs)

	if rec, err := ds.Take(ctx, nil, nil); err != nil || rec.NumRows() != 0 || rec.NumCols() != 7 {
		t.Errorf("empty take = %v, %v", rec, err)
	}
	// n = 3 was deleted at version 3; offset 3 of fragment 0 is its row.
	for _, a := range []uint64{3, 1<<32 | 120, 9 << 32, 2<<32 | 30} {
		if _, err := ds.Take(ctx, []uint64{0, a}, []string{"id"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("Take(%d) = %v, want ErrNotFound", a, err)
		}
	}
}

func TestClosed(t *testing.T) {
	path, _ := loadFixture(t, "v13")
	ds, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ds.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := ds.Take(context.Background(), []uint64{0}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Take after Close = %v, want ErrInvalidArgument", err)
	}
}

// TestTakeMatchesScan takes random live addresses, in random order and
// with repeats, from every version and compares them with the scan.
func TestTakeMatchesScan(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	r := rand.New(rand.NewPCG(3, 4))
	for _, v := range fx.Versions {
		ds := openT(t, path, WithVersion(v.Version))
		scan, _ := scanTable(t, ds, ScanOptions{WithRowAddress: true})
		addrs := scan[RowAddressColumn]
		for round := 0; round < 5; round++ {
			n := 1 + r.IntN(60)
			pick := make([]int, n)
			req := make([]uint64, n)
			for i := range pick {
				pick[i] = r.IntN(len(addrs))
				req[i] = addrs[pick[i]].(uint64)
			}
			rec, err := ds.Take(context.Background(), req, nil)
			if err != nil {
				t.Fatalf("v%d: %v", v.Version, err)
			}
			got := table{}
			appendRecord(t, got, rec)
			for _, f := range ds.Schema().Fields() {
				want := make([]any, n)
				for i, p := range pick {
					want[i] = scan[f.Name][p]
				}
				checkColumn(t, got, f.Name, want)
			}
		}
	}
}
