package file

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/pb"
)

// arrowFields rebuilds the top-level Arrow fields of a file schema (fields
// flattened in pre-order with parent ids). The table layer owns the real
// conversion; this covers the types of the test fixtures.
func arrowFields(s *pb.Schema) ([]arrow.Field, error) {
	fields := s.GetFields()
	children := map[int32][]*pb.Field{}
	for _, f := range fields {
		children[f.GetParentId()] = append(children[f.GetParentId()], f)
	}
	var build func(f *pb.Field, depth int) (arrow.Field, error)
	build = func(f *pb.Field, depth int) (arrow.Field, error) {
		if depth > 32 {
			return arrow.Field{}, fmt.Errorf("schema nested deeper than 32 levels (or cyclic)")
		}
		kids := make([]arrow.Field, 0)
		for _, c := range children[f.GetId()] {
			k, err := build(c, depth+1)
			if err != nil {
				return arrow.Field{}, err
			}
			kids = append(kids, k)
		}
		t, err := logicalType(f.GetLogicalType(), kids)
		if err != nil {
			return arrow.Field{}, err
		}
		var md arrow.Metadata
		if len(f.GetMetadata()) > 0 {
			keys, vals := []string{}, []string{}
			for k, v := range f.GetMetadata() {
				keys, vals = append(keys, k), append(vals, string(v))
			}
			md = arrow.NewMetadata(keys, vals)
		}
		return arrow.Field{Name: f.GetName(), Type: t, Nullable: f.GetNullable(), Metadata: md}, nil
	}
	var out []arrow.Field
	for _, f := range children[-1] {
		af, err := build(f, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, af)
	}
	return out, nil
}

var primitiveTypes = map[string]arrow.DataType{
	"int8": arrow.PrimitiveTypes.Int8, "int16": arrow.PrimitiveTypes.Int16,
	"int32": arrow.PrimitiveTypes.Int32, "int64": arrow.PrimitiveTypes.Int64,
	"uint8": arrow.PrimitiveTypes.Uint8, "uint16": arrow.PrimitiveTypes.Uint16,
	"uint32": arrow.PrimitiveTypes.Uint32, "uint64": arrow.PrimitiveTypes.Uint64,
	"halffloat": arrow.FixedWidthTypes.Float16, "float": arrow.PrimitiveTypes.Float32,
	"double": arrow.PrimitiveTypes.Float64, "bool": arrow.FixedWidthTypes.Boolean,
	"string": arrow.BinaryTypes.String, "large_string": arrow.BinaryTypes.LargeString,
	"binary": arrow.BinaryTypes.Binary, "large_binary": arrow.BinaryTypes.LargeBinary,
}

func logicalType(lt string, kids []arrow.Field) (arrow.DataType, error) {
	if t, ok := primitiveTypes[lt]; ok {
		return t, nil
	}
	switch {
	case strings.HasPrefix(lt, "fixed_size_list:"):
		parts := strings.Split(lt, ":")
		n, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil || n < 0 || n > 1<<20 {
			return nil, fmt.Errorf("fixed_size_list size %q", parts[len(parts)-1])
		}
		inner, err := logicalType(strings.Join(parts[1:len(parts)-1], ":"), nil)
		if err != nil {
			return nil, err
		}
		return arrow.FixedSizeListOfField(int32(n), arrow.Field{Name: "item", Type: inner, Nullable: true}), nil
	case lt == "list" || lt == "list.struct":
		if len(kids) != 1 {
			return nil, fmt.Errorf("list with %d children", len(kids))
		}
		return arrow.ListOfField(kids[0]), nil
	case lt == "large_list" || lt == "large_list.struct":
		if len(kids) != 1 {
			return nil, fmt.Errorf("large_list with %d children", len(kids))
		}
		return arrow.LargeListOfField(kids[0]), nil
	case lt == "struct":
		return arrow.StructOf(kids...), nil
	}
	return nil, fmt.Errorf("logical type %q", lt)
}
