package format

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

func TestParseLogicalType(t *testing.T) {
	for lt, want := range map[string]string{
		"string":                           "utf8",
		"large_string":                     "large_utf8",
		"binary":                           "binary",
		"large_binary":                     "large_binary",
		"bool":                             "bool",
		"int8":                             "int8",
		"uint64":                           "uint64",
		"halffloat":                        "float16",
		"float":                            "float32",
		"double":                           "float64",
		"null":                             "null",
		"date32:day":                       "date32",
		"date64:ms":                        "date64",
		"time64:us":                        "time64[us]",
		"duration:ns":                      "duration[ns]",
		"timestamp:us:-":                   "timestamp[us]",
		"timestamp:ms:UTC":                 "timestamp[ms, tz=UTC]",
		"timestamp:ns:+05:30":              "timestamp[ns, tz=+05:30]",
		"decimal:128:10:2":                 "decimal(10, 2)",
		"decimal:256:40:-3":                "decimal256(40, -3)",
		"fixed_size_binary:16":             "fixed_size_binary[16]",
		"fixed_size_list:float:1024":       "fixed_size_list<item: float32, nullable>[1024]",
		"fixed_size_list:uint8:8":          "fixed_size_list<item: uint8, nullable>[8]",
		"fixed_size_list:lance.bfloat16:4": "fixed_size_list<item: fixed_size_binary[2], nullable>[4]",
		"dict:string:int32:false":          "dictionary<values=utf8, indices=int32, ordered=false>",
		"fixed_size_list:fixed_size_list:float:2:3": "fixed_size_list<item: fixed_size_list<item: float32, nullable>[2], nullable>[3]",
	} {
		dt, err := ParseLogicalType(lt)
		if err != nil {
			t.Errorf("%q: %v", lt, err)
			continue
		}
		if dt.String() != want {
			t.Errorf("%q = %s, want %s", lt, dt, want)
		}
		if lt == "fixed_size_list:lance.bfloat16:4" {
			continue
		}
		back, err := LogicalTypeName(dt)
		if err != nil || back != lt {
			t.Errorf("LogicalTypeName(%s) = %q, %v; want %q", dt, back, err, lt)
		}
	}
}

func TestParseLogicalTypeUnsupported(t *testing.T) {
	for _, lt := range []string{
		"", "int128", "list", "struct", "fixed_size_list:float", "fixed_size_list:float:0",
		"fixed_size_list:float:-1", "fixed_size_list:blob:4", "decimal:64:3:1", "decimal:128:99:1",
		"timestamp:ps:-", "dict:string:float:false", "fixed_size_binary:x", "map",
	} {
		_, err := ParseLogicalType(lt)
		if !errors.Is(err, lanceerr.ErrUnsupported) {
			t.Errorf("%q: %v, want ErrUnsupported", lt, err)
		}
	}
}

func TestSchemaRoundTrip(t *testing.T) {
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	as := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int32},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "meta", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "b", Type: arrow.LargeListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
		), Nullable: true, Metadata: md},
		{Name: "vec", Type: arrow.FixedSizeListOf(16, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "rows", Type: arrow.ListOf(arrow.StructOf(arrow.Field{Name: "x", Type: arrow.FixedWidthTypes.Boolean, Nullable: true})), Nullable: true},
	}, &md)
	s, err := SchemaFromArrow(as, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Arrow.Equal(as) {
		t.Fatalf("round trip:\n%s\nwant\n%s", s.Arrow, as)
	}
	pfs := s.PBFields()
	wantIDs := []struct {
		name   string
		id     int32
		parent int32
		lt     string
	}{
		{"id", 0, -1, "string"}, {"n", 1, -1, "int32"}, {"tags", 2, -1, "list"}, {"item", 3, 2, "string"},
		{"meta", 4, -1, "struct"}, {"a", 5, 4, "int64"}, {"b", 6, 4, "large_list"}, {"item", 7, 6, "double"},
		{"vec", 8, -1, "fixed_size_list:float:16"}, {"rows", 9, -1, "list.struct"}, {"item", 10, 9, "struct"}, {"x", 11, 10, "bool"},
	}
	if len(pfs) != len(wantIDs) {
		t.Fatalf("%d fields, want %d", len(pfs), len(wantIDs))
	}
	for i, w := range wantIDs {
		f := pfs[i]
		if f.Name != w.name || f.Id != w.id || f.ParentId != w.parent || f.LogicalType != w.lt {
			t.Errorf("field %d = %s id %d parent %d %q, want %+v", i, f.Name, f.Id, f.ParentId, f.LogicalType, w)
		}
	}
	// Through the manifest representation and back.
	again, err := NewSchema("m", pfs, s.PBMetadata())
	if err != nil {
		t.Fatal(err)
	}
	if !again.Arrow.Equal(as) {
		t.Fatalf("from pb:\n%s\nwant\n%s", again.Arrow, as)
	}
	if f, ok := again.FieldByID(7); !ok || f.Name != "item" || f.Type.ID() != arrow.FLOAT64 {
		t.Errorf("FieldByID(7) = %+v", f)
	}
	if again.MaxFieldID() != 11 {
		t.Errorf("max id %d", again.MaxFieldID())
	}
	if f, ok := again.FieldByName("meta"); !ok || f.Metadata["k"] != "v" {
		t.Errorf("field metadata lost: %+v", f)
	}
	s2, err := SchemaFromArrow(as, 20)
	if err != nil || s2.Fields[0].ID != 20 || s2.MaxFieldID() != 31 {
		t.Errorf("first id 20: %v", err)
	}
}

func TestNewSchemaCorrupt(t *testing.T) {
	leaf := func(name string, id, parent int32, lt string) *pb.Field {
		return &pb.Field{Name: name, Id: id, ParentId: parent, LogicalType: lt}
	}
	for name, fields := range map[string][]*pb.Field{
		"dup id":       {leaf("a", 0, -1, "int32"), leaf("b", 0, -1, "int32")},
		"orphan":       {leaf("a", 1, 5, "int32")},
		"parent later": {leaf("item", 1, 0, "int32"), leaf("l", 0, -1, "list")},
		"leaf parent":  {leaf("a", 0, -1, "int32"), leaf("b", 1, 0, "int32")},
		"list 0 kids":  {leaf("l", 0, -1, "list")},
		"list 2 kids":  {leaf("l", 0, -1, "list"), leaf("x", 1, 0, "int32"), leaf("y", 2, 0, "int32")},
		"neg id":       {leaf("a", -3, -1, "int32")},
		"nil":          {nil},
		"list.struct":  {leaf("l", 0, -1, "list.struct"), leaf("x", 1, 0, "int32")},
		"self parent":  {leaf("a", 0, 0, "struct")},
	} {
		_, err := NewSchema("m.manifest", fields, nil)
		if !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	_, err := NewSchema("m.manifest", []*pb.Field{leaf("a", 0, -1, "int128")}, nil)
	if !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Errorf("unknown type: %v, want ErrUnsupported", err)
	}
	deep := []*pb.Field{leaf("s", 0, -1, "struct")}
	for i := int32(1); i < 200; i++ {
		deep = append(deep, leaf("s", i, i-1, "struct"))
	}
	if _, err := NewSchema("m.manifest", deep, nil); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("deep nesting: %v", err)
	}
}
