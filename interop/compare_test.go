package interop

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// arrowTypeName spells an Arrow type the way dump.mjs does (lib.mjs typeName).
func arrowTypeName(dt arrow.DataType) string {
	switch t := dt.(type) {
	case *arrow.StringType:
		return "utf8"
	case *arrow.LargeStringType:
		return "large_utf8"
	case *arrow.BinaryType:
		return "binary"
	case *arrow.LargeBinaryType:
		return "large_binary"
	case *arrow.BooleanType:
		return "bool"
	case *arrow.NullType:
		return "null"
	case *arrow.Int8Type:
		return "int8"
	case *arrow.Int16Type:
		return "int16"
	case *arrow.Int32Type:
		return "int32"
	case *arrow.Int64Type:
		return "int64"
	case *arrow.Uint8Type:
		return "uint8"
	case *arrow.Uint16Type:
		return "uint16"
	case *arrow.Uint32Type:
		return "uint32"
	case *arrow.Uint64Type:
		return "uint64"
	case *arrow.Float16Type:
		return "float16"
	case *arrow.Float32Type:
		return "float32"
	case *arrow.Float64Type:
		return "float64"
	case *arrow.FixedSizeListType:
		return fmt.Sprintf("fixed_size_list<%s>[%d]", arrowTypeName(t.Elem()), t.Len())
	case *arrow.ListType:
		return fmt.Sprintf("list<%s>", arrowTypeName(t.Elem()))
	case *arrow.LargeListType:
		return fmt.Sprintf("large_list<%s>", arrowTypeName(t.Elem()))
	case *arrow.StructType:
		parts := make([]string, t.NumFields())
		for i, f := range t.Fields() {
			parts[i] = f.Name + ":" + arrowTypeName(f.Type)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case *arrow.DictionaryType:
		return arrowTypeName(t.ValueType)
	default:
		return "unknown(" + dt.String() + ")"
	}
}

// canon turns the value at row i of arr into the form dump.mjs writes
// (lib.mjs valueJSON), decoded by encoding/json with UseNumber: nil, bool,
// string (also for 64-bit integers and base64 binary), json.Number-compatible
// float64 for other numbers, []any and map[string]any.
func canon(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return float64(a.Value(i))
	case *array.Int16:
		return float64(a.Value(i))
	case *array.Int32:
		return float64(a.Value(i))
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Uint8:
		return float64(a.Value(i))
	case *array.Uint16:
		return float64(a.Value(i))
	case *array.Uint32:
		return float64(a.Value(i))
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Float32:
		return floatCanon(float64(a.Value(i)))
	case *array.Float64:
		return floatCanon(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return base64.StdEncoding.EncodeToString(a.Value(i))
	case *array.LargeBinary:
		return base64.StdEncoding.EncodeToString(a.Value(i))
	case *array.FixedSizeList:
		start, end := a.ValueOffsets(i)
		return canonRange(a.ListValues(), start, end)
	case *array.List:
		start, end := a.ValueOffsets(i)
		return canonRange(a.ListValues(), start, end)
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		return canonRange(a.ListValues(), start, end)
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := make(map[string]any, st.NumFields())
		for k, f := range st.Fields() {
			out[f.Name] = canon(a.Field(k), i)
		}
		return out
	case *array.Dictionary:
		return canon(a.Dictionary(), a.GetValueIndex(i))
	default:
		return fmt.Sprintf("<unsupported %s>", arr.DataType())
	}
}

func canonRange(values arrow.Array, start, end int64) []any {
	out := make([]any, 0, end-start)
	for j := start; j < end; j++ {
		out = append(out, canon(values, int(j)))
	}
	return out
}

func floatCanon(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

// sameValue compares a canonical Go value with a dumped one. Floats match
// within a relative tolerance of 1e-9 (both sides carry the stored bits;
// the tolerance only absorbs decimal formatting).
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case json.Number:
		g, ok := got.(float64)
		if !ok {
			return false
		}
		wf, err := w.Float64()
		if err != nil {
			return false
		}
		return closeRel(g, wf, 1e-9)
	case float64:
		g, ok := got.(float64)
		return ok && closeRel(g, w, 1e-9)
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !sameValue(g[k], w[k]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !sameValue(gv, wv) {
				return false
			}
		}
		return true
	}
	return false
}

func closeRel(a, b, tol float64) bool {
	if a == b {
		return true
	}
	d := math.Abs(a - b)
	m := math.Max(math.Abs(a), math.Abs(b))
	return d <= tol*m
}

// short renders a value for a failure message, cut to a readable length.
func short(v any) string {
	b, err := json.Marshal(v)
	s := string(b)
	if err != nil {
		s = fmt.Sprint(v)
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// TestCompareDetectsDifferences makes sure the row comparison can fail: a
// value, a null, a list length or a struct field that differs is caught.
func TestCompareDetectsDifferences(t *testing.T) {
	mem := memory.NewGoAllocator()
	st := arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "st", Type: st, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{-9007199254740993, 0}, []bool{true, false})
	b.Field(1).(*array.Float32Builder).AppendValues([]float32{0.1, -2.5}, nil)
	b.Field(2).(*array.BinaryBuilder).AppendValues([][]byte{{0, 1, 255}, {}}, nil)
	lb := b.Field(3).(*array.ListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
	lb.AppendNull()
	sb := b.Field(4).(*array.StructBuilder)
	sb.Append(true)
	sb.FieldBuilder(0).(*array.Int32Builder).Append(7)
	sb.FieldBuilder(1).(*array.StringBuilder).AppendNull()
	sb.AppendNull()
	sb.FieldBuilder(0).(*array.Int32Builder).AppendNull()
	sb.FieldBuilder(1).(*array.StringBuilder).AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()

	decode := func(s string) map[string]any {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	row0 := `{"i64":"-9007199254740993","f32":0.10000000149011612,"bin":"AAH/","list":[1,2],"st":{"a":7,"b":null}}`
	row1 := `{"i64":null,"f32":-2.5,"bin":"","list":null,"st":null}`
	for i, js := range []string{row0, row1} {
		want := decode(js)
		for c, f := range schema.Fields() {
			if got := canon(rec.Column(c), i); !sameValue(got, want[f.Name]) {
				t.Errorf("row %d %s: %s does not match %s", i, f.Name, short(got), short(want[f.Name]))
			}
		}
	}
	wrong := []string{
		`{"i64":"-9007199254740992"}`,
		`{"f32":0.1}`,
		`{"bin":"AAH+"}`,
		`{"list":[1]}`,
		`{"list":[1,3]}`,
		`{"st":{"a":7,"b":""}}`,
		`{"st":null}`,
		`{"i64":null}`,
	}
	for _, js := range wrong {
		want := decode(js)
		for c, f := range schema.Fields() {
			if w, ok := want[f.Name]; ok && sameValue(canon(rec.Column(c), 0), w) {
				t.Errorf("%s matched %s, a different value", short(canon(rec.Column(c), 0)), js)
			}
		}
	}
}
