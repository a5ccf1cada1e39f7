package lance

import (
	"context"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// resonaSchema is the table TypeScript Resona keeps, as LanceDB infers it:
// every column nullable.
func resonaSchema(dim int) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "text_hash", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "context_text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "model", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "dimensions", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "metadata", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "created_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "updated_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "vector", Type: arrow.FixedSizeListOfNonNullable(int32(dim), arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
}

// resonaRow is one row of the Resona table; Gen distinguishes versions of
// the same id written by upserts.
type resonaRow struct {
	ID      string
	Gen     int
	Vector  []float32
	Created float64
}

func makeRow(id string, gen, dim int) resonaRow {
	v := make([]float32, dim)
	hf := fnv.New64a()
	fmt.Fprintf(hf, "%s/%d", id, gen)
	x := hf.Sum64()
	for i := range v {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v[i] = float32(x>>40) / float32(1<<24)
	}
	return resonaRow{ID: id, Gen: gen, Vector: v, Created: float64(1.7e12 + float64(x%1000))}
}

func (r resonaRow) text() string { return fmt.Sprintf("text of %s gen %d", r.ID, r.Gen) }

// resonaBatch builds a record batch of rows with the Resona schema.
func resonaBatch(dim int, rows []resonaRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, resonaSchema(dim))
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.ID)
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("hash-%s-%d", r.ID, r.Gen))
		b.Field(2).(*array.StringBuilder).Append(r.text())
		b.Field(3).(*array.StringBuilder).Append("nomic-embed-text")
		b.Field(4).(*array.Float64Builder).Append(float64(dim))
		if r.Gen%2 == 0 {
			b.Field(5).(*array.StringBuilder).Append(fmt.Sprintf(`{"gen":%d}`, r.Gen))
		} else {
			b.Field(5).(*array.StringBuilder).AppendNull()
		}
		b.Field(6).(*array.Float64Builder).Append(r.Created)
		b.Field(7).(*array.Float64Builder).Append(r.Created + float64(r.Gen))
		lb := b.Field(8).(*array.FixedSizeListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Float32Builder).AppendValues(r.Vector, nil)
	}
	return b.NewRecordBatch()
}

func rowsFor(prefix string, from, to, gen, dim int) []resonaRow {
	var out []resonaRow
	for i := from; i < to; i++ {
		out = append(out, makeRow(fmt.Sprintf("%s%d", prefix, i), gen, dim))
	}
	return out
}

// tableContent reads every live row: id → context_text, checking that the
// other columns agree with the row the text names.
func tableContent(t testing.TB, d *Dataset) map[string]string {
	t.Helper()
	out := map[string]string{}
	for rec, err := range d.Scan(context.Background(), ScanOptions{Columns: []string{"id", "context_text"}}) {
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		ids := rec.Column(0).(*array.String)
		txt := rec.Column(1).(*array.String)
		for i := 0; i < ids.Len(); i++ {
			if _, dup := out[ids.Value(i)]; dup {
				t.Fatalf("id %q appears twice", ids.Value(i))
			}
			out[ids.Value(i)] = txt.Value(i)
		}
	}
	return out
}

// expectContent applies rows to a model of the table.
func expectContent(model map[string]string, rows []resonaRow) {
	for _, r := range rows {
		model[r.ID] = r.text()
	}
}

func sameContent(t testing.TB, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("table has %d rows, want %d", len(got), len(want))
	}
	var bad []string
	for k, v := range want {
		if got[k] != v {
			bad = append(bad, fmt.Sprintf("%s: got %q want %q", k, got[k], v))
		}
	}
	sort.Strings(bad)
	if len(bad) > 5 {
		bad = bad[:5]
	}
	for _, b := range bad {
		t.Error(b)
	}
}

func tempTable(t testing.TB) string {
	return filepath.Join(t.TempDir(), "embeddings.lance")
}

func mustCreate(t testing.TB, path string, dim int, rows []resonaRow, opts CreateOptions) *Dataset {
	t.Helper()
	var recs []arrow.RecordBatch
	if len(rows) > 0 {
		recs = append(recs, resonaBatch(dim, rows))
	}
	d, err := Create(context.Background(), path, resonaSchema(dim), recs, opts)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
