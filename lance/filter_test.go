package lance

import (
	"context"
	"testing"

	"github.com/resona-go/resona/lance/expr"
)

// TestFiltersMatchLanceDB counts rows with filters whose SQL rendering
// (expr's String) LanceDB evaluated on the same table: the rendering must
// be exactly the SQL LanceDB ran and the counts must agree, nulls (SQL's
// three-valued logic) included.
func TestFiltersMatchLanceDB(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	c := expr.Col
	filters := []expr.Expr{
		c("category").Ne("alpha"),
		expr.Not(c("category").Eq("alpha")),
		c("category").IsNull(),
		c("score").IsNotNull(),
		expr.Or(c("score").Gt(100.0), c("category").IsNull()),
		expr.Not(expr.Or(c("score").Gt(100.0), c("category").IsNull())),
		c("category").In("alpha", "gamma"),
		expr.Not(c("category").In("alpha", "gamma")),
		expr.And(c("flag").Eq(true), c("score").Le(50)),
		expr.Not(expr.And(c("flag").Eq(true), c("score").Le(50))),
		expr.And(c("n").Ge(10), c("n").Lt(20)),
		c("id").Gt("r250"),
		c("n2").In(0, 4, 8, 600),
		c("score").Eq(37.5),
	}
	if len(filters) != len(fx.Filters) {
		t.Fatalf("%d filters here, %d in the fixture", len(filters), len(fx.Filters))
	}
	for i, f := range filters {
		w := fx.Filters[i]
		if f.String() != w.SQL {
			t.Errorf("filter %d renders %q, LanceDB ran %q", i, f.String(), w.SQL)
		}
		n, err := ds.CountRows(context.Background(), f)
		if err != nil || n != w.Count {
			t.Errorf("CountRows(%s) = %d, %v; LanceDB %d", f, n, err, w.Count)
		}
	}
}
