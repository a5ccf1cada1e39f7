package file

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// expected is what LanceDB 0.13 itself read back from a fixture table
// (table.query().toArrow(), dumped by testdata/gen.mjs.txt).
type expected struct {
	NumRows int            `json:"num_rows"`
	Columns map[string]any `json:"columns"`
}

func loadExpected(t testing.TB, path string) *expected {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r interface{ Read([]byte) (int, error) } = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var e expected
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func openFile(t testing.TB, path string) *Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), f, st.Size(), path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// topFields returns the file's top-level fields with their first columns.
func topFields(t testing.TB, r *Reader) ([]arrow.Field, []int) {
	t.Helper()
	fields, err := arrowFields(r.Schema())
	if err != nil {
		t.Fatal(err)
	}
	first := make([]int, len(fields))
	col := 0
	for i, f := range fields {
		first[i] = col
		col += ColumnsUsed(f, 2, 0)
	}
	if col != r.NumColumns() {
		t.Fatalf("fields use %d columns, file has %d", col, r.NumColumns())
	}
	return fields, first
}

var fixtures = []string{"prims", "vectors", "vec1024", "nested", "packed"}

func TestGoldenFullRead(t *testing.T) {
	ctx := context.Background()
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			r := openFile(t, filepath.Join("testdata", name+".lance"))
			exp := loadExpected(t, filepath.Join("testdata", name+".expected.json.gz"))
			if maj, min := r.Version(); maj != 2 || min != 0 {
				t.Fatalf("version %d.%d, want 2.0", maj, min)
			}
			if r.NumRows() != uint64(exp.NumRows) {
				t.Fatalf("rows %d, LanceDB read %d", r.NumRows(), exp.NumRows)
			}
			fields, first := topFields(t, r)
			if len(fields) != len(exp.Columns) {
				t.Fatalf("%d fields, LanceDB read %d", len(fields), len(exp.Columns))
			}
			for i, f := range fields {
				arr, err := r.ReadRange(ctx, f, first[i], 0, r.NumRows())
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				if !arrow.TypeEqual(arr.DataType(), f.Type) {
					t.Fatalf("%s: type %s, want %s", f.Name, arr.DataType(), f.Type)
				}
				if err := validate(arr); err != nil {
					t.Fatalf("%s: invalid array: %v", f.Name, err)
				}
				want := exp.Columns[f.Name].([]any)
				if arr.Len() != len(want) {
					t.Fatalf("%s: %d rows, want %d", f.Name, arr.Len(), len(want))
				}
				for row := range want {
					if err := compareValue(want[row], arr, row); err != nil {
						t.Fatalf("%s row %d: %v", f.Name, row, err)
					}
				}
				arr.Release()
			}
		})
	}
}

func TestGoldenRangesAndTake(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			r := openFile(t, filepath.Join("testdata", name+".lance"))
			exp := loadExpected(t, filepath.Join("testdata", name+".expected.json.gz"))
			fields, first := topFields(t, r)
			n := r.NumRows()
			for i, f := range fields {
				want := exp.Columns[f.Name].([]any)
				for trial := 0; trial < 20; trial++ {
					a := rng.Uint64N(n + 1)
					b := a + rng.Uint64N(n-a+1)
					arr, err := r.ReadRange(ctx, f, first[i], a, b)
					if err != nil {
						t.Fatalf("%s [%d,%d): %v", f.Name, a, b, err)
					}
					checkRows(t, f.Name, arr, want, seq(a, b))
					rows := randomRows(rng, n)
					arr, err = r.Take(ctx, f, first[i], rows)
					if err != nil {
						t.Fatalf("%s take %v: %v", f.Name, rows, err)
					}
					checkRows(t, f.Name, arr, want, rows)
				}
			}
		})
	}
}

func seq(a, b uint64) []uint64 {
	out := make([]uint64, 0, b-a)
	for i := a; i < b; i++ {
		out = append(out, i)
	}
	return out
}

func randomRows(rng *rand.Rand, n uint64) []uint64 {
	var rows []uint64
	for i := uint64(0); i < n; i++ {
		if rng.IntN(7) == 0 {
			rows = append(rows, i)
			if rng.IntN(5) == 0 {
				rows = append(rows, i) // repeats are allowed
			}
		}
	}
	return rows
}

func checkRows(t *testing.T, name string, arr arrow.Array, want []any, rows []uint64) {
	t.Helper()
	defer arr.Release()
	if err := validate(arr); err != nil {
		t.Fatalf("%s: invalid array: %v", name, err)
	}
	if arr.Len() != len(rows) {
		t.Fatalf("%s: %d rows, want %d", name, arr.Len(), len(rows))
	}
	for i, row := range rows {
		if err := compareValue(want[row], arr, i); err != nil {
			t.Fatalf("%s row %d: %v", name, row, err)
		}
	}
}

func TestLegacyFileUnsupported(t *testing.T) {
	path := filepath.Join("testdata", "legacy.lance")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), bytesReader(b), int64(len(b)), path)
	if !errors.Is(err, lanceerr.ErrUnsupported) || !strings.Contains(err.Error(), "legacy v1 file format") {
		t.Fatalf("got %v, want ErrUnsupported legacy v1", err)
	}
}

// compareValue checks row i of arr against a value LanceDB dumped: null,
// a number (json.Number), "NaN"/"Inf"/"-Inf"/"-0", a decimal string for 64-bit
// integers, a string, {"hex": ...} for binary, {"f32hex": ...} for wide
// float vectors, a list or an object.
func compareValue(want any, arr arrow.Array, i int) error {
	if want == nil {
		if !arr.IsNull(i) {
			return errorf("got %v, want null", arr.ValueStr(i))
		}
		return nil
	}
	if arr.IsNull(i) {
		return errorf("got null, want %v", want)
	}
	switch a := arr.(type) {
	case *array.Int8:
		return cmpInt(int64(a.Value(i)), want)
	case *array.Int16:
		return cmpInt(int64(a.Value(i)), want)
	case *array.Int32:
		return cmpInt(int64(a.Value(i)), want)
	case *array.Int64:
		return cmpInt(a.Value(i), want)
	case *array.Uint8:
		return cmpStr(strconv.FormatUint(uint64(a.Value(i)), 10), num(want))
	case *array.Uint16:
		return cmpStr(strconv.FormatUint(uint64(a.Value(i)), 10), num(want))
	case *array.Uint32:
		return cmpStr(strconv.FormatUint(uint64(a.Value(i)), 10), num(want))
	case *array.Uint64:
		return cmpStr(strconv.FormatUint(a.Value(i), 10), num(want))
	case *array.Float16:
		return cmpFloat(float64(a.Value(i).Float32()), want)
	case *array.Float32:
		return cmpFloat(float64(a.Value(i)), want)
	case *array.Float64:
		return cmpFloat(a.Value(i), want)
	case *array.Boolean:
		if w, ok := want.(bool); !ok || w != a.Value(i) {
			return errorf("got %v, want %v", a.Value(i), want)
		}
		return nil
	case *array.String:
		return cmpStr(a.Value(i), want)
	case *array.LargeString:
		return cmpStr(a.Value(i), want)
	case *array.Binary:
		return cmpHex(a.Value(i), want)
	case *array.LargeBinary:
		return cmpHex(a.Value(i), want)
	case *array.FixedSizeList:
		n := int(a.DataType().(*arrow.FixedSizeListType).Len())
		start := (a.Offset() + i) * n
		if m, ok := want.(map[string]any); ok {
			b, err := hex.DecodeString(m["f32hex"].(string))
			if err != nil || len(b) != 4*n {
				return errorf("bad f32hex")
			}
			vals := a.ListValues().(*array.Float32)
			for k := 0; k < n; k++ {
				bits := uint32(b[4*k]) | uint32(b[4*k+1])<<8 | uint32(b[4*k+2])<<16 | uint32(b[4*k+3])<<24
				if math.Float32bits(vals.Value(start+k)) != bits {
					return errorf("item %d: got %v, want %v", k, vals.Value(start+k), math.Float32frombits(bits))
				}
			}
			return nil
		}
		return cmpList(want, a.ListValues(), start, start+n)
	case *array.List:
		s, e := a.ValueOffsets(i)
		return cmpList(want, a.ListValues(), int(s), int(e))
	case *array.LargeList:
		s, e := a.ValueOffsets(i)
		return cmpList(want, a.ListValues(), int(s), int(e))
	case *array.Struct:
		m, ok := want.(map[string]any)
		if !ok {
			return errorf("got a struct, want %v", want)
		}
		st := a.DataType().(*arrow.StructType)
		for k, f := range st.Fields() {
			if err := compareValue(m[f.Name], a.Field(k), i); err != nil {
				return errorf(".%s: %v", f.Name, err)
			}
		}
		return nil
	}
	return errorf("unhandled array %T", arr)
}

func cmpList(want any, vals arrow.Array, s, e int) error {
	w, ok := want.([]any)
	if !ok || len(w) != e-s {
		return errorf("got %d items, want %v", e-s, want)
	}
	for k := range w {
		if err := compareValue(w[k], vals, s+k); err != nil {
			return errorf("[%d]: %v", k, err)
		}
	}
	return nil
}

func num(want any) any {
	if n, ok := want.(json.Number); ok {
		return string(n)
	}
	return want
}

func cmpInt(got int64, want any) error { return cmpStr(strconv.FormatInt(got, 10), num(want)) }

func cmpStr(got string, want any) error {
	if w, ok := want.(string); !ok || w != got {
		return errorf("got %q, want %v", got, want)
	}
	return nil
}

func cmpHex(got []byte, want any) error {
	m, ok := want.(map[string]any)
	if !ok || m["hex"] != hex.EncodeToString(got) {
		return errorf("got %x, want %v", got, want)
	}
	return nil
}

func cmpFloat(got float64, want any) error {
	var w float64
	switch v := want.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return err
		}
		w = f
	case string:
		switch v {
		case "NaN":
			if math.IsNaN(got) {
				return nil
			}
			return errorf("got %v, want NaN", got)
		case "Inf":
			w = math.Inf(1)
		case "-Inf":
			w = math.Inf(-1)
		case "-0":
			if got == 0 && math.Signbit(got) {
				return nil
			}
			return errorf("got %v, want -0", got)
		}
	default:
		return errorf("got %v, want %v", got, want)
	}
	if got != w {
		return errorf("got %v, want %v", got, w)
	}
	return nil
}
