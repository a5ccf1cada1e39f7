package filewriter_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// lancedb039 is the harness's LanceDB release that writes 2.2 tables.
const lancedb039 = "0.39"

// resonaSchemaDim is the Resona table with vectors of dim floats.
func resonaSchemaDim(dim int) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "text_hash", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "context_text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "model", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "dimensions", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "metadata", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "created_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "updated_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "vector", Type: arrow.FixedSizeListOfField(int32(dim), arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
	}, nil)
}

// resonaRows builds rows [from, from+n) of the Resona table in batches of
// 100, with nulls in the string and float columns (never in vectors) and
// some context texts long enough for full-zip pages.
func resonaRows(from, n, dim int) ([]arrow.RecordBatch, [][]float32) {
	schema := resonaSchemaDim(dim)
	var recs []arrow.RecordBatch
	var vecs [][]float32
	for start := from; start < from+n; start += 100 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := start; i < min(start+100, from+n); i++ {
			rng := rand.New(rand.NewPCG(uint64(i), 77))
			sum := sha256.Sum256([]byte(fmt.Sprint(i)))
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc-%d#%d", i/3, i%3))
			orNull(b.Field(1), i%50 == 7, func() { b.Field(1).(*array.StringBuilder).Append(hex.EncodeToString(sum[:])) })
			orNull(b.Field(2), i%11 == 3, func() {
				b.Field(2).(*array.StringBuilder).Append(strings.Repeat(fmt.Sprintf("chunk %d text ", i), i%40))
			})
			b.Field(3).(*array.StringBuilder).Append("local")
			b.Field(4).(*array.Float64Builder).Append(float64(dim))
			orNull(b.Field(5), i%4 == 0, func() { b.Field(5).(*array.StringBuilder).Append(fmt.Sprintf(`{"n":%d}`, i)) })
			b.Field(6).(*array.Float64Builder).Append(1.7e12 + float64(i))
			orNull(b.Field(7), i%9 == 2, func() { b.Field(7).(*array.Float64Builder).Append(1.7e12 + float64(2*i)) })
			vb := b.Field(8).(*array.FixedSizeListBuilder)
			vb.Append(true)
			v := make([]float32, dim)
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

// writeDataFile writes recs as a 2.x data file under root/data and returns
// the fragment describing it (id 0: assigned at commit).
func writeDataFile(t *testing.T, root string, schema *arrow.Schema, fields []*pb.Field, recs []arrow.RecordBatch, opts filewriter.Options) *pb.DataFragment {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, format.DataDir), 0o755); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("resona-%d.lance", rand.Uint64())
	f, err := os.Create(filepath.Join(root, format.DataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
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
	major, minor := opts.Version.FileVersion()
	return &pb.DataFragment{
		Files: []*pb.DataFile{{
			Path:             name,
			Fields:           res.Fields,
			ColumnIndices:    res.ColumnIndices,
			FileMajorVersion: major,
			FileMinorVersion: minor,
			FileSizeBytes:    res.Bytes,
		}},
		PhysicalRows: res.Rows,
	}
}

// createTable commits a new table at root from one data file of recs.
func createTable(t *testing.T, root string, schema *arrow.Schema, recs []arrow.RecordBatch, opts filewriter.Options) {
	t.Helper()
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		t.Fatal(err)
	}
	frag := writeDataFile(t, root, schema, ls.PBFields(), recs, opts)
	txn := &commit.Transaction{Operation: commit.Overwrite{Fragments: []*pb.DataFragment{frag}, Schema: ls.PBFields(), SchemaMetadata: ls.PBMetadata()}}
	if _, err := commit.Commit(context.Background(), storage.NewLocal(root), txn, commit.Options{}); err != nil {
		t.Fatal(err)
	}
}

// runV22Script runs testdata/lancedb_v22.mjs and decodes its JSON output.
func runV22Script(t *testing.T, h *interop.Harness, dbdir, table string, args ...string) map[string]any {
	t.Helper()
	script, err := filepath.Abs("testdata/lancedb_v22.mjs")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(h.Node, append([]string{script, h.Dir, lancedb039, dbdir, table}, args...)...)
	cmd.Env = append(os.Environ(), "RUST_LOG=error", "LANCEDB_LOG=error")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lancedb_v22.mjs %v: %v\n%s", args, err, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("lancedb_v22.mjs output %q: %v", out, err)
	}
	return res
}

func rowsOf(t *testing.T, recs []arrow.RecordBatch) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		out = append(out, expectedRows(t, r)...)
	}
	return out
}

// checkDump compares LanceDB's rows with want, in order.
func checkDump(t *testing.T, d *interop.Dump, want []map[string]any) {
	t.Helper()
	got := dumpRows(d)
	if d.CountRows != int64(len(want)) || len(got) != len(want) {
		t.Fatalf("LanceDB %s: count %d, %d rows, want %d", d.LanceDB, d.CountRows, len(got), len(want))
	}
	for i := range got {
		if g := normalize(t, got[i]); !reflect.DeepEqual(g, want[i]) {
			t.Fatalf("LanceDB %s row %d:\n got %v\nwant %v", d.LanceDB, i, g, want[i])
		}
	}
}

// checkSearches compares LanceDB's exact searches with a brute-force
// ranking of vecs (row i has id idOf(i)).
func checkSearches(t *testing.T, d *interop.Dump, vecs [][]float32, idOf func(int) string) {
	t.Helper()
	if len(d.Searches) == 0 {
		t.Fatal("no searches in the dump")
	}
	for _, s := range d.Searches {
		want := bruteForce(s.Metric, s.Query, vecs, s.K)
		if len(s.Results) != len(want) {
			t.Fatalf("%s: %d results, want %d", s.Metric, len(s.Results), len(want))
		}
		for i, r := range s.Results {
			if r["id"] != idOf(want[i]) {
				t.Errorf("LanceDB %s %s result %d is %v, want %s", d.LanceDB, s.Metric, i, r["id"], idOf(want[i]))
			}
		}
	}
}

func resonaID(i int) string { return fmt.Sprintf("doc-%d#%d", i/3, i%3) }

// TestLanceDB039ReadsOurV22Table builds a 2.2 table from one data file of
// ours and has LanceDB 0.39 read every row, search it exactly, then append
// to it and compact it, and read it all again; on a copy it builds an
// IVF_PQ index, searches it and filters by id.
func TestLanceDB039ReadsOurV22Table(t *testing.T) {
	h := harness(t)
	ctx := context.Background()
	dir := t.TempDir()
	const n, dim = 2500, 128
	recs, vecs := resonaRows(0, n, dim)
	root := filepath.Join(dir, "emb.lance")
	createTable(t, root, resonaSchemaDim(dim), recs, filewriter.Options{Version: filewriter.Version2_2, PageBytes: 256 << 10})
	m, err := format.LoadManifest(ctx, storage.NewLocal(root), 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := m.PB.GetDataFormat().GetVersion(); v != "2.2" {
		t.Fatalf("table data format %q", v)
	}
	want := rowsOf(t, recs)

	d, err := h.Dump(ctx, lancedb039, dir, "emb", filepath.Join(dir, "emb-1.json"), interop.DumpOptions{VectorColumn: "vector", IDColumn: "id"})
	if err != nil {
		t.Fatal(err)
	}
	checkSchema(t, resonaSchemaDim(dim), d.Schema)
	checkDump(t, d, want)
	checkSearches(t, d, vecs, resonaID)

	const extra = 150
	res := runV22Script(t, h, dir, "emb", "append-optimize", fmt.Sprint(extra))
	if res["count"] != float64(n+extra) || res["fragments_removed"] != float64(2) {
		t.Fatalf("append + optimize: %v", res)
	}
	d, err = h.Dump(ctx, lancedb039, dir, "emb", filepath.Join(dir, "emb-2.json"), interop.DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkDump(t, d, append(want, want[:extra]...))
	if len(d.Versions) < 3 {
		t.Errorf("versions after append and optimize: %v", d.Versions)
	}

	// On a second copy (compaction skips indexed fragments), LanceDB
	// trains an index by sampling rows of our file and searches it.
	createTable(t, filepath.Join(dir, "embidx.lance"), resonaSchemaDim(dim), recs, filewriter.Options{Version: filewriter.Version2_2, PageBytes: 256 << 10})
	q, err := json.Marshal(vecs[17])
	if err != nil {
		t.Fatal(err)
	}
	qFile := filepath.Join(dir, "query.json")
	if err := os.WriteFile(qFile, q, 0o644); err != nil {
		t.Fatal(err)
	}
	res = runV22Script(t, h, dir, "embidx", "index-search", qFile)
	if ann, _ := res["ann"].([]any); len(ann) == 0 || ann[0] != resonaID(17) {
		t.Errorf("ANN search for row 17's vector: %v", res["ann"])
	}
	if f := fmt.Sprint(res["filtered"]); f != fmt.Sprintf("[[%s %v]]", resonaID(1800), 1.7e12+1800) {
		t.Errorf("filter on id: %s", f)
	}
}

// TestLanceDB039ReadsOurV22Types has LanceDB 0.39 read every supported type
// with every null pattern from 2.1 and 2.2 tables of ours, on many pages.
func TestLanceDB039ReadsOurV22Types(t *testing.T) {
	h := harness(t)
	ctx := context.Background()
	// Timestamps are left out: the dump renders them in its own way.
	whole := withoutColumn(v21Record(0, 3000), "ts")
	schema := whole.Schema()
	var recs []arrow.RecordBatch
	for off := int64(0); off < 3000; off += 700 {
		recs = append(recs, whole.NewSlice(off, min(off+700, 3000)))
	}
	for _, v := range []filewriter.Version{filewriter.Version2_1, filewriter.Version2_2} {
		t.Run(v.String(), func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "types.lance")
			createTable(t, root, schema, recs, filewriter.Options{Version: v, PageBytes: 32 << 10})
			m, err := format.LoadManifest(ctx, storage.NewLocal(root), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.PB.GetDataFormat().GetVersion(); got != v.String() {
				t.Fatalf("table data format %q, want %s", got, v)
			}
			d, err := h.Dump(ctx, lancedb039, dir, "types", filepath.Join(dir, "types.json"), interop.DumpOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkSchema(t, schema, d.Schema)
			checkDump(t, d, expectedRows(t, whole))
		})
	}
}

// TestOurV22FileAppendsToLanceDBTable appends a data file of ours to a
// table LanceDB 0.39 created, through the commit package, and has LanceDB
// read and search the whole table, then append to it and compact it.
func TestOurV22FileAppendsToLanceDBTable(t *testing.T) {
	h := harness(t)
	ctx := context.Background()
	dir := t.TempDir()
	const n, dim = 300, 256
	first, vecs := resonaRows(0, n, dim)
	rows := rowsOf(t, first)
	js, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	rowsFile := filepath.Join(dir, "rows.json")
	if err := os.WriteFile(rowsFile, js, 0o644); err != nil {
		t.Fatal(err)
	}
	runV22Script(t, h, dir, "lt", "create", rowsFile, fmt.Sprint(dim))

	root := filepath.Join(dir, "lt.lance")
	store := storage.NewLocal(root)
	m, err := format.LoadManifest(ctx, store, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := m.PB.GetDataFormat().GetVersion(); v != "2.2" {
		t.Fatalf("LanceDB created a %q table", v)
	}
	second, more := resonaRows(n, 700, dim)
	frag := writeDataFile(t, root, resonaSchemaDim(dim), m.PB.GetFields(), second, filewriter.Options{Version: filewriter.Version2_2, PageBytes: 128 << 10})
	txn := &commit.Transaction{ReadVersion: m.PB.GetVersion(), Operation: commit.Append{Fragments: []*pb.DataFragment{frag}}}
	if _, err := commit.Commit(ctx, store, txn, commit.Options{}); err != nil {
		t.Fatal(err)
	}
	d, err := h.Dump(ctx, lancedb039, dir, "lt", filepath.Join(dir, "lt.json"), interop.DumpOptions{VectorColumn: "vector", IDColumn: "id"})
	if err != nil {
		t.Fatal(err)
	}
	all := append(rows, rowsOf(t, second)...)
	checkDump(t, d, all)
	checkSearches(t, d, append(vecs, more...), resonaID)

	// LanceDB compacts its fragment, ours and one more of its own.
	res := runV22Script(t, h, dir, "lt", "append-optimize", "10")
	if res["count"] != float64(len(all)+10) || res["fragments_removed"] != float64(3) {
		t.Fatalf("append + optimize: %v", res)
	}
	d, err = h.Dump(ctx, lancedb039, dir, "lt", filepath.Join(dir, "lt-2.json"), interop.DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkDump(t, d, append(all, all[:10]...))
}

// withoutColumn returns rec without the named column.
func withoutColumn(rec arrow.RecordBatch, name string) arrow.RecordBatch {
	var fields []arrow.Field
	var cols []arrow.Array
	for i, f := range rec.Schema().Fields() {
		if f.Name != name {
			fields = append(fields, f)
			cols = append(cols, rec.Column(i))
		}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}

// TestLanceDB039ReadsOurLargeValues has LanceDB 0.39 read values far above
// a mini-block chunk: long strings (full-zip) and lists holding them (one
// large 2.2 chunk per row).
func TestLanceDB039ReadsOurLargeValues(t *testing.T) {
	h := harness(t)
	ctx := context.Background()
	dir := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.ListOfField(arrow.Field{Name: "item", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < 40; i++ {
		big := strings.Repeat(fmt.Sprintf("%03d", i), 1000*(1+i%50))
		orNull(b.Field(0), i%7 == 3, func() { b.Field(0).(*array.StringBuilder).Append(big) })
		lb := b.Field(1).(*array.ListBuilder)
		orNull(lb, i%5 == 2, func() {
			lb.Append(true)
			lb.ValueBuilder().(*array.StringBuilder).Append(big[:len(big)/2])
			lb.ValueBuilder().(*array.StringBuilder).Append("x")
		})
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	createTable(t, filepath.Join(dir, "big.lance"), schema, []arrow.RecordBatch{rec}, filewriter.Options{Version: filewriter.Version2_2})
	d, err := h.Dump(ctx, lancedb039, dir, "big", filepath.Join(dir, "big.json"), interop.DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkDump(t, d, expectedRows(t, rec))
}
