package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

// TestReadLanceDBTables opens every table LanceDB wrote and compares what
// package lance reads with what LanceDB itself reads, at the latest version
// and at an older one.
func TestReadLanceDBTables(t *testing.T) {
	for _, v := range Versions {
		t.Run("lancedb-"+v, func(t *testing.T) {
			t.Parallel()
			for _, sc := range scenarios {
				t.Run(sc, func(t *testing.T) {
					fx := fixture(t, v, sc)
					t.Run("latest", func(t *testing.T) { checkAtVersion(t, fx, fx.Latest, 0) })
					t.Run("older", func(t *testing.T) { checkAtVersion(t, fx, fx.Older, fx.Summary.OlderVersion) })
					t.Run("versions", func(t *testing.T) { checkVersions(t, fx) })
				})
			}
		})
	}
}

func open(t *testing.T, fx *Fixture, version uint64) *lance.Dataset {
	t.Helper()
	var opts []lance.OpenOption
	if version != 0 {
		opts = append(opts, lance.WithVersion(version))
	}
	ds, err := lance.Open(context.Background(), fx.Summary.TableDir, opts...)
	if err != nil {
		t.Fatalf("lance.Open(%s, version %d): %v", fx.Summary.TableDir, version, err)
	}
	t.Cleanup(func() {
		if err := ds.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ds
}

// skipIfUnsupported skips the calling subtest when err says the engine does
// not decode this table's data yet (only for file format 2.1/2.2), and
// fails it on any other error.
func skipIfUnsupported(t *testing.T, ds *lance.Dataset, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if dsv := ds.DataStorageVersion(); errors.Is(err, lance.ErrUnsupported) && (dsv == "2.1" || dsv == "2.2") {
		t.Skipf("%s: decoding Lance file format %s data is not supported yet: %v", what, ds.DataStorageVersion(), err)
	}
	t.Fatalf("%s: %v", what, err)
}

func checkAtVersion(t *testing.T, fx *Fixture, d *Dump, version uint64) {
	ds := open(t, fx, version)
	ctx := context.Background()
	if got := ds.Version(); got != d.Version {
		t.Errorf("Version() = %d, LanceDB reads version %d", got, d.Version)
	}
	t.Run("schema", func(t *testing.T) { checkSchema(t, ds.Schema(), d.Schema) })
	t.Run("count", func(t *testing.T) {
		n, err := ds.CountRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int64(n) != d.CountRows {
			t.Errorf("CountRows = %d, LanceDB counts %d", n, d.CountRows)
		}
	})
	t.Run("fragments", func(t *testing.T) { checkFragments(t, fx, ds, d, version) })
	t.Run("indexes", func(t *testing.T) { checkIndexes(t, ds, d) })
	t.Run("rows", func(t *testing.T) { checkRows(t, ds, d) })
	t.Run("take", func(t *testing.T) { checkTake(t, ds, d) })
	if len(d.Searches) > 0 {
		t.Run("search", func(t *testing.T) { checkSearches(t, fx, ds, d) })
	}
	if len(d.ANNSearches) > 0 {
		t.Run("indexed-search", func(t *testing.T) { checkIndexedSearches(t, fx, ds, d) })
	}
	t.Run("filters", func(t *testing.T) { checkFilters(t, fx, ds, d) })
}

func fieldFromArrow(f arrow.Field) Field {
	out := Field{Name: f.Name, Type: arrowTypeName(f.Type), Nullable: f.Nullable}
	var kids []arrow.Field
	switch t := f.Type.(type) {
	case *arrow.FixedSizeListType:
		kids = []arrow.Field{t.ElemField()}
	case *arrow.ListType:
		kids = []arrow.Field{t.ElemField()}
	case *arrow.LargeListType:
		kids = []arrow.Field{t.ElemField()}
	case *arrow.StructType:
		kids = t.Fields()
	}
	for _, k := range kids {
		out.Children = append(out.Children, fieldFromArrow(k))
	}
	return out
}

func sameField(got, want Field) bool {
	if got.Name != want.Name || got.Type != want.Type || got.Nullable != want.Nullable ||
		len(got.Children) != len(want.Children) {
		return false
	}
	for i := range want.Children {
		if !sameField(got.Children[i], want.Children[i]) {
			return false
		}
	}
	return true
}

func checkSchema(t *testing.T, s *arrow.Schema, want []Field) {
	if s == nil {
		t.Fatal("Schema() is nil")
	}
	if s.NumFields() != len(want) {
		t.Errorf("%d fields, LanceDB reads %d", s.NumFields(), len(want))
	}
	for i, w := range want {
		if i >= s.NumFields() {
			break
		}
		got := fieldFromArrow(s.Field(i))
		if !sameField(got, w) {
			t.Errorf("field %d: got %s, LanceDB reads %s", i, short(got), short(w))
		}
	}
}

func checkFragments(t *testing.T, fx *Fixture, ds *lance.Dataset, d *Dump, version uint64) {
	frags := ds.Fragments()
	var live int64
	for _, f := range frags {
		live += int64(f.PhysicalRows) - int64(f.DeletedRows)
	}
	if live != d.CountRows {
		t.Errorf("fragments hold %d live rows (physical − deleted), LanceDB counts %d", live, d.CountRows)
	}
	if d.Stats != nil && d.Stats.NumFragments != nil && version == 0 {
		if int64(len(frags)) != *d.Stats.NumFragments {
			t.Errorf("%d fragments, LanceDB stats report %d", len(frags), *d.Stats.NumFragments)
		}
	}
	if fx.Summary.Scenario != "deletes" {
		return
	}
	// The deletes history fixes the fragments (see write.mjs writeDeletes):
	// fragment 0 of 20000 rows and fragment 1 of 1000 rows; the fragment of
	// the last append was deleted entirely and is gone.
	// More than 5000 deleted rows are stored as a roaring bitmap, fewer as an
	// Arrow array.
	wantDeleted := map[uint64]uint64{0: 6000 + 1, 1: 3 + 10}
	wantKind := map[uint64]string{0: "bitmap", 1: "arrow"}
	if version == fx.Summary.OlderVersion {
		wantDeleted = map[uint64]uint64{0: 6000, 1: 0}
		wantKind = map[uint64]string{0: "bitmap", 1: ""}
	}
	if len(frags) != 2 {
		t.Fatalf("%d fragments, want 2", len(frags))
	}
	for _, f := range frags {
		want, ok := wantDeleted[f.ID]
		if !ok {
			t.Errorf("unexpected fragment %d", f.ID)
			continue
		}
		if f.DeletedRows != want {
			t.Errorf("fragment %d: %d deleted rows, want %d", f.ID, f.DeletedRows, want)
		}
		kind := ""
		if f.Deletion != nil {
			kind = f.Deletion.Kind
		}
		if kind != wantKind[f.ID] {
			t.Errorf("fragment %d: deletion file kind %q, want %q", f.ID, kind, wantKind[f.ID])
		}
		if f.PhysicalRows != map[uint64]uint64{0: 20000, 1: 1000}[f.ID] {
			t.Errorf("fragment %d: %d physical rows", f.ID, f.PhysicalRows)
		}
	}
}

func checkIndexes(t *testing.T, ds *lance.Dataset, d *Dump) {
	got := map[string][]string{}
	for _, ix := range ds.Indexes() {
		got[ix.Name] = ix.Columns
	}
	for _, w := range d.Indices {
		cols, ok := got[w.Name]
		if !ok {
			t.Errorf("index %q (%s on %v) that LanceDB lists is missing", w.Name, w.IndexType, w.Columns)
			continue
		}
		if fmt.Sprint(cols) != fmt.Sprint(w.Columns) {
			t.Errorf("index %q on %v, LanceDB says %v", w.Name, cols, w.Columns)
		}
		if w.Stats != nil {
			st, err := ds.IndexStatistics(context.Background(), w.Name)
			if err != nil {
				t.Errorf("IndexStatistics(%q): %v", w.Name, err)
			} else {
				ws := w.Stats
				if int64(st.IndexedRows) != ws.NumIndexedRows || int64(st.UnindexedRows) != ws.NumUnindexedRows {
					t.Errorf("index %q: %d indexed + %d unindexed rows, LanceDB %d + %d",
						w.Name, st.IndexedRows, st.UnindexedRows, ws.NumIndexedRows, ws.NumUnindexedRows)
				}
				if string(st.Type) != ws.IndexType {
					t.Errorf("index %q: type %q, LanceDB %q", w.Name, st.Type, ws.IndexType)
				}
				if ws.NumIndices != nil && int64(st.Segments) != *ws.NumIndices {
					t.Errorf("index %q: %d segments, LanceDB %d", w.Name, st.Segments, *ws.NumIndices)
				}
			}
		}
		delete(got, w.Name)
	}
	for name := range got {
		if name != "__lance_frag_reuse" {
			t.Errorf("index %q is not listed by LanceDB", name)
		}
	}
}

func checkRows(t *testing.T, ds *lance.Dataset, d *Dump) {
	ctx := context.Background()
	col := make(map[string]int, len(d.Columns))
	for i, c := range d.Columns {
		col[c] = i
	}
	rowid, ok := col["_rowid"]
	if !ok {
		t.Fatalf("dump has no _rowid column: %v", d.Columns)
	}
	want := make(map[uint64][]any, len(d.Rows))
	for _, r := range d.Rows {
		s, _ := r[rowid].(string)
		a, err := strconv.ParseUint(s, 10, 64)
		if err != nil || len(r) != len(d.Columns) {
			t.Fatalf("malformed dump row: %v", short(r))
		}
		want[a] = r
	}
	seen := make(map[uint64]bool, len(want))
	mismatches := map[string]int{}
	const maxPerColumn = 5
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{WithRowAddress: true, BatchSize: 4096}) {
		skipIfUnsupported(t, ds, "Scan", err)
		addrIdx := rec.Schema().FieldIndices(lance.RowAddressColumn)
		if len(addrIdx) != 1 {
			t.Fatalf("scan output has no %s column: %s", lance.RowAddressColumn, rec.Schema())
		}
		addrs := rec.Column(addrIdx[0])
		for i := 0; i < int(rec.NumRows()); i++ {
			a, err := strconv.ParseUint(canon(addrs, i).(string), 10, 64)
			if err != nil {
				t.Fatalf("row address: %v", err)
			}
			if seen[a] {
				t.Errorf("row address %d scanned twice", a)
			}
			seen[a] = true
			w, ok := want[a]
			if !ok {
				if mismatches["<extra>"]++; mismatches["<extra>"] <= maxPerColumn {
					t.Errorf("row at address %d (fragment %d, offset %d) is not read by LanceDB (deleted?)", a, a>>32, a&0xffffffff)
				}
				continue
			}
			for c, f := range rec.Schema().Fields() {
				if f.Name == lance.RowAddressColumn {
					continue
				}
				wc, ok := col[f.Name]
				if !ok {
					t.Fatalf("column %s is not read by LanceDB", f.Name)
				}
				got := canon(rec.Column(c), i)
				if !sameValue(got, w[wc]) {
					if mismatches[f.Name]++; mismatches[f.Name] <= maxPerColumn {
						t.Errorf("row %d column %s: got %s, LanceDB reads %s", a, f.Name, short(got), short(w[wc]))
					}
				}
			}
		}
	}
	if len(seen) != len(want) {
		var missing []uint64
		for a := range want {
			if !seen[a] {
				missing = append(missing, a)
			}
		}
		sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
		if len(missing) > 5 {
			missing = missing[:5]
		}
		t.Errorf("scanned %d rows, LanceDB reads %d (first missing addresses: %v)", len(seen), len(want), missing)
	}
	for col, n := range mismatches {
		if n > maxPerColumn {
			t.Errorf("column %s: %d mismatching rows in all", col, n)
		}
	}
}

func checkSearches(t *testing.T, fx *Fixture, ds *lance.Dataset, d *Dump) {
	for i, s := range d.Searches {
		checkSearch(t, fx, ds, fmt.Sprintf("search %d (%s)", i, s.Metric), s, nil)
	}
}

// checkSearch runs one exact search and compares it with LanceDB's: the
// distances position by position, and the rows (id and row address) as
// sets, allowing rows tied with the k-th distance to differ.
func checkSearch(t *testing.T, fx *Fixture, ds *lance.Dataset, label string, s Search, filter expr.Expr) {
	t.Helper()
	idCol := fx.Summary.IDColumn
	opts := lance.SearchOptions{
		Column:         fx.Summary.VectorColumn,
		Query:          s.Query,
		K:              s.K,
		Metric:         lance.Metric(s.Metric),
		Columns:        []string{idCol},
		Filter:         filter,
		WithRowAddress: true,
		// LanceDB's results are exact (bypassVectorIndex), so are these...
		BypassVectorIndex: true,
	}
	if s.NProbes > 0 {
		// ... unless LanceDB searched through the index.
		opts.BypassVectorIndex = false
		opts.NProbes = s.NProbes
		opts.RefineFactor = s.RefineFactor
		if s.RefineFactor == 0 {
			opts.RefineFactor = -1
		}
	}
	rec, err := ds.Search(context.Background(), opts)
	skipIfUnsupported(t, ds, "Search", err)
	defer rec.Release()
	ids := rec.Schema().FieldIndices(idCol)
	dists := rec.Schema().FieldIndices("_distance")
	addrs := rec.Schema().FieldIndices(lance.RowAddressColumn)
	if len(ids) != 1 || len(dists) != 1 || len(addrs) != 1 {
		t.Fatalf("%s: result lacks %s, _distance or %s: %s", label, idCol, lance.RowAddressColumn, rec.Schema())
	}
	if int(rec.NumRows()) != len(s.Results) {
		t.Errorf("%s: %d results, LanceDB returns %d", label, rec.NumRows(), len(s.Results))
	}
	n := min(int(rec.NumRows()), len(s.Results))
	gotRows := map[string]float64{}
	wantRows := map[string]float64{}
	var kth float64
	for j := 0; j < n; j++ {
		gd := canon(rec.Column(dists[0]), j).(float64)
		wd, _ := s.Results[j]["_distance"].(json.Number)
		wf, err := wd.Float64()
		if err != nil {
			t.Fatalf("%s: LanceDB distance %v: %v", label, s.Results[j]["_distance"], err)
		}
		if !closeDist(gd, wf) {
			t.Errorf("%s: distance %d = %v, LanceDB %v", label, j, gd, wf)
		}
		// A row is named by id and row address (LanceDB's _rowid without
		// stable row ids).
		gotRows[fmt.Sprint(canon(rec.Column(ids[0]), j), "@", canon(rec.Column(addrs[0]), j))] = gd
		wantRows[fmt.Sprint(s.Results[j][idCol], "@", s.Results[j]["_rowid"])] = wf
		kth = wf
	}
	for row, wf := range wantRows {
		if _, ok := gotRows[row]; !ok && !closeDist(wf, kth) {
			t.Errorf("%s: LanceDB returns row %s (distance %v), Go does not", label, row, wf)
		}
	}
	for row, gf := range gotRows {
		if _, ok := wantRows[row]; !ok && !closeDist(gf, kth) {
			t.Errorf("%s: Go returns row %s (distance %v), LanceDB does not", label, row, gf)
		}
	}
}

// checkIndexedSearches runs the searches LanceDB answered through its
// IVF_PQ index with the same parameters. Approximate results legitimately
// differ between implementations, so what must hold is quality: recall@k
// against the exact results at least LanceDB's, less one row.
func checkIndexedSearches(t *testing.T, fx *Fixture, ds *lance.Dataset, d *Dump) {
	ctx := context.Background()
	exact := map[string]Search{}
	for _, s := range d.Searches {
		if s.Metric == "l2" {
			exact[fmt.Sprint(s.Query)] = s
		}
	}
	idCol := fx.Summary.IDColumn
	for i, s := range d.ANNSearches {
		ex, ok := exact[fmt.Sprint(s.Query)]
		if !ok {
			t.Fatalf("indexed search %d has no exact counterpart", i)
		}
		truth := map[string]bool{}
		for _, r := range ex.Results {
			truth[fmt.Sprint(r["_rowid"])] = true
		}
		lanceHits := 0
		for _, r := range s.Results {
			if truth[fmt.Sprint(r["_rowid"])] {
				lanceHits++
			}
		}
		rec, err := ds.Search(ctx, lance.SearchOptions{
			Column: fx.Summary.VectorColumn, Query: s.Query, K: s.K, Metric: lance.Metric(s.Metric),
			Columns: []string{idCol}, WithRowAddress: true, NProbes: s.NProbes, RefineFactor: s.RefineFactor,
		})
		skipIfUnsupported(t, ds, "indexed Search", err)
		addrs := rec.Column(rec.Schema().FieldIndices(lance.RowAddressColumn)[0])
		goHits := 0
		for j := 0; j < int(rec.NumRows()); j++ {
			if truth[fmt.Sprint(canon(addrs, j))] {
				goHits++
			}
		}
		if int(rec.NumRows()) != len(s.Results) {
			t.Errorf("indexed search %d: %d results, LanceDB returns %d", i, rec.NumRows(), len(s.Results))
		}
		if goHits < lanceHits-1 {
			t.Errorf("indexed search %d (nprobes %d, refine factor %d): recall %d/%d, LanceDB %d/%d",
				i, s.NProbes, s.RefineFactor, goHits, len(truth), lanceHits, len(truth))
		}
		rec.Release()
	}
}

// closeDist compares distances with a relative tolerance of 1e-4 (absolute
// near zero): both sides sum float32 products in different orders.
func closeDist(a, b float64) bool {
	if closeRel(a, b, 1e-4) {
		return true
	}
	d := a - b
	return d < 1e-5 && d > -1e-5
}

func checkVersions(t *testing.T, fx *Fixture) {
	ds := open(t, fx, 0)
	vs, err := ds.Versions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := fx.Latest.Versions
	if len(vs) != len(want) {
		t.Errorf("%d versions, LanceDB lists %d", len(vs), len(want))
	}
	for i := 0; i < min(len(vs), len(want)); i++ {
		if vs[i].Version != want[i].Version {
			t.Errorf("version %d: %d, LanceDB %d", i, vs[i].Version, want[i].Version)
			continue
		}
		if want[i].TimestampMS != nil {
			got := vs[i].Timestamp.UnixMilli()
			if d := got - *want[i].TimestampMS; d > 1 || d < -1 {
				t.Errorf("version %d timestamp %d ms, LanceDB %d ms", vs[i].Version, got, *want[i].TimestampMS)
			}
		}
	}
	// Every write in the history produced the version it reported.
	for _, op := range fx.Summary.Ops {
		old, err := ds.Checkout(context.Background(), op.Version)
		if err != nil {
			t.Errorf("checkout version %d (%s): %v", op.Version, op.Op, err)
			continue
		}
		if old.Version() != op.Version {
			t.Errorf("checkout version %d reads version %d", op.Version, old.Version())
		}
		old.Close()
	}
}

// checkTake fetches every 7th row LanceDB reads, in reverse order, by row
// address, and compares the values.
func checkTake(t *testing.T, ds *lance.Dataset, d *Dump) {
	rowid := len(d.Columns) - 1
	if rowid < 0 || d.Columns[rowid] != "_rowid" {
		t.Fatalf("dump columns %v do not end with _rowid", d.Columns)
	}
	var addrs []uint64
	var want [][]any
	for i := len(d.Rows) - 1; i >= 0; i -= 7 {
		a, err := strconv.ParseUint(d.Rows[i][rowid].(string), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
		want = append(want, d.Rows[i])
	}
	cols := d.Columns[:rowid]
	rec, err := ds.Take(context.Background(), addrs, cols)
	skipIfUnsupported(t, ds, "Take", err)
	defer rec.Release()
	if int(rec.NumRows()) != len(addrs) {
		t.Fatalf("Take of %d addresses returned %d rows", len(addrs), rec.NumRows())
	}
	bad := 0
	for c, name := range cols {
		if rec.Schema().Field(c).Name != name {
			t.Fatalf("Take column %d is %s, want %s", c, rec.Schema().Field(c).Name, name)
		}
		for i := range addrs {
			if got := canon(rec.Column(c), i); !sameValue(got, want[i][c]) {
				if bad++; bad <= 10 {
					t.Errorf("Take row %d column %s: got %s, LanceDB reads %s", addrs[i], name, short(got), short(want[i][c]))
				}
			}
		}
	}
}
