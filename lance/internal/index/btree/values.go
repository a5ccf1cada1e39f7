package btree

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// kind is the comparison family of an indexed column's type.
type kind int

const (
	kindString kind = iota // utf8, large_utf8, binary, large_binary (byte order)
	kindInt                // signed integers, dates, timestamps
	kindUint               // unsigned integers
	kindFloat              // float32, float64
)

// key is one non-null value, normalized for comparison within its kind.
type key struct {
	s string
	i int64
	u uint64
	f float64
}

func compareKeys(k kind, a, b key) int {
	switch k {
	case kindString:
		return strings.Compare(a.s, b.s)
	case kindInt:
		return cmp.Compare(a.i, b.i)
	case kindUint:
		return cmp.Compare(a.u, b.u)
	default:
		return cmp.Compare(a.f, b.f)
	}
}

// kindOf returns the family of an indexable column type.
func kindOf(dt arrow.DataType) (kind, error) {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return kindString, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return kindInt, nil
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return kindUint, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		return kindFloat, nil
	}
	return 0, fmt.Errorf("%w: btree index on a %s column", lanceerr.ErrUnsupported, dt)
}

// errNoMatch marks a query value that no row of the column can equal (a
// negative number against an unsigned column, a fraction against integers).
var errNoMatch = errors.New("value outside the column's domain")

// queryKey converts a caller's value to the column's key. Accepted: string
// and []byte for string/binary columns; any Go integer or float for numeric
// columns (a value the column cannot hold yields errNoMatch).
func queryKey(k kind, v any) (key, error) {
	bad := func() (key, error) {
		return key{}, fmt.Errorf("%w: btree query value %v (%T) for a %s column", lanceerr.ErrInvalidArgument, v, v, kindName(k))
	}
	if k == kindString {
		switch x := v.(type) {
		case string:
			return key{s: x}, nil
		case []byte:
			return key{s: string(x)}, nil
		}
		return bad()
	}
	var (
		iv      int64
		uv      uint64
		fv      float64
		isInt   bool
		isUint  bool
		isFloat bool
	)
	switch x := v.(type) {
	case int:
		iv, isInt = int64(x), true
	case int8:
		iv, isInt = int64(x), true
	case int16:
		iv, isInt = int64(x), true
	case int32:
		iv, isInt = int64(x), true
	case int64:
		iv, isInt = x, true
	case uint:
		uv, isUint = uint64(x), true
	case uint8:
		uv, isUint = uint64(x), true
	case uint16:
		uv, isUint = uint64(x), true
	case uint32:
		uv, isUint = uint64(x), true
	case uint64:
		uv, isUint = x, true
	case float32:
		fv, isFloat = float64(x), true
	case float64:
		fv, isFloat = x, true
	default:
		return bad()
	}
	switch k {
	case kindInt:
		switch {
		case isInt:
			return key{i: iv}, nil
		case isUint:
			if uv > math.MaxInt64 {
				return key{}, errNoMatch
			}
			return key{i: int64(uv)}, nil
		default:
			if fv != math.Trunc(fv) || fv < math.MinInt64 || fv >= math.MaxInt64 {
				return key{}, errNoMatch
			}
			return key{i: int64(fv)}, nil
		}
	case kindUint:
		switch {
		case isUint:
			return key{u: uv}, nil
		case isInt:
			if iv < 0 {
				return key{}, errNoMatch
			}
			return key{u: uint64(iv)}, nil
		default:
			if fv != math.Trunc(fv) || fv < 0 || fv >= math.MaxUint64 {
				return key{}, errNoMatch
			}
			return key{u: uint64(fv)}, nil
		}
	default:
		switch {
		case isFloat:
			return key{f: fv}, nil
		case isInt:
			return key{f: float64(iv)}, nil
		default:
			return key{f: float64(uv)}, nil
		}
	}
}

func kindName(k kind) string {
	return [...]string{"string", "signed integer", "unsigned integer", "float"}[k]
}

// column gives keyed access to the values of an Arrow array.
type column struct {
	arr arrow.Array
	at  func(i int) key
}

// newColumn wraps arr, whose type must belong to kind k.
func newColumn(arr arrow.Array) (column, error) {
	c := column{arr: arr}
	switch a := arr.(type) {
	case *array.String:
		c.at = func(i int) key { return key{s: a.Value(i)} }
	case *array.LargeString:
		c.at = func(i int) key { return key{s: a.Value(i)} }
	case *array.Binary:
		c.at = func(i int) key { return key{s: string(a.Value(i))} }
	case *array.LargeBinary:
		c.at = func(i int) key { return key{s: string(a.Value(i))} }
	case *array.Int8:
		c.at = func(i int) key { return key{i: int64(a.Value(i))} }
	case *array.Int16:
		c.at = func(i int) key { return key{i: int64(a.Value(i))} }
	case *array.Int32:
		c.at = func(i int) key { return key{i: int64(a.Value(i))} }
	case *array.Int64:
		c.at = func(i int) key { return key{i: a.Value(i)} }
	case *array.Date32:
		c.at = func(i int) key { return key{i: int64(a.Value(i))} }
	case *array.Date64:
		c.at = func(i int) key { return key{i: int64(a.Value(i))} }
	case *array.Timestamp:
		c.at = func(i int) key { return key{i: int64(a.Value(i))} }
	case *array.Uint8:
		c.at = func(i int) key { return key{u: uint64(a.Value(i))} }
	case *array.Uint16:
		c.at = func(i int) key { return key{u: uint64(a.Value(i))} }
	case *array.Uint32:
		c.at = func(i int) key { return key{u: uint64(a.Value(i))} }
	case *array.Uint64:
		c.at = func(i int) key { return key{u: a.Value(i)} }
	case *array.Float32:
		c.at = func(i int) key { return key{f: float64(a.Value(i))} }
	case *array.Float64:
		c.at = func(i int) key { return key{f: a.Value(i)} }
	default:
		return column{}, fmt.Errorf("%w: btree values of type %s", lanceerr.ErrUnsupported, arr.DataType())
	}
	return c, nil
}

func (c column) isNull(i int) bool { return c.arr.IsNull(i) }
