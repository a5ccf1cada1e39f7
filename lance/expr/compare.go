package expr

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// comparator returns the three-way comparison of row i of an array with a
// literal. It is only called on valid (non-null) rows.
type comparator func(i int) int

// compareFloat orders floats as Arrow's kernels do: NaN is equal to itself
// and greater than every other value.
func compareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp.Compare(a, b)
}

// compareIntLit compares a signed column value with a numeric literal.
func compareIntLit(v int64, l literal) int {
	switch l.kind {
	case litInt:
		return cmp.Compare(v, l.i)
	case litUint:
		return -1 // l.u > MaxInt64 >= v
	}
	return compareFloat(float64(v), l.f)
}

// compareUintLit compares an unsigned column value with a numeric literal.
func compareUintLit(v uint64, l literal) int {
	switch l.kind {
	case litInt:
		if l.i < 0 {
			return 1
		}
		return cmp.Compare(v, uint64(l.i))
	case litUint:
		return cmp.Compare(v, l.u)
	}
	return compareFloat(float64(v), l.f)
}

func mismatch(col string, dt arrow.DataType, l literal) error {
	return fmt.Errorf("%w: expr: column %q has type %s, cannot compare it with a %s literal %s",
		lanceerr.ErrInvalidArgument, col, dt, l.typeName(), l.sql())
}

// makeComparator builds the comparator of arr against l, checking that
// the types are compatible. Dictionary arrays are handled by the caller.
func makeComparator(col string, arr arrow.Array, l literal) (comparator, error) {
	switch a := arr.(type) {
	case *array.String:
		if l.kind != litString {
			return nil, mismatch(col, arr.DataType(), l)
		}
		return func(i int) int { return strings.Compare(a.Value(i), l.s) }, nil
	case *array.LargeString:
		if l.kind != litString {
			return nil, mismatch(col, arr.DataType(), l)
		}
		return func(i int) int { return strings.Compare(a.Value(i), l.s) }, nil
	case *array.StringView:
		if l.kind != litString {
			return nil, mismatch(col, arr.DataType(), l)
		}
		return func(i int) int { return strings.Compare(a.Value(i), l.s) }, nil
	case *array.Boolean:
		if l.kind != litBool {
			return nil, mismatch(col, arr.DataType(), l)
		}
		return func(i int) int { return compareBool(a.Value(i), l.b) }, nil
	case *array.Int8:
		return signedComparator(col, arr, l, func(i int) int64 { return int64(a.Value(i)) })
	case *array.Int16:
		return signedComparator(col, arr, l, func(i int) int64 { return int64(a.Value(i)) })
	case *array.Int32:
		return signedComparator(col, arr, l, func(i int) int64 { return int64(a.Value(i)) })
	case *array.Int64:
		return signedComparator(col, arr, l, a.Value)
	case *array.Uint8:
		return unsignedComparator(col, arr, l, func(i int) uint64 { return uint64(a.Value(i)) })
	case *array.Uint16:
		return unsignedComparator(col, arr, l, func(i int) uint64 { return uint64(a.Value(i)) })
	case *array.Uint32:
		return unsignedComparator(col, arr, l, func(i int) uint64 { return uint64(a.Value(i)) })
	case *array.Uint64:
		return unsignedComparator(col, arr, l, a.Value)
	case *array.Float16:
		return floatComparator(col, arr, l, func(i int) float64 { return float64(a.Value(i).Float32()) })
	case *array.Float32:
		return floatComparator(col, arr, l, func(i int) float64 { return float64(a.Value(i)) })
	case *array.Float64:
		return floatComparator(col, arr, l, a.Value)
	}
	return nil, fmt.Errorf("%w: expr: column %q has type %s, which filters cannot compare",
		lanceerr.ErrInvalidArgument, col, arr.DataType())
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func signedComparator(col string, arr arrow.Array, l literal, get func(int) int64) (comparator, error) {
	if !l.numeric() {
		return nil, mismatch(col, arr.DataType(), l)
	}
	return func(i int) int { return compareIntLit(get(i), l) }, nil
}

func unsignedComparator(col string, arr arrow.Array, l literal, get func(int) uint64) (comparator, error) {
	if !l.numeric() {
		return nil, mismatch(col, arr.DataType(), l)
	}
	return func(i int) int { return compareUintLit(get(i), l) }, nil
}

func floatComparator(col string, arr arrow.Array, l literal, get func(int) float64) (comparator, error) {
	if !l.numeric() {
		return nil, mismatch(col, arr.DataType(), l)
	}
	f := l.asFloat()
	return func(i int) int { return compareFloat(get(i), f) }, nil
}

// column looks name up in rec.
func column(rec arrow.RecordBatch, name string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	switch len(idx) {
	case 0:
		return nil, fmt.Errorf("%w: expr: unknown column %q (have %s)",
			lanceerr.ErrInvalidArgument, name, fieldNames(rec.Schema()))
	case 1:
		return rec.Column(idx[0]), nil
	}
	return nil, fmt.Errorf("%w: expr: column name %q is ambiguous", lanceerr.ErrInvalidArgument, name)
}

func fieldNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// matchRows evaluates, for every row of arr, whether it matches any of
// lits under op. Nulls are unknown. Dictionary arrays are evaluated once
// per dictionary entry.
func matchRows(col string, arr arrow.Array, op Op, lits []literal) (val, known []bool, err error) {
	n := arr.Len()
	val = make([]bool, n)
	known = make([]bool, n)
	if d, ok := arr.(*array.Dictionary); ok {
		dv, dk, err := matchRows(col, d.Dictionary(), op, lits)
		if err != nil {
			return nil, nil, err
		}
		for i := 0; i < n; i++ {
			if d.IsNull(i) {
				continue
			}
			k := d.GetValueIndex(i)
			if k < 0 || k >= len(dv) {
				return nil, nil, fmt.Errorf("%w: expr: column %q: dictionary index %d out of range", lanceerr.ErrCorrupt, col, k)
			}
			val[i], known[i] = dv[k], dk[k]
		}
		return val, known, nil
	}
	cmps := make([]comparator, len(lits))
	for j, l := range lits {
		if cmps[j], err = makeComparator(col, arr, l); err != nil {
			return nil, nil, err
		}
	}
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			continue
		}
		known[i] = true
		for _, c := range cmps {
			if op.holds(c(i)) {
				val[i] = true
				break
			}
		}
	}
	return val, known, nil
}
