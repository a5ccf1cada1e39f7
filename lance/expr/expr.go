// Package expr is a small typed expression language for row filters on Lance
// tables. Filters are built from Go values rather than parsed from SQL:
//
//	f := expr.And(
//		expr.Col("model").Eq("nomic-embed-text"),
//		expr.Col("created_at").Ge(1.7e12),
//		expr.Not(expr.Col("id").In("a", "b")),
//	)
//
// An Expr evaluates on an Arrow record batch to a selection: one bool per row,
// true where the predicate holds. Evaluation follows SQL's three-valued logic,
// as LanceDB's filters do: a comparison involving a null is unknown, NOT
// unknown is unknown, and only rows where the whole predicate is true are
// selected. So Not(Col("c").Eq("x")) does not select rows whose c is null.
//
// Literal values may be string, bool, any Go integer type, float32 or
// float64. Integer and float literals compare with any numeric column;
// strings compare with utf8 columns, bools with bool columns. A mismatch, an
// unsupported literal type or a column missing from the batch is reported
// when the expression is evaluated, as an error wrapping
// lanceerr.ErrInvalidArgument (re-exported as lance.ErrInvalidArgument).
//
// Floating-point comparisons order NaN above every other value and equal to
// itself, as Arrow's comparison kernels (and so LanceDB) do.
//
// String renders the expression in the SQL dialect LanceDB accepts for its
// `where` filters, so a filter can be logged or handed to LanceDB unchanged.
//
// Expressions are independent of scanning: the same value filters a scan,
// counts rows, or selects the rows a delete or update touches. AsComparison,
// AsIn and Conjuncts let callers recognise predicates an index can answer.
package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Expr is a boolean expression over the columns of a record batch.
type Expr interface {
	// Eval evaluates the expression on every row of rec and returns one
	// bool per row: true where the expression is true (not false, not
	// unknown). Errors wrap lanceerr.ErrInvalidArgument.
	Eval(rec arrow.RecordBatch) ([]bool, error)
	// Columns lists the columns the expression reads, each once, in order
	// of first appearance.
	Columns() []string
	// String renders the expression as a LanceDB SQL filter.
	String() string

	// eval returns the three-valued result: val[i] is meaningful only
	// where known[i] is true.
	eval(rec arrow.RecordBatch) (val, known []bool, err error)
	// cols appends the referenced column names, possibly with repeats.
	cols(dst []string) []string
}

// Column names a column of the batch an expression is evaluated on. Build
// predicates with its methods.
type Column struct {
	name string
}

// Col refers to the top-level column called name.
func Col(name string) Column { return Column{name: name} }

// Name returns the column's name.
func (c Column) Name() string { return c.name }

// Eq is true where the column equals v.
func (c Column) Eq(v any) Expr { return newCompare(c.name, OpEq, v) }

// Ne is true where the column differs from v.
func (c Column) Ne(v any) Expr { return newCompare(c.name, OpNe, v) }

// Lt is true where the column is less than v.
func (c Column) Lt(v any) Expr { return newCompare(c.name, OpLt, v) }

// Le is true where the column is less than or equal to v.
func (c Column) Le(v any) Expr { return newCompare(c.name, OpLe, v) }

// Gt is true where the column is greater than v.
func (c Column) Gt(v any) Expr { return newCompare(c.name, OpGt, v) }

// Ge is true where the column is greater than or equal to v.
func (c Column) Ge(v any) Expr { return newCompare(c.name, OpGe, v) }

// In is true where the column equals one of values. With no values it is
// false on every row, nulls included.
func (c Column) In(values ...any) Expr { return newIn(c.name, values) }

// IsNull is true where the column is null. It is never unknown.
func (c Column) IsNull() Expr { return &nullCheck{col: c.name, wantNull: true} }

// IsNotNull is true where the column is not null. It is never unknown.
func (c Column) IsNotNull() Expr { return &nullCheck{col: c.name, wantNull: false} }

// Op is a comparison operator.
type Op int

// The comparison operators.
const (
	OpEq Op = iota
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
)

// String returns the operator's SQL spelling.
func (o Op) String() string {
	switch o {
	case OpEq:
		return "="
	case OpNe:
		return "!="
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	}
	return "?"
}

// holds reports whether a three-way comparison result c satisfies o.
func (o Op) holds(c int) bool {
	switch o {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	}
	return false
}

// Columns returns the distinct columns referenced by e, in order of first
// appearance. It is shared by every node's Columns method.
func columnsOf(e Expr) []string {
	all := e.cols(nil)
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, c := range all {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// selection collapses a three-valued result into the rows that are true.
func selection(val, known []bool) []bool {
	out := make([]bool, len(val))
	for i := range val {
		out[i] = val[i] && known[i]
	}
	return out
}

func evalExpr(e Expr, rec arrow.RecordBatch) ([]bool, error) {
	val, known, err := e.eval(rec)
	if err != nil {
		return nil, err
	}
	return selection(val, known), nil
}
