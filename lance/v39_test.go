package lance

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/expr"
)

// TestLanceDB039 checks a table written by LanceDB 0.39 (format 2.2, V2
// manifest names, latest_version_hint.json): versions, timestamps, counts
// and indexes come from manifests alone and must match what LanceDB
// reported. Reading rows needs the 2.1/2.2 decoders; until they exist, a
// scan must fail with ErrUnsupported rather than return wrong data, and
// once they do, the rows must match LanceDB's.
func TestLanceDB039(t *testing.T) {
	path, fx := loadFixture(t, "v39")
	ctx := context.Background()
	ds := openT(t, path)
	if got := ds.DataStorageVersion(); got != "2.2" {
		t.Errorf("DataStorageVersion = %q, want 2.2", got)
	}
	vs, err := ds.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(fx.Versions) {
		t.Fatalf("%d versions, LanceDB lists %d", len(vs), len(fx.Versions))
	}
	for i, v := range vs {
		w := fx.Versions[i]
		if v.Version != w.Version || v.Timestamp.UnixMilli() != w.TimestampMs {
			t.Errorf("version %d at %d ms, LanceDB: version %d at %d ms", v.Version, v.Timestamp.UnixMilli(), w.Version, w.TimestampMs)
		}
	}
	ixs := ds.Indexes()
	if len(ixs) != 1 || ixs[0].Name != "n_idx" || ixs[0].Type != "btree" || fmt.Sprint(ixs[0].Columns) != "[n]" {
		t.Errorf("indexes = %+v, want n_idx btree on n", ixs)
	}
	for _, w := range fx.Versions {
		t.Run(fmt.Sprint("v", w.Version), func(t *testing.T) {
			ds := openT(t, path, WithVersion(w.Version))
			if n, err := ds.CountRows(ctx); err != nil || n != w.Count {
				t.Errorf("CountRows = %d, %v; LanceDB %d", n, err, w.Count)
			}
			n, err := ds.CountRows(ctx, expr.Col("category").Eq("alpha"))
			switch {
			case errors.Is(err, ErrUnsupported):
			case err != nil || n != w.CountAlpha:
				t.Errorf("CountRows(category = 'alpha') = %d, %v; LanceDB %d", n, err, w.CountAlpha)
			}
			got := table{}
			for rec, err := range ds.Scan(ctx, ScanOptions{WithRowAddress: true}) {
				if errors.Is(err, ErrUnsupported) {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				appendRecord(t, got, rec)
			}
			checkColumn(t, got, RowAddressColumn, valsToAny(column[uint64](t, w.Rows, "_rowid")))
			checkColumn(t, got, "id", ptrsToAny(column[*string](t, w.Rows, "id")))
			if _, ok := w.Rows["vector"]; ok {
				checkColumn(t, got, "category", ptrsToAny(column[*string](t, w.Rows, "category")))
				checkColumn(t, got, "n", ptrsToAny(column[*int64](t, w.Rows, "n")))
				checkColumn(t, got, "score", ptrsToAny(column[*float64](t, w.Rows, "score")))
				checkColumn(t, got, "flag", ptrsToAny(column[*bool](t, w.Rows, "flag")))
				checkColumn(t, got, "vector", valsToAny(column[[]float32](t, w.Rows, "vector")))
				checkColumn(t, got, "n2", ptrsToAny(column[*int64](t, w.Rows, "n2")))
			}
		})
	}
	for _, s := range fx.Searches {
		rec, err := ds.Search(ctx, SearchOptions{Query: fx.Queries[s.Query], K: s.K, Columns: []string{"id"}})
		if errors.Is(err, ErrUnsupported) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if int(rec.NumRows()) != len(s.Results) {
			t.Fatalf("%d results, LanceDB %d", rec.NumRows(), len(s.Results))
		}
		for i, w := range s.Results {
			if got := rec.Column(0).(*array.String).Value(i); got != w.ID {
				t.Errorf("query %d result %d = %s, LanceDB %s", s.Query, i, got, w.ID)
			}
		}
	}
}
