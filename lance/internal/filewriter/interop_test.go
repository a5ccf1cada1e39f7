package filewriter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
)

// harness returns the Node harness, or skips when RESONA_INTEROP=skip or
// the pinned LanceDB installs are missing.
func harness(t *testing.T) *interop.Harness {
	t.Helper()
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("%s=skip", interop.SkipEnv)
	}
	h, err := interop.Locate()
	if err != nil {
		t.Skipf("LanceDB harness unavailable: %v", err)
	}
	return h
}

// writeTable builds a one-fragment table <dir>/<name>.lance whose data file
// the writer produces from recs, with a V1 manifest of version 1.
// It returns the data file's path.
func writeTable(t *testing.T, dir, name string, schema *arrow.Schema, recs []arrow.RecordBatch, opts filewriter.Options) string {
	t.Helper()
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, name+".lance")
	if err := os.MkdirAll(filepath.Join(root, format.DataDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, format.VersionsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	dataName := "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.lance"
	f, err := os.Create(filepath.Join(root, format.DataDir, dataName))
	if err != nil {
		t.Fatal(err)
	}
	fields := ls.PBFields()
	w, err := filewriter.New(f, schema, fields, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range recs {
		if err := w.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	m := &pb.Manifest{
		Fields:         fields,
		SchemaMetadata: ls.PBMetadata(),
		Fragments: []*pb.DataFragment{{
			Id: 0,
			Files: []*pb.DataFile{{
				Path:             dataName,
				Fields:           res.Fields,
				ColumnIndices:    res.ColumnIndices,
				FileMajorVersion: filewriter.FileMajorVersion,
				FileMinorVersion: filewriter.FileMinorVersion,
				FileSizeBytes:    res.Bytes,
			}},
			PhysicalRows: res.Rows,
		}},
		Version:       1,
		Timestamp:     timestamppb.New(time.Now()),
		WriterVersion: &pb.Manifest_WriterVersion{Library: "resona-go", Version: "0.1.0"},
		DataFormat:    &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: "2.0"},
		MaxFragmentId: new(uint32),
	}
	b, err := format.EncodeManifestFile(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, format.SchemeV1.ManifestPath(1)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// TestLanceDBReadsOurFile writes tables with the writer and checks that
// LanceDB 0.13.0 and 0.39.0 read back every row and the schema.
func TestLanceDBReadsOurFile(t *testing.T) {
	h := harness(t)
	dir := t.TempDir()
	ctx := context.Background()
	schema := filewriter.TypesSchema()

	var recs []arrow.RecordBatch
	for _, r := range [][2]int{{0, 7}, {7, 150}, {150, 151}, {151, 300}} {
		recs = append(recs, filewriter.TypesRecord(memory.DefaultAllocator, r[0], r[1]))
	}
	// Small pages put every column on several pages, lists included.
	writeTable(t, dir, "types", schema, recs, filewriter.Options{})
	writeTable(t, dir, "paged", schema, recs, filewriter.Options{PageBytes: 256})
	whole := filewriter.TypesRecord(memory.DefaultAllocator, 0, 300)
	want := expectedRows(t, whole)

	for _, v := range interop.Versions {
		for _, table := range []string{"types", "paged"} {
			t.Run(v+"/"+table, func(t *testing.T) {
				d, err := h.Dump(ctx, v, dir, table, filepath.Join(dir, table+"-"+v+".json"), interop.DumpOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if d.CountRows != 300 || len(d.Rows) != 300 {
					t.Fatalf("LanceDB %s: count %d, %d rows", d.LanceDB, d.CountRows, len(d.Rows))
				}
				checkSchema(t, schema, d.Schema)
				for i, row := range dumpRows(d) {
					got := normalize(t, row)
					if !reflect.DeepEqual(got, want[i]) {
						t.Errorf("LanceDB %s row %d:\n got %v\nwant %v", d.LanceDB, i, got, want[i])
					}
				}
			})
		}
	}
}

// dumpRows turns the dump's row arrays into maps keyed by column name,
// without the _rowid column.
func dumpRows(d *interop.Dump) []map[string]any {
	out := make([]map[string]any, len(d.Rows))
	for i, r := range d.Rows {
		m := make(map[string]any, len(r))
		for c, v := range r {
			if c < len(d.Columns) && d.Columns[c] != "_rowid" {
				m[d.Columns[c]] = v
			}
		}
		out[i] = m
	}
	return out
}

func checkSchema(t *testing.T, schema *arrow.Schema, got []interop.Field) {
	t.Helper()
	if len(got) != schema.NumFields() {
		t.Fatalf("LanceDB schema has %d fields, want %d", len(got), schema.NumFields())
	}
	for i, f := range schema.Fields() {
		if got[i].Name != f.Name || got[i].Type != typeName(f.Type) {
			t.Errorf("field %d: LanceDB reads %s %s, want %s %s", i, got[i].Name, got[i].Type, f.Name, typeName(f.Type))
		}
	}
}

// typeName spells a type as the harness's dump.mjs does.
func typeName(dt arrow.DataType) string {
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
	case *arrow.Float16Type:
		return "float16"
	case *arrow.Float32Type:
		return "float32"
	case *arrow.Float64Type:
		return "float64"
	case *arrow.FixedSizeListType:
		return fmt.Sprintf("fixed_size_list<%s>[%d]", typeName(t.Elem()), t.Len())
	case *arrow.ListType:
		return "list<" + typeName(t.Elem()) + ">"
	case *arrow.LargeListType:
		return "large_list<" + typeName(t.Elem()) + ">"
	case *arrow.StructType:
		s := "struct<"
		for i, f := range t.Fields() {
			if i > 0 {
				s += ","
			}
			s += f.Name + ":" + typeName(f.Type)
		}
		return s + ">"
	}
	return dt.String() // int8 … uint64 spell the same
}

// expectedRows renders each row of rec with the conventions of the
// harness's valueJSON, then normalizes it like the dumped rows.
func expectedRows(t *testing.T, rec arrow.RecordBatch) []map[string]any {
	t.Helper()
	rows := make([]map[string]any, rec.NumRows())
	for r := range rows {
		row := map[string]any{}
		for c, f := range rec.Schema().Fields() {
			row[f.Name] = valueJSON(rec.Column(c), r)
		}
		rows[r] = normalize(t, row)
	}
	return rows
}

func valueJSON(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Binary:
		return base64.StdEncoding.EncodeToString(a.Value(i))
	case *array.LargeBinary:
		return base64.StdEncoding.EncodeToString(a.Value(i))
	case *array.Float32:
		return floatJSON(float64(a.Value(i)))
	case *array.Float64:
		return floatJSON(a.Value(i))
	case *array.FixedSizeList:
		n := int(a.DataType().(*arrow.FixedSizeListType).Len())
		out := make([]any, n)
		for k := range out {
			out[k] = valueJSON(a.ListValues(), (a.Offset()+i)*n+k)
		}
		return out
	case array.ListLike:
		s, e := a.ValueOffsets(i)
		out := make([]any, 0, e-s)
		for k := s; k < e; k++ {
			out = append(out, valueJSON(a.ListValues(), int(k)))
		}
		return out
	case *array.Struct:
		out := map[string]any{}
		for k, f := range a.DataType().(*arrow.StructType).Fields() {
			out[f.Name] = valueJSON(a.Field(k), i)
		}
		return out
	}
	return a.GetOneForMarshal(i)
}

func floatJSON(v float64) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return v
}

// normalize round-trips a row through JSON so that numbers compare by
// their decimal text on both sides.
func normalize(t *testing.T, row map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

const embedDim = 128

// embeddingsSchema is the table Resona keeps (see DESIGN.md), all nullable
// as LanceDB infers it.
func embeddingsSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "text_hash", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "context_text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "model", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "dimensions", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "metadata", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "created_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "updated_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "vector", Type: arrow.FixedSizeListOfField(embedDim, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
	}, nil)
}

// embeddingsBatches builds n rows in batches of 100 from a fixed seed.
func embeddingsBatches(n int) ([]arrow.RecordBatch, [][]float32) {
	rng := rand.New(rand.NewPCG(7, 11))
	schema := embeddingsSchema()
	var recs []arrow.RecordBatch
	var vecs [][]float32
	for from := 0; from < n; from += 100 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := from; i < min(from+100, n); i++ {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc-%d#%d", i/3, i%3))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%064x", rng.Uint64()))
			b.Field(2).(*array.StringBuilder).Append(strings.Repeat("lorem ipsum ", i%17))
			b.Field(3).(*array.StringBuilder).Append("local")
			b.Field(4).(*array.Float64Builder).Append(embedDim)
			if i%4 == 0 {
				b.Field(5).(*array.StringBuilder).Append(fmt.Sprintf(`{"n":%d}`, i))
			} else {
				b.Field(5).(*array.StringBuilder).Append("")
			}
			b.Field(6).(*array.Float64Builder).Append(1.7e12 + float64(i))
			b.Field(7).(*array.Float64Builder).Append(1.7e12 + float64(2*i))
			vb := b.Field(8).(*array.FixedSizeListBuilder)
			vb.Append(true)
			v := make([]float32, embedDim)
			for k := range v {
				v[k] = rng.Float32()*2 - 1
			}
			vb.ValueBuilder().(*array.Float32Builder).AppendValues(v, nil)
			vecs = append(vecs, v)
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	return recs, vecs
}

// TestLanceDBSearchesOurFile writes Resona's table shape on many pages and
// checks LanceDB's rows and exact searches (l2, cosine, dot) against a
// brute-force search over the same vectors.
func TestLanceDBSearchesOurFile(t *testing.T) {
	h := harness(t)
	dir := t.TempDir()
	ctx := context.Background()
	const n = 3000
	recs, vecs := embeddingsBatches(n)
	path := writeTable(t, dir, "embeddings", embeddingsSchema(), recs, filewriter.Options{PageBytes: 64 << 10})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := file.Open(ctx, bytes.NewReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	if pages := len(rd.Column(8).Pages); pages < 10 {
		t.Fatalf("vector column has %d pages; the test wants many", pages)
	}
	var want []map[string]any
	for _, r := range recs {
		want = append(want, expectedRows(t, r)...)
	}
	for _, v := range interop.Versions {
		t.Run(v, func(t *testing.T) {
			d, err := h.Dump(ctx, v, dir, "embeddings", filepath.Join(dir, "embeddings-"+v+".json"),
				interop.DumpOptions{VectorColumn: "vector", IDColumn: "id"})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Rows) != n {
				t.Fatalf("LanceDB %s read %d rows, want %d", d.LanceDB, len(d.Rows), n)
			}
			checkSchema(t, embeddingsSchema(), d.Schema)
			for i, row := range dumpRows(d) {
				if got := normalize(t, row); !reflect.DeepEqual(got, want[i]) {
					t.Fatalf("LanceDB %s row %d:\n got %v\nwant %v", d.LanceDB, i, got, want[i])
				}
			}
			if len(d.Searches) == 0 {
				t.Fatal("no searches in the dump")
			}
			for _, s := range d.Searches {
				wantIDs := bruteForce(s.Metric, s.Query, vecs, s.K)
				if len(s.Results) != len(wantIDs) {
					t.Fatalf("%s: %d results, want %d", s.Metric, len(s.Results), len(wantIDs))
				}
				for i, r := range s.Results {
					if r["id"] != fmt.Sprintf("doc-%d#%d", wantIDs[i]/3, wantIDs[i]%3) {
						t.Errorf("LanceDB %s %s result %d is %v, want row %d", d.LanceDB, s.Metric, i, r["id"], wantIDs[i])
					}
				}
			}
		})
	}
}

// bruteForce ranks rows by exact distance (smallest first) and returns the
// first k row numbers.
func bruteForce(metric string, q []float32, vecs [][]float32, k int) []int {
	dist := make([]float64, len(vecs))
	var qn float64
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	for i, v := range vecs {
		var dot, l2, vn float64
		for j := range v {
			a, b := float64(q[j]), float64(v[j])
			dot += a * b
			l2 += (a - b) * (a - b)
			vn += b * b
		}
		switch metric {
		case "l2":
			dist[i] = l2
		case "cosine":
			dist[i] = 1 - dot/math.Sqrt(qn*vn)
		default:
			dist[i] = -dot
		}
	}
	idx := make([]int, len(vecs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return dist[idx[a]] < dist[idx[b]] })
	return idx[:k]
}
