package v21

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/file2"
)

// memSource serves byte ranges of an in-memory file.
type memSource struct {
	name  string
	data  []byte
	reads int
	bytes uint64
}

func (m *memSource) Path() string { return m.name }

func (m *memSource) ReadRanges(_ context.Context, rs []page.Range) ([][]byte, error) {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		if r.Offset > uint64(len(m.data)) || r.Size > uint64(len(m.data))-r.Offset {
			return nil, fmt.Errorf("%w: range beyond file", lanceerr.ErrCorrupt)
		}
		out[i] = m.data[r.Offset : r.Offset+r.Size : r.Offset+r.Size]
		m.reads++
		m.bytes += r.Size
	}
	return out, nil
}

// readColumns parses just enough of a Lance v2 file (footer and column
// metadata) to hand its columns to the decoders.
func readColumns(t testing.TB, data []byte) []page.Column {
	t.Helper()
	if len(data) < 40 || string(data[len(data)-4:]) != "LANC" {
		t.Fatalf("not a lance file")
	}
	f := data[len(data)-40:]
	cmo := binary.LittleEndian.Uint64(f[8:])
	ncol := int(binary.LittleEndian.Uint32(f[28:]))
	cols := make([]page.Column, ncol)
	for c := 0; c < ncol; c++ {
		pos := binary.LittleEndian.Uint64(data[cmo+16*uint64(c):])
		size := binary.LittleEndian.Uint64(data[cmo+16*uint64(c)+8:])
		var cm file2.ColumnMetadata
		if err := proto.Unmarshal(data[pos:pos+size], &cm); err != nil {
			t.Fatal(err)
		}
		cols[c].Index = c
		for _, p := range cm.GetPages() {
			pg := page.Page{NumRows: p.GetLength(), FirstRow: p.GetPriority()}
			for i := range p.GetBufferOffsets() {
				pg.Buffers = append(pg.Buffers, page.Range{Offset: p.GetBufferOffsets()[i], Size: p.GetBufferSizes()[i]})
			}
			var a anypb.Any
			if err := proto.Unmarshal(p.GetEncoding().GetDirect().GetEncoding(), &a); err != nil {
				t.Fatal(err)
			}
			pg.Encoding = &a
			cols[c].Pages = append(cols[c].Pages, pg)
		}
	}
	return cols
}

type fixture struct {
	src    *memSource
	cols   []page.Column
	schema []arrow.Field
	want   map[string][]any
	rows   int
}

func loadFixture(t testing.TB, dir, name string, schema []arrow.Field) *fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name+".lance"))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader
	jf, err := os.Open(filepath.Join(dir, name+".json.gz"))
	if err == nil {
		defer jf.Close()
		if r, err = gzip.NewReader(jf); err != nil {
			t.Fatal(err)
		}
	} else if jf, err = os.Open(filepath.Join(dir, name+".json")); err == nil {
		defer jf.Close()
		r = jf
	} else {
		t.Fatal(err)
	}
	var doc struct {
		NumRows int              `json:"numRows"`
		Columns map[string][]any `json:"columns"`
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return &fixture{src: &memSource{name: name, data: data}, cols: readColumns(t, data), schema: schema, want: doc.Columns, rows: doc.NumRows}
}

// columnsOf returns the leaf columns of field i.
func (f *fixture) columnsOf(i int) []page.Column {
	at := 0
	for j := 0; j < i; j++ {
		at += LeafColumns(f.schema[j])
	}
	return f.cols[at : at+LeafColumns(f.schema[i])]
}

// jsonValue renders row i of a the way the Node script dumps LanceDB's
// output: 64-bit integers as strings, binary as hex, nested values as
// arrays and objects.
func jsonValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Boolean:
		return x.Value(i)
	case *array.Int8:
		return json.Number(strconv.FormatInt(int64(x.Value(i)), 10))
	case *array.Int16:
		return json.Number(strconv.FormatInt(int64(x.Value(i)), 10))
	case *array.Int32:
		return json.Number(strconv.FormatInt(int64(x.Value(i)), 10))
	case *array.Int64:
		return strconv.FormatInt(x.Value(i), 10)
	case *array.Uint8:
		return json.Number(strconv.FormatUint(uint64(x.Value(i)), 10))
	case *array.Uint16:
		return json.Number(strconv.FormatUint(uint64(x.Value(i)), 10))
	case *array.Uint32:
		return json.Number(strconv.FormatUint(uint64(x.Value(i)), 10))
	case *array.Uint64:
		return strconv.FormatUint(x.Value(i), 10)
	case *array.Date32:
		return json.Number(strconv.FormatInt(int64(x.Value(i))*86400000, 10))
	case *array.Timestamp:
		return json.Number(strconv.FormatInt(int64(x.Value(i)), 10))
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.String:
		return x.Value(i)
	case *array.LargeString:
		return x.Value(i)
	case *array.Binary:
		return hex.EncodeToString(x.Value(i))
	case *array.LargeBinary:
		return hex.EncodeToString(x.Value(i))
	case *array.List:
		s, e := x.ValueOffsets(i)
		out := []any{}
		for j := s; j < e; j++ {
			out = append(out, jsonValue(x.ListValues(), int(j)))
		}
		return out
	case *array.FixedSizeList:
		n := int(x.DataType().(*arrow.FixedSizeListType).Len())
		out := []any{}
		off := x.Data().Offset()
		for j := 0; j < n; j++ {
			out = append(out, jsonValue(x.ListValues(), (off+i)*n+j))
		}
		return out
	case *array.Struct:
		out := map[string]any{}
		st := x.DataType().(*arrow.StructType)
		for k := 0; k < x.NumField(); k++ {
			out[st.Field(k).Name] = jsonValue(x.Field(k), i)
		}
		return out
	}
	return fmt.Sprintf("<unsupported %T>", a)
}

func equalJSON(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case json.Number:
		switch g := got.(type) {
		case json.Number:
			return g == w
		case float64:
			f, err := w.Float64()
			return err == nil && f == g
		case string:
			return g == string(w)
		}
		return false
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !equalJSON(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !equalJSON(g[k], w[k]) {
				return false
			}
		}
		return true
	}
	return got == want
}

// checkArray compares rows [start, start+a.Len()) (or the given rows) of a
// column with LanceDB's output.
func checkArray(t *testing.T, name string, a arrow.Array, want []any, rows []int) {
	t.Helper()
	if a.Len() != len(rows) {
		t.Fatalf("%s: %d rows, want %d", name, a.Len(), len(rows))
	}
	bad := 0
	for i, r := range rows {
		got := jsonValue(a, i)
		if !equalJSON(got, want[r]) {
			if bad < 5 {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want[r])
				t.Errorf("%s row %d: got %s, want %s", name, r, g, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d rows differ", name, bad, len(rows))
	}
}

func seq(a, b int) []int {
	out := make([]int, 0, b-a)
	for i := a; i < b; i++ {
		out = append(out, i)
	}
	return out
}

// runFixture reads every field whole, in a sub-range and with Take, and
// compares with LanceDB.
func runFixture(t *testing.T, f *fixture) {
	ctx := context.Background()
	for i, field := range f.schema {
		t.Run(field.Name, func(t *testing.T) {
			want, ok := f.want[field.Name]
			if !ok {
				t.Fatalf("no expected values for %s", field.Name)
			}
			cols := f.columnsOf(i)
			a, err := DecodeRange(ctx, f.src, field, cols, 0, uint64(f.rows))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Release()
			if !arrow.TypeEqual(a.DataType(), field.Type) {
				t.Fatalf("type %s, want %s", a.DataType(), field.Type)
			}
			checkArray(t, field.Name, a, want, seq(0, f.rows))

			lo, hi := f.rows/3, f.rows-f.rows/5
			b, err := DecodeRange(ctx, f.src, field, cols, uint64(lo), uint64(hi))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Release()
			checkArray(t, field.Name+"[range]", b, want, seq(lo, hi))

			var rows []uint64
			var irows []int
			for r := 0; r < f.rows; r += 1 + r%7 {
				rows = append(rows, uint64(r))
				irows = append(irows, r)
			}
			rows = append(rows, uint64(f.rows-1), uint64(f.rows-1))
			irows = append(irows, f.rows-1, f.rows-1)
			c, err := Take(ctx, f.src, field, cols, rows)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Release()
			checkArray(t, field.Name+"[take]", c, want, irows)

			// A sparse take decodes only the chunks or rows it needs.
			sparse := []int{1, f.rows / 2, f.rows/2 + 1, f.rows - 2}
			sort.Ints(sparse)
			var srows []uint64
			for _, r := range sparse {
				srows = append(srows, uint64(r))
			}
			d, err := Take(ctx, f.src, field, cols, srows)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			checkArray(t, field.Name+"[sparse]", d, want, sparse)
		})
	}
}

func anyLayout(b []byte) *anypb.Any {
	return &anypb.Any{TypeUrl: PageLayoutTypeURL, Value: b}
}
