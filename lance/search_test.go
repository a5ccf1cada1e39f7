package lance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/format"
)

// TestSearchMatchesLanceDB runs every search LanceDB ran on the fixture
// (tbl.search(q).distanceType(m).bypassVectorIndex().limit(k), with and
// without a prefilter) and compares rows, order and distances.
func TestSearchMatchesLanceDB(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	for _, s := range fx.Searches {
		where := "none"
		if s.Where != nil {
			where = *s.Where
		}
		t.Run(fmt.Sprintf("%s/q%d/%s", s.Metric, s.Query, where), func(t *testing.T) {
			rec, err := ds.Search(context.Background(), SearchOptions{
				Query:          fx.Queries[s.Query],
				K:              s.K,
				Metric:         Metric(s.Metric),
				Columns:        []string{"id", "n"},
				Filter:         whereExpr(t, s.Where),
				WithRowAddress: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			names := []string{"id", "n", DistanceColumn, RowAddressColumn}
			for i, n := range names {
				if rec.ColumnName(i) != n {
					t.Fatalf("result schema %s, want %v", rec.Schema(), names)
				}
			}
			if int(rec.NumRows()) != len(s.Results) {
				t.Fatalf("%d results, LanceDB %d", rec.NumRows(), len(s.Results))
			}
			ids := rec.Column(0).(*array.String)
			dist := rec.Column(2).(*array.Float32)
			addr := rec.Column(3).(*array.Uint64)
			for i, w := range s.Results {
				if ids.Value(i) != w.ID || addr.Value(i) != w.RowID {
					t.Errorf("result %d = %s @%d, LanceDB %s @%d", i, ids.Value(i), addr.Value(i), w.ID, w.RowID)
				}
				if d := dist.Value(i); math.Abs(float64(d-w.Distance)) > 1e-5*max(1, math.Abs(float64(w.Distance))) {
					t.Errorf("result %d distance %v, LanceDB %v", i, d, w.Distance)
				}
			}
		})
	}
}

func TestSearchOptions(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	ctx := context.Background()
	q := fx.Queries[0]
	if _, err := ds.Search(ctx, SearchOptions{Query: q[:3]}); !errors.Is(err, ErrDimensionMismatch) {
		t.Errorf("short query: %v, want ErrDimensionMismatch", err)
	}
	for _, opts := range []SearchOptions{
		{Query: q, Column: "id"},
		{Query: q, Column: "nope"},
		{Query: q, Metric: "hamming"},
		{Query: q, K: -1},
		{Query: q, Columns: []string{"nope"}},
		{Query: q, Filter: expr.Col("n").Eq("x")},
	} {
		if _, err := ds.Search(ctx, opts); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v: %v, want ErrInvalidArgument", opts, err)
		}
	}
	// Defaults: the only vector column, l2, K = 10, every column.
	rec, err := ds.Search(ctx, SearchOptions{Query: q})
	if err != nil {
		t.Fatal(err)
	}
	if rec.NumRows() != DefaultK || int(rec.NumCols()) != ds.Schema().NumFields()+1 {
		t.Errorf("default search: %d rows, %d columns", rec.NumRows(), rec.NumCols())
	}
	// The l2 searches of the fixture give the 7 nearest; the default
	// search must agree on them.
	want := fx.Searches[0]
	if want.Metric != "l2" || want.Where != nil || want.Query != 0 {
		t.Fatal("fixture order changed")
	}
	ids := rec.Column(0).(*array.String)
	for i, w := range want.Results {
		if ids.Value(i) != w.ID {
			t.Errorf("default search result %d = %s, want %s", i, ids.Value(i), w.ID)
		}
	}
	// K larger than the table returns every live row.
	rec, err = ds.Search(ctx, SearchOptions{Query: q, K: 10000, Columns: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := ds.CountRows(ctx); rec.NumRows() != n {
		t.Errorf("K=10000 gave %d rows, table has %d", rec.NumRows(), n)
	}
	d := rec.Column(0).(*array.Float32).Float32Values()
	for i := 1; i < len(d); i++ {
		if d[i] < d[i-1] {
			t.Fatalf("distances not ascending at %d: %v < %v", i, d[i], d[i-1])
		}
	}
}

func TestBlockRanges(t *testing.T) {
	for _, tt := range []struct {
		ends      []uint64
		rows, max uint64
		want      string
	}{
		{nil, 10, 4, "[[0 4] [4 8] [8 10]]"},
		{[]uint64{3, 10}, 10, 4, "[[0 3] [3 7] [7 10]]"},
		{[]uint64{3, 9}, 10, 100, "[[0 10]]"}, // pages that do not tile the rows are ignored
		{[]uint64{5, 10}, 10, 5, "[[0 5] [5 10]]"},
	} {
		if got := fmt.Sprint(blockRanges(tt.ends, tt.rows, tt.max)); got != tt.want {
			t.Errorf("blockRanges(%v, %d, %d) = %s, want %s", tt.ends, tt.rows, tt.max, got, tt.want)
		}
	}
}

// Exact search reads plainly stored vectors straight into pooled buffers;
// the results must equal those of the decoding path (taken here because a
// filter needs other columns), with deletions, in both file formats.
func TestSearchPlainVectorsMatchDecoded(t *testing.T) {
	ctx := context.Background()
	const dim = 64
	for _, sv := range []string{"2.0", "2.2"} {
		t.Run(sv, func(t *testing.T) {
			rows := clusteredRows("v", 900, dim, 7)
			d := mustCreate(t, tempTable(t), dim, rows[:300], CreateOptions{DataStorageVersion: sv})
			for _, part := range [][]resonaRow{rows[300:600], rows[600:]} {
				nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, part)})
				if err != nil {
					t.Fatal(err)
				}
				d = nd
				t.Cleanup(func() { nd.Close() })
			}
			nd, _, err := d.Delete(ctx, expr.Col("id").In("v3", "v301", "v302", "v899"))
			if err != nil {
				t.Fatal(err)
			}
			d = nd
			t.Cleanup(func() { nd.Close() })

			fr, err := d.openFragment(ctx, &d.m.Fragments[0], []*format.Field{d.m.Schema.Fields[8]})
			if err != nil {
				t.Fatal(err)
			}
			_, plain, err := fr.files[fr.locs[0].file].r.PlainFixedSizeList(fr.locs[0].column, dim, 32, 0, 10)
			fr.close()
			if err != nil || !plain {
				t.Fatalf("vectors of a %s file not read plainly (%v)", sv, err)
			}
			for qi := 0; qi < 20; qi++ {
				q := rows[qi*41].Vector
				for _, m := range []Metric{MetricL2, MetricCosine, MetricDot} {
					fast := searchRows(t, d, SearchOptions{Query: q, K: 15, Metric: m, Columns: []string{"id"}})
					slow := searchRows(t, d, SearchOptions{Query: q, K: 15, Metric: m, Columns: []string{"id"}, Filter: expr.Col("id").IsNotNull()})
					if len(fast) != 15 || fmt.Sprint(fast) != fmt.Sprint(slow) {
						t.Fatalf("query %d %s: plain %v, decoded %v", qi, m, fast, slow)
					}
					for _, r := range fast {
						if r.id == "v3" || r.id == "v301" || r.id == "v302" || r.id == "v899" {
							t.Fatalf("deleted row %s found", r.id)
						}
					}
				}
			}
		})
	}
}

type searchRow struct {
	id   string
	dist float32
}

func searchRows(t *testing.T, d *Dataset, opts SearchOptions) []searchRow {
	t.Helper()
	rec, err := d.Search(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	ids := rec.Column(0).(*array.String)
	dist := rec.Column(1).(*array.Float32)
	out := make([]searchRow, ids.Len())
	for i := range out {
		out[i] = searchRow{ids.Value(i), dist.Value(i)}
	}
	return out
}

// The vectors of the table LanceDB 0.13 wrote (format 2.0) are read
// plainly; TestSearchMatchesLanceDB checks the results against LanceDB's.
// (The 0.39 fixture's 8-dimensional vectors are mini-block pages, which are
// decoded; the interop scenario "wide" compares searches over the full-zip
// pages LanceDB 0.39 writes for 1024-dimensional vectors.)
func TestPlainVectorsInLanceDBFiles(t *testing.T) {
	ctx := context.Background()
	path, _ := loadFixture(t, "v13")
	d := openT(t, path)
	vf, err := d.vectorField("")
	if err != nil {
		t.Fatal(err)
	}
	dim := int(vf.Type.(*arrow.FixedSizeListType).Len())
	plain, pages := 0, 0
	for i := range d.m.Fragments {
		fr, err := d.openFragment(ctx, &d.m.Fragments[i], []*format.Field{vf})
		if err != nil {
			t.Fatal(err)
		}
		if l := &fr.locs[0]; l.file >= 0 {
			r := fr.files[l.file].r
			for _, pg := range r.Column(l.column).Pages {
				pages++
				_, ok, err := r.PlainFixedSizeList(l.column, dim, 32, pg.FirstRow, pg.FirstRow+pg.NumRows)
				if err != nil {
					t.Fatalf("fragment %d: %v", d.m.Fragments[i].ID, err)
				}
				if ok {
					plain++
				}
			}
		}
		fr.close()
	}
	if plain == 0 {
		t.Errorf("none of %d vector pages is read plainly", pages)
	}
}
