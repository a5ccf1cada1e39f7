package format

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// Logical type names of Lance fields (lance.file.Field.logical_type).
// Nested types ("list", "large_list", "struct" and the ".struct" list
// variants) take their element types from child fields and are handled by
// the schema builder; everything else is self-describing and parsed here.
const (
	ltList            = "list"
	ltListStruct      = "list.struct"
	ltLargeList       = "large_list"
	ltLargeListStruct = "large_list.struct"
	ltStruct          = "struct"
	bfloat16ExtName   = "lance.bfloat16"
	arrowExtNameKey   = "ARROW:extension:name"
	arrowExtMetaKey   = "ARROW:extension:metadata"
)

// simpleTypes maps the logical type names without parameters.
var simpleTypes = map[string]arrow.DataType{
	"null":         arrow.Null,
	"bool":         arrow.FixedWidthTypes.Boolean,
	"int8":         arrow.PrimitiveTypes.Int8,
	"uint8":        arrow.PrimitiveTypes.Uint8,
	"int16":        arrow.PrimitiveTypes.Int16,
	"uint16":       arrow.PrimitiveTypes.Uint16,
	"int32":        arrow.PrimitiveTypes.Int32,
	"uint32":       arrow.PrimitiveTypes.Uint32,
	"int64":        arrow.PrimitiveTypes.Int64,
	"uint64":       arrow.PrimitiveTypes.Uint64,
	"halffloat":    arrow.FixedWidthTypes.Float16,
	"float":        arrow.PrimitiveTypes.Float32,
	"double":       arrow.PrimitiveTypes.Float64,
	"string":       arrow.BinaryTypes.String,
	"binary":       arrow.BinaryTypes.Binary,
	"large_string": arrow.BinaryTypes.LargeString,
	"large_binary": arrow.BinaryTypes.LargeBinary,
	"json":         arrow.BinaryTypes.LargeBinary, // Lance stores JSON as large binary
	"date32:day":   arrow.FixedWidthTypes.Date32,
	"date64:ms":    arrow.FixedWidthTypes.Date64,
	"time32:s":     &arrow.Time32Type{Unit: arrow.Second},
	"time32:ms":    &arrow.Time32Type{Unit: arrow.Millisecond},
	"time64:us":    &arrow.Time64Type{Unit: arrow.Microsecond},
	"time64:ns":    &arrow.Time64Type{Unit: arrow.Nanosecond},
	"duration:s":   &arrow.DurationType{Unit: arrow.Second},
	"duration:ms":  &arrow.DurationType{Unit: arrow.Millisecond},
	"duration:us":  &arrow.DurationType{Unit: arrow.Microsecond},
	"duration:ns":  &arrow.DurationType{Unit: arrow.Nanosecond},
}

// maxFixedSize bounds fixed_size_list and fixed_size_binary sizes read from
// disk; Arrow sizes are int32 and a zero or negative size is meaningless.
const maxFixedSize = 1 << 30

func unsupportedType(lt, why string) error {
	if why != "" {
		return fmt.Errorf("%w: logical type %q: %s", lanceerr.ErrUnsupported, lt, why)
	}
	return fmt.Errorf("%w: logical type %q", lanceerr.ErrUnsupported, lt)
}

// IsNestedLogicalType reports whether lt takes its element type from child
// fields (lists and structs).
func IsNestedLogicalType(lt string) bool {
	switch lt {
	case ltList, ltListStruct, ltLargeList, ltLargeListStruct, ltStruct:
		return true
	}
	return false
}

// ParseLogicalType converts a non-nested Lance logical type to an Arrow
// type. Nested types (see IsNestedLogicalType) and unknown names fail with
// lanceerr.ErrUnsupported naming the type.
func ParseLogicalType(lt string) (arrow.DataType, error) {
	if t, ok := simpleTypes[lt]; ok {
		return t, nil
	}
	if IsNestedLogicalType(lt) {
		return nil, unsupportedType(lt, "nested type needs its child fields")
	}
	parts := strings.Split(lt, ":")
	switch parts[0] {
	case "fixed_size_list":
		if len(parts) < 3 {
			return nil, unsupportedType(lt, "want fixed_size_list:<item>:<size>")
		}
		n, err := parseFixedSize(parts[len(parts)-1])
		if err != nil {
			return nil, unsupportedType(lt, err.Error())
		}
		inner := strings.Join(parts[1:len(parts)-1], ":")
		if inner == bfloat16ExtName {
			item := arrow.Field{Name: "item", Type: &arrow.FixedSizeBinaryType{ByteWidth: 2}, Nullable: true,
				Metadata: arrow.NewMetadata([]string{arrowExtNameKey, arrowExtMetaKey}, []string{bfloat16ExtName, ""})}
			return arrow.FixedSizeListOfField(n, item), nil
		}
		it, err := ParseLogicalType(inner)
		if err != nil {
			return nil, unsupportedType(lt, err.Error())
		}
		return arrow.FixedSizeListOfField(n, arrow.Field{Name: "item", Type: it, Nullable: true}), nil
	case "fixed_size_binary":
		if len(parts) != 2 {
			return nil, unsupportedType(lt, "want fixed_size_binary:<size>")
		}
		n, err := parseFixedSize(parts[1])
		if err != nil {
			return nil, unsupportedType(lt, err.Error())
		}
		return &arrow.FixedSizeBinaryType{ByteWidth: int(n)}, nil
	case "dict":
		if len(parts) != 4 {
			return nil, unsupportedType(lt, "want dict:<value>:<index>:<ordered>")
		}
		vt, err := ParseLogicalType(parts[1])
		if err != nil {
			return nil, unsupportedType(lt, err.Error())
		}
		it, err := ParseLogicalType(parts[2])
		if err != nil {
			return nil, unsupportedType(lt, err.Error())
		}
		if !arrow.IsInteger(it.ID()) {
			return nil, unsupportedType(lt, "dictionary index type must be an integer")
		}
		return &arrow.DictionaryType{IndexType: it, ValueType: vt, Ordered: parts[3] == "true"}, nil
	case "decimal":
		if len(parts) != 4 {
			return nil, unsupportedType(lt, "want decimal:<bits>:<precision>:<scale>")
		}
		p, err1 := strconv.ParseUint(parts[2], 10, 8)
		s, err2 := strconv.ParseInt(parts[3], 10, 8)
		if err1 != nil || err2 != nil {
			return nil, unsupportedType(lt, "bad precision or scale")
		}
		switch parts[1] {
		case "128":
			if p < 1 || p > 38 {
				return nil, unsupportedType(lt, "decimal128 precision must be 1..38")
			}
			return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, nil
		case "256":
			if p < 1 || p > 76 {
				return nil, unsupportedType(lt, "decimal256 precision must be 1..76")
			}
			return &arrow.Decimal256Type{Precision: int32(p), Scale: int32(s)}, nil
		}
		return nil, unsupportedType(lt, "only 128- and 256-bit decimals exist")
	case "timestamp":
		// The time zone may itself contain ':' (e.g. "+05:30").
		if len(parts) < 3 {
			return nil, unsupportedType(lt, "want timestamp:<unit>:<tz or ->")
		}
		unit, ok := parseTimeUnit(parts[1])
		if !ok {
			return nil, unsupportedType(lt, "unknown time unit")
		}
		tz := strings.Join(parts[2:], ":")
		if tz == "-" {
			tz = ""
		}
		return &arrow.TimestampType{Unit: unit, TimeZone: tz}, nil
	}
	return nil, unsupportedType(lt, "")
}

func parseFixedSize(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 || n > maxFixedSize {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int32(n), nil
}

func parseTimeUnit(s string) (arrow.TimeUnit, bool) {
	switch s {
	case "s":
		return arrow.Second, true
	case "ms":
		return arrow.Millisecond, true
	case "us":
		return arrow.Microsecond, true
	case "ns":
		return arrow.Nanosecond, true
	}
	return 0, false
}

func timeUnitName(u arrow.TimeUnit) string {
	switch u {
	case arrow.Second:
		return "s"
	case arrow.Millisecond:
		return "ms"
	case arrow.Microsecond:
		return "us"
	}
	return "ns"
}

// LogicalTypeName returns the Lance logical type of an Arrow type, the
// inverse of ParseLogicalType extended to nested types (for which it
// returns "list", "struct", ...; their children become separate fields).
func LogicalTypeName(dt arrow.DataType) (string, error) {
	for name, t := range simpleTypes {
		if name != "json" && arrow.TypeEqual(t, dt) {
			return name, nil
		}
	}
	switch t := dt.(type) {
	case *arrow.FixedSizeListType:
		elem := t.ElemField()
		if v, ok := elem.Metadata.GetValue(arrowExtNameKey); ok && v == bfloat16ExtName {
			return fmt.Sprintf("fixed_size_list:%s:%d", bfloat16ExtName, t.Len()), nil
		}
		inner, err := LogicalTypeName(elem.Type)
		if err != nil {
			return "", err
		}
		if IsNestedLogicalType(inner) {
			return "", fmt.Errorf("%w: fixed_size_list of nested type %s", lanceerr.ErrUnsupported, elem.Type)
		}
		return fmt.Sprintf("fixed_size_list:%s:%d", inner, t.Len()), nil
	case *arrow.FixedSizeBinaryType:
		return fmt.Sprintf("fixed_size_binary:%d", t.ByteWidth), nil
	case *arrow.DictionaryType:
		v, err := LogicalTypeName(t.ValueType)
		if err != nil {
			return "", err
		}
		k, err := LogicalTypeName(t.IndexType)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("dict:%s:%s:%t", v, k, t.Ordered), nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal:128:%d:%d", t.Precision, t.Scale), nil
	case *arrow.Decimal256Type:
		return fmt.Sprintf("decimal:256:%d:%d", t.Precision, t.Scale), nil
	case *arrow.TimestampType:
		tz := t.TimeZone
		if tz == "" {
			tz = "-"
		}
		return fmt.Sprintf("timestamp:%s:%s", timeUnitName(t.Unit), tz), nil
	case *arrow.ListType:
		if t.Elem().ID() == arrow.STRUCT {
			return ltListStruct, nil
		}
		return ltList, nil
	case *arrow.LargeListType:
		if t.Elem().ID() == arrow.STRUCT {
			return ltLargeListStruct, nil
		}
		return ltLargeList, nil
	case *arrow.StructType:
		return ltStruct, nil
	}
	return "", fmt.Errorf("%w: Arrow type %s has no Lance logical type", lanceerr.ErrUnsupported, dt)
}
