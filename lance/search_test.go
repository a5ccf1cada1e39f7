package lance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/expr"
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
