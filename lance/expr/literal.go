package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

type litKind int

const (
	litString litKind = iota
	litInt            // fits int64
	litUint           // above math.MaxInt64
	litFloat
	litBool
)

// literal is a normalised constant of a comparison.
type literal struct {
	kind litKind
	s    string
	i    int64
	u    uint64
	f    float64
	b    bool
}

// newLiteral converts a Go value to a literal, or reports why it cannot.
func newLiteral(v any) (literal, error) {
	switch x := v.(type) {
	case string:
		return literal{kind: litString, s: x}, nil
	case bool:
		return literal{kind: litBool, b: x}, nil
	case int:
		return literal{kind: litInt, i: int64(x)}, nil
	case int8:
		return literal{kind: litInt, i: int64(x)}, nil
	case int16:
		return literal{kind: litInt, i: int64(x)}, nil
	case int32:
		return literal{kind: litInt, i: int64(x)}, nil
	case int64:
		return literal{kind: litInt, i: x}, nil
	case uint:
		return uintLiteral(uint64(x)), nil
	case uint8:
		return uintLiteral(uint64(x)), nil
	case uint16:
		return uintLiteral(uint64(x)), nil
	case uint32:
		return uintLiteral(uint64(x)), nil
	case uint64:
		return uintLiteral(x), nil
	case float32:
		return literal{kind: litFloat, f: float64(x)}, nil
	case float64:
		return literal{kind: litFloat, f: x}, nil
	case nil:
		return literal{}, fmt.Errorf("%w: expr: nil literal; use IsNull or IsNotNull to test for nulls", lanceerr.ErrInvalidArgument)
	}
	return literal{}, fmt.Errorf("%w: expr: unsupported literal type %T (want string, bool, integer or float)", lanceerr.ErrInvalidArgument, v)
}

func uintLiteral(u uint64) literal {
	if u <= math.MaxInt64 {
		return literal{kind: litInt, i: int64(u)}
	}
	return literal{kind: litUint, u: u}
}

// typeName describes the literal's kind in error messages.
func (l literal) typeName() string {
	switch l.kind {
	case litString:
		return "string"
	case litInt, litUint:
		return "integer"
	case litFloat:
		return "float"
	case litBool:
		return "bool"
	}
	return "?"
}

// numeric reports whether the literal is a number.
func (l literal) numeric() bool {
	return l.kind == litInt || l.kind == litUint || l.kind == litFloat
}

// asFloat returns a numeric literal as a float64.
func (l literal) asFloat() float64 {
	switch l.kind {
	case litInt:
		return float64(l.i)
	case litUint:
		return float64(l.u)
	}
	return l.f
}

// sql renders the literal in LanceDB's SQL dialect.
func (l literal) sql() string {
	switch l.kind {
	case litString:
		return "'" + strings.ReplaceAll(l.s, "'", "''") + "'"
	case litInt:
		return strconv.FormatInt(l.i, 10)
	case litUint:
		return strconv.FormatUint(l.u, 10)
	case litBool:
		if l.b {
			return "true"
		}
		return "false"
	case litFloat:
		switch {
		case math.IsNaN(l.f):
			return "CAST('NaN' AS DOUBLE)"
		case math.IsInf(l.f, 1):
			return "CAST('Infinity' AS DOUBLE)"
		case math.IsInf(l.f, -1):
			return "CAST('-Infinity' AS DOUBLE)"
		}
		s := strconv.FormatFloat(l.f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	}
	return "NULL"
}

// quoteIdent renders a column name so that LanceDB's SQL parser reads it
// back unchanged: unquoted identifiers are folded to lower case there, so
// anything but a plain lower-case name is back-quoted.
func quoteIdent(name string) string {
	plain := name != ""
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			plain = false
		}
	}
	if plain && !isSQLKeyword(strings.ToUpper(name)) {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// isSQLKeyword reports words that cannot stand unquoted as a column name in
// the filters this package renders.
func isSQLKeyword(upper string) bool {
	switch upper {
	case "AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "SELECT", "FROM",
		"WHERE", "LIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "AS":
		return true
	}
	return false
}
