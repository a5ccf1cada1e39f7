package expr_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// testBatch has 5 rows:
//
//	id    cat    n    f     b      u
//	a     x      1    0.5   true   1
//	b     null   2    NaN   false  2
//	c     y      3    null  null   18446744073709551615
//	null  x      -4   -1    true   0
//	e     y      5    2.5   false  5
func testBatch(t *testing.T) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "cat", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "u", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "v", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b", "c", "", "e"}, []bool{true, true, true, false, true})
	db := b.Field(1).(*array.BinaryDictionaryBuilder)
	for _, s := range []string{"x", "", "y", "x", "y"} {
		if s == "" {
			db.AppendNull()
		} else if err := db.AppendString(s); err != nil {
			t.Fatal(err)
		}
	}
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, -4, 5}, nil)
	b.Field(3).(*array.Float64Builder).AppendValues([]float64{0.5, math.NaN(), 0, -1, 2.5}, []bool{true, true, false, true, true})
	b.Field(4).(*array.BooleanBuilder).AppendValues([]bool{true, false, false, true, false}, []bool{true, true, false, true, true})
	b.Field(5).(*array.Uint64Builder).AppendValues([]uint64{1, 2, math.MaxUint64, 0, 5}, nil)
	vb := b.Field(6).(*array.FixedSizeListBuilder)
	for range 5 {
		vb.Append(true)
		vb.ValueBuilder().(*array.Float32Builder).AppendValues([]float32{1, 2}, nil)
	}
	rec := b.NewRecordBatch()
	t.Cleanup(rec.Release)
	return rec
}

func sel(rows ...int) []bool {
	out := make([]bool, 5)
	for _, r := range rows {
		out[r] = true
	}
	return out
}

func TestEval(t *testing.T) {
	rec := testBatch(t)
	tests := []struct {
		e    expr.Expr
		want []bool
		sql  string
	}{
		{expr.Col("id").Eq("a"), sel(0), "id = 'a'"},
		{expr.Col("id").Ne("a"), sel(1, 2, 4), "id != 'a'"},
		{expr.Col("id").Lt("c"), sel(0, 1), "id < 'c'"},
		{expr.Col("id").Ge("c"), sel(2, 4), "id >= 'c'"},
		{expr.Col("id").In("a", "e", "zz"), sel(0, 4), "id IN ('a', 'e', 'zz')"},
		{expr.Col("id").In(), sel(), "false"},
		{expr.Not(expr.Col("id").In()), sel(0, 1, 2, 3, 4), "NOT (false)"},
		{expr.Col("id").IsNull(), sel(3), "id IS NULL"},
		{expr.Col("id").IsNotNull(), sel(0, 1, 2, 4), "id IS NOT NULL"},
		{expr.Col("cat").Eq("x"), sel(0, 3), "cat = 'x'"},
		{expr.Not(expr.Col("cat").Eq("x")), sel(2, 4), "NOT (cat = 'x')"},
		{expr.Col("cat").IsNull(), sel(1), "cat IS NULL"},
		{expr.Col("n").Gt(2), sel(2, 4), "n > 2"},
		{expr.Col("n").Le(int32(-4)), sel(3), "n <= -4"},
		{expr.Col("n").Lt(2.5), sel(0, 1, 3), "n < 2.5"},
		{expr.Col("n").Lt(uint64(math.MaxUint64)), sel(0, 1, 2, 3, 4), "n < 18446744073709551615"},
		{expr.Col("n").In(1, int64(5), 3.0), sel(0, 2, 4), "n IN (1, 5, 3.0)"},
		{expr.Col("u").Gt(-1), sel(0, 1, 2, 3, 4), "u > -1"},
		{expr.Col("u").Eq(uint64(math.MaxUint64)), sel(2), "u = 18446744073709551615"},
		{expr.Col("u").Le(2), sel(0, 1, 3), "u <= 2"},
		{expr.Col("f").Gt(1), sel(1, 4), "f > 1"},
		{expr.Col("f").Eq(math.NaN()), sel(1), "f = CAST('NaN' AS DOUBLE)"},
		{expr.Col("f").Ge(float32(-1)), sel(0, 1, 3, 4), "f >= -1.0"},
		{expr.Col("b").Eq(true), sel(0, 3), "b = true"},
		{expr.Not(expr.Col("b").Eq(true)), sel(1, 4), "NOT (b = true)"},
		{expr.And(expr.Col("n").Gt(1), expr.Col("cat").Eq("y")), sel(2, 4), "(n > 1 AND cat = 'y')"},
		{expr.Or(expr.Col("n").Eq(1), expr.Col("cat").Eq("y")), sel(0, 2, 4), "(n = 1 OR cat = 'y')"},
		// Kleene logic: unknown OR true = true; unknown AND false = false.
		{expr.Or(expr.Col("b").Eq(true), expr.Col("n").Eq(3)), sel(0, 2, 3), "(b = true OR n = 3)"},
		{expr.Not(expr.And(expr.Col("b").Eq(true), expr.Col("n").Eq(1))), sel(1, 2, 3, 4), "NOT ((b = true AND n = 1))"},
		{expr.Not(expr.And(expr.Col("b").Eq(true), expr.Col("n").Eq(3))), sel(0, 1, 3, 4), "NOT ((b = true AND n = 3))"},
		{expr.Not(expr.Or(expr.Col("b").Eq(false), expr.Col("n").Eq(1))), sel(3), "NOT ((b = false OR n = 1))"},
		{expr.And(), sel(0, 1, 2, 3, 4), "true"},
		{expr.Or(), sel(), "false"},
		{expr.And(expr.Col("n").Gt(0)), sel(0, 1, 2, 4), "n > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			got, err := tt.e.Eval(rec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
			if s := tt.e.String(); s != tt.sql {
				t.Errorf("String = %q, want %q", s, tt.sql)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	rec := testBatch(t)
	for _, e := range []expr.Expr{
		expr.Col("missing").Eq(1),
		expr.Col("id").Eq(1),
		expr.Col("n").Eq("1"),
		expr.Col("b").Gt(1),
		expr.Col("f").In(1, "x"),
		expr.Col("id").Eq(nil),
		expr.Col("id").Eq([]byte("a")),
		expr.Col("v").Eq(1),
		expr.And(expr.Col("n").Gt(1), expr.Col("nope").IsNull()),
		expr.Not(nil),
		expr.Or(nil),
		expr.Col("cat").Eq(3),
	} {
		if _, err := e.Eval(rec); !errors.Is(err, lanceerr.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", e, err)
		}
	}
}

func TestColumns(t *testing.T) {
	e := expr.And(expr.Col("b").Eq(true), expr.Or(expr.Col("a").IsNull(), expr.Not(expr.Col("b").In(1))), expr.Col("c").Lt(2))
	if got, want := e.Columns(), []string{"b", "a", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Columns = %v, want %v", got, want)
	}
}

func TestQuoting(t *testing.T) {
	for _, tt := range []struct {
		e    expr.Expr
		want string
	}{
		{expr.Col("textHash").Eq("it's"), "`textHash` = 'it''s'"},
		{expr.Col("select").IsNull(), "`select` IS NULL"},
		{expr.Col("a b").Eq(1), "`a b` = 1"},
		{expr.Col("created_at").Ge(1.7e12), "created_at >= 1.7e+12"},
	} {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
	}
}

func TestInspect(t *testing.T) {
	c, ok := expr.AsComparison(expr.Col("id").Eq("x"))
	if !ok || c != (expr.Comparison{Column: "id", Op: expr.OpEq, Value: "x"}) {
		t.Errorf("AsComparison = %+v, %v", c, ok)
	}
	c, ok = expr.AsComparison(expr.Col("n").Ge(int32(3)))
	if !ok || c.Value != int64(3) || c.Op != expr.OpGe {
		t.Errorf("AsComparison(n >= 3) = %+v, %v", c, ok)
	}
	if _, ok := expr.AsComparison(expr.Col("id").Eq([]int{1})); ok {
		t.Error("AsComparison accepted an invalid literal")
	}
	if _, ok := expr.AsComparison(expr.Col("id").IsNull()); ok {
		t.Error("AsComparison accepted IS NULL")
	}
	col, vals, ok := expr.AsIn(expr.Col("id").In("a", 2, 2.5, true))
	if !ok || col != "id" || !reflect.DeepEqual(vals, []any{"a", int64(2), 2.5, true}) {
		t.Errorf("AsIn = %q, %v, %v", col, vals, ok)
	}
	a, b, c2 := expr.Col("a").Eq(1), expr.Col("b").Eq(2), expr.Col("c").Eq(3)
	if got := expr.Conjuncts(expr.And(a, expr.And(b, c2))); len(got) != 3 || got[0] != a || got[1] != b || got[2] != c2 {
		t.Errorf("Conjuncts = %v", got)
	}
	or := expr.Or(a, b)
	if got := expr.Conjuncts(or); len(got) != 1 || got[0] != or {
		t.Errorf("Conjuncts(Or) = %v", got)
	}
}
