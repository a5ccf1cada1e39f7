package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// compare is `col op literal`.
type compare struct {
	col    string
	op     Op
	lit    literal
	litErr error // a literal that could not be normalised, reported by eval
	raw    any
}

func newCompare(col string, op Op, v any) *compare {
	l, err := newLiteral(v)
	return &compare{col: col, op: op, lit: l, litErr: err, raw: v}
}

func (c *compare) Eval(rec arrow.RecordBatch) ([]bool, error) { return evalExpr(c, rec) }
func (c *compare) Columns() []string                          { return columnsOf(c) }
func (c *compare) cols(dst []string) []string                 { return append(dst, c.col) }

func (c *compare) String() string {
	if c.litErr != nil {
		return fmt.Sprintf("%s %s <invalid %T>", quoteIdent(c.col), c.op, c.raw)
	}
	return quoteIdent(c.col) + " " + c.op.String() + " " + c.lit.sql()
}

func (c *compare) eval(rec arrow.RecordBatch) ([]bool, []bool, error) {
	if c.litErr != nil {
		return nil, nil, fmt.Errorf("%w (in %s)", c.litErr, quoteIdent(c.col))
	}
	arr, err := column(rec, c.col)
	if err != nil {
		return nil, nil, err
	}
	return matchRows(c.col, arr, c.op, []literal{c.lit})
}

// in is `col IN (lits...)`.
type in struct {
	col    string
	lits   []literal
	litErr error
}

func newIn(col string, values []any) *in {
	n := &in{col: col, lits: make([]literal, 0, len(values))}
	for _, v := range values {
		l, err := newLiteral(v)
		if err != nil {
			n.litErr = err
			break
		}
		n.lits = append(n.lits, l)
	}
	return n
}

func (n *in) Eval(rec arrow.RecordBatch) ([]bool, error) { return evalExpr(n, rec) }
func (n *in) Columns() []string                          { return columnsOf(n) }
func (n *in) cols(dst []string) []string                 { return append(dst, n.col) }

func (n *in) String() string {
	if n.litErr != nil {
		return quoteIdent(n.col) + " IN (<invalid>)"
	}
	if len(n.lits) == 0 {
		return "false"
	}
	parts := make([]string, len(n.lits))
	for i, l := range n.lits {
		parts[i] = l.sql()
	}
	return quoteIdent(n.col) + " IN (" + strings.Join(parts, ", ") + ")"
}

func (n *in) eval(rec arrow.RecordBatch) ([]bool, []bool, error) {
	if n.litErr != nil {
		return nil, nil, fmt.Errorf("%w (in %s IN (...))", n.litErr, quoteIdent(n.col))
	}
	arr, err := column(rec, n.col)
	if err != nil {
		return nil, nil, err
	}
	if len(n.lits) == 0 {
		rows := int(rec.NumRows())
		return make([]bool, rows), allTrue(rows), nil
	}
	return matchRows(n.col, arr, OpEq, n.lits)
}

// nullCheck is `col IS [NOT] NULL`.
type nullCheck struct {
	col      string
	wantNull bool
}

func (n *nullCheck) Eval(rec arrow.RecordBatch) ([]bool, error) { return evalExpr(n, rec) }
func (n *nullCheck) Columns() []string                          { return columnsOf(n) }
func (n *nullCheck) cols(dst []string) []string                 { return append(dst, n.col) }

func (n *nullCheck) String() string {
	if n.wantNull {
		return quoteIdent(n.col) + " IS NULL"
	}
	return quoteIdent(n.col) + " IS NOT NULL"
}

func (n *nullCheck) eval(rec arrow.RecordBatch) ([]bool, []bool, error) {
	arr, err := column(rec, n.col)
	if err != nil {
		return nil, nil, err
	}
	rows := arr.Len()
	val := make([]bool, rows)
	for i := range val {
		val[i] = arr.IsNull(i) == n.wantNull
	}
	return val, allTrue(rows), nil
}

func allTrue(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

// logical is a conjunction or disjunction.
type logical struct {
	and  bool
	args []Expr
}

// And is true where every argument is true; false where any is false;
// otherwise unknown. And() with no arguments is true.
func And(args ...Expr) Expr { return &logical{and: true, args: args} }

// Or is true where any argument is true; false where every one is false;
// otherwise unknown. Or() with no arguments is false.
func Or(args ...Expr) Expr { return &logical{and: false, args: args} }

func (l *logical) Eval(rec arrow.RecordBatch) ([]bool, error) { return evalExpr(l, rec) }
func (l *logical) Columns() []string                          { return columnsOf(l) }

func (l *logical) cols(dst []string) []string {
	for _, a := range l.args {
		if a != nil {
			dst = a.cols(dst)
		}
	}
	return dst
}

func (l *logical) String() string {
	if len(l.args) == 0 {
		if l.and {
			return "true"
		}
		return "false"
	}
	sep := " OR "
	if l.and {
		sep = " AND "
	}
	parts := make([]string, len(l.args))
	for i, a := range l.args {
		if a == nil {
			parts[i] = "<nil>"
			continue
		}
		parts[i] = a.String()
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func (l *logical) eval(rec arrow.RecordBatch) ([]bool, []bool, error) {
	rows := int(rec.NumRows())
	// Start from the identity: TRUE for AND, FALSE for OR.
	val := make([]bool, rows)
	known := allTrue(rows)
	if l.and {
		copy(val, known)
	}
	for _, a := range l.args {
		if a == nil {
			return nil, nil, fmt.Errorf("%w: expr: nil operand of %s", lanceerr.ErrInvalidArgument, l.name())
		}
		av, ak, err := a.eval(rec)
		if err != nil {
			return nil, nil, err
		}
		if len(av) != rows || len(ak) != rows {
			return nil, nil, fmt.Errorf("%w: expr: operand %s gave %d rows, batch has %d", lanceerr.ErrInvalidArgument, a, len(av), rows)
		}
		for i := 0; i < rows; i++ {
			// Kleene logic: a decided operand (false for AND, true for
			// OR) decides the result whatever the others are.
			switch {
			case known[i] && val[i] != l.and:
				// already decided
			case ak[i] && av[i] != l.and:
				val[i], known[i] = av[i], true
			case !ak[i]:
				known[i] = false
			}
		}
	}
	return val, known, nil
}

func (l *logical) name() string {
	if l.and {
		return "And"
	}
	return "Or"
}

// not negates its argument; unknown stays unknown.
type not struct {
	arg Expr
}

// Not is true where e is false, false where e is true, and unknown where e
// is unknown (for example a comparison on a null).
func Not(e Expr) Expr { return &not{arg: e} }

func (n *not) Eval(rec arrow.RecordBatch) ([]bool, error) { return evalExpr(n, rec) }
func (n *not) Columns() []string                          { return columnsOf(n) }

func (n *not) cols(dst []string) []string {
	if n.arg == nil {
		return dst
	}
	return n.arg.cols(dst)
}

func (n *not) String() string {
	if n.arg == nil {
		return "NOT (<nil>)"
	}
	return "NOT (" + n.arg.String() + ")"
}

func (n *not) eval(rec arrow.RecordBatch) ([]bool, []bool, error) {
	if n.arg == nil {
		return nil, nil, fmt.Errorf("%w: expr: Not(nil)", lanceerr.ErrInvalidArgument)
	}
	val, known, err := n.arg.eval(rec)
	if err != nil {
		return nil, nil, err
	}
	out := make([]bool, len(val))
	for i := range val {
		out[i] = !val[i]
	}
	return out, known, nil
}
