package expr

// Comparison describes a predicate `Column Op Value`, as built by Eq, Ne,
// Lt, Le, Gt and Ge. Value is normalised: string, bool, int64, uint64
// (only above math.MaxInt64) or float64.
type Comparison struct {
	Column string
	Op     Op
	Value  any
}

// AsComparison reports whether e is a single comparison with a valid
// literal, and describes it. Index-backed lookups use it to recognise
// predicates such as Col("id").Eq("x").
func AsComparison(e Expr) (Comparison, bool) {
	c, ok := e.(*compare)
	if !ok || c.litErr != nil {
		return Comparison{}, false
	}
	return Comparison{Column: c.col, Op: c.op, Value: c.lit.value()}, true
}

// AsIn reports whether e is Col(column).In(values...) with valid literals,
// and returns its column and normalised values.
func AsIn(e Expr) (column string, values []any, ok bool) {
	n, ok := e.(*in)
	if !ok || n.litErr != nil {
		return "", nil, false
	}
	values = make([]any, len(n.lits))
	for i, l := range n.lits {
		values[i] = l.value()
	}
	return n.col, values, true
}

// Conjuncts returns the operands of e if it is an And, flattening nested
// Ands, and otherwise e alone. A row satisfies e exactly when it satisfies
// every conjunct.
func Conjuncts(e Expr) []Expr {
	l, ok := e.(*logical)
	if !ok || !l.and {
		return []Expr{e}
	}
	var out []Expr
	for _, a := range l.args {
		out = append(out, Conjuncts(a)...)
	}
	return out
}

// value returns the literal as a plain Go value.
func (l literal) value() any {
	switch l.kind {
	case litString:
		return l.s
	case litInt:
		return l.i
	case litUint:
		return l.u
	case litFloat:
		return l.f
	case litBool:
		return l.b
	}
	return nil
}
