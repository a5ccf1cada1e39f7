package lance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance/expr"
)

const interopDim = 16

// goWrittenOutput is what interop/node/scripts/go_written.mjs reports.
type goWrittenOutput struct {
	LanceDB     string `json:"lancedb"`
	CountBefore int64  `json:"countBefore"`
	Schema      []struct {
		Name     string `json:"name"`
		Nullable bool   `json:"nullable"`
		Type     string `json:"type"`
	} `json:"schema"`
	Rows   []map[string]any `json:"rows"`
	Search []struct {
		ID       string  `json:"id"`
		Distance float64 `json:"distance"`
	} `json:"search"`
	Appended []struct {
		ID     string    `json:"id"`
		Text   string    `json:"context_text"`
		Vector []float64 `json:"vector"`
	} `json:"appended"`
	CountAfterAppend   int64    `json:"countAfterAppend"`
	CountAfterOptimize int64    `json:"countAfterOptimize"`
	IDsAfter           []string `json:"idsAfter"`
	Lookup             []string `json:"lookup"`
}

// resonaHistory writes a Resona table the way the service does: small
// appends (one commit per batch), deletes, upserts, a delete that empties a
// fragment. It returns the rows the table holds, by id.
func resonaHistory(t *testing.T, path string, dim int, dsv string, withIndex bool) map[string]resonaRow {
	t.Helper()
	ctx := context.Background()
	model := map[string]resonaRow{}
	put := func(rows []resonaRow) {
		for _, r := range rows {
			model[r.ID] = r
		}
	}
	first := rowsFor("doc-", 0, 40, 0, dim)
	d := mustCreate(t, path, dim, first, CreateOptions{DataStorageVersion: dsv})
	put(first)
	cur := d
	next := func(nd *Dataset, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if cur != d {
			cur.Close()
		}
		cur = nd
	}
	for b := 0; b < 6; b++ {
		rows := rowsFor(fmt.Sprintf("b%d-", b), 0, 10, 0, dim)
		next(cur.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows)}))
		put(rows)
	}
	del := []any{"doc-3", "doc-17", "b1-4", "b4-0", "b4-9"}
	nd, n, err := cur.Delete(ctx, expr.Col("id").In(del...))
	next(nd, err)
	if n != int64(len(del)) {
		t.Fatalf("deleted %d rows, want %d", n, n)
	}
	for _, id := range del {
		delete(model, id.(string))
	}
	up := append(rowsFor("doc-", 20, 24, 1, dim), rowsFor("new-", 0, 4, 1, dim)...)
	nd, _, err = cur.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(dim, up)}, MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
	next(nd, err)
	put(up)
	// The BTREE on id LanceDB users create; later writes use it to find
	// upserted keys, and LanceDB must read and update it.
	if withIndex {
		next(cur.CreateIndex(ctx, "id", IndexOptions{Type: IndexBTree}))
	}
	// Every row of the third append goes: its fragment leaves the table.
	nd, _, err = cur.Delete(ctx, expr.Col("id").In(anyStrings(rowsFor("b2-", 0, 10, 0, dim))...))
	next(nd, err)
	for i := 0; i < 10; i++ {
		delete(model, fmt.Sprintf("b2-%d", i))
	}
	up = append(rowsFor("b5-", 0, 3, 2, dim), rowsFor("new-", 2, 6, 2, dim)...)
	nd, _, err = cur.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(dim, up)}, MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
	next(nd, err)
	put(up)
	last := rowsFor("tail-", 0, 10, 0, dim)
	next(cur.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, last)}))
	put(last)
	if cur != d {
		cur.Close()
	}
	return model
}

func anyStrings(rows []resonaRow) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInteropGoWrittenResonaTable: LanceDB 0.13 and 0.39 read, search,
// append to and optimize a Resona table written by Go in format 2.0, and
// LanceDB 0.39 one written in 2.2 (0.13 cannot read 2.2); Go then reads
// what LanceDB appended and keeps writing.
func TestInteropGoWrittenResonaTable(t *testing.T) {
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skip("interop tests skipped by " + interop.SkipEnv)
	}
	if testing.Short() {
		t.Skip("interop runs Node")
	}
	h, err := interop.Locate()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("format-2.0", func(t *testing.T) { interopGoWritten(t, h, "2.0", false, interop.Versions) })
	t.Run("format-2.0-btree", func(t *testing.T) { interopGoWritten(t, h, "2.0", true, interop.Versions) })
	t.Run("format-2.2-btree", func(t *testing.T) { interopGoWritten(t, h, "2.2", true, []string{"0.39"}) })
}

func interopGoWritten(t *testing.T, h *interop.Harness, dsv string, withIndex bool, versions []string) {
	src := filepath.Join(t.TempDir(), "embeddings.lance")
	model := resonaHistory(t, src, interopDim, dsv, withIndex)
	query := makeRow("query", 7, interopDim).Vector
	goSrc := openT(t, src)
	goHits, err := goSrc.Search(context.Background(), SearchOptions{Query: query, K: 5, Columns: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	qj, _ := json.Marshal(query)

	for _, v := range versions {
		t.Run("lancedb-"+v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			db := t.TempDir()
			table := filepath.Join(db, "embeddings.lance")
			copyTree(t, src, table)
			outPath := filepath.Join(t.TempDir(), "out.json")
			cmd := exec.CommandContext(ctx, h.Node, filepath.Join(h.Dir, "scripts", "go_written.mjs"), v, db, "embeddings", string(qj), outPath)
			cmd.Env = append(os.Environ(), "RUST_LOG=error", "LANCEDB_LOG=error")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("node go_written.mjs %s: %v\n%s", v, err, stderr.Bytes())
			}
			raw, err := os.ReadFile(outPath)
			if err != nil {
				t.Fatal(err)
			}
			var out goWrittenOutput
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			checkLanceDBView(t, &out, model, goHits)

			// Go reads LanceDB's rows and the ones it wrote itself.
			d := openT(t, table)
			got := tableContent(t, d)
			want := map[string]string{}
			for id, r := range model {
				want[id] = r.text()
			}
			for _, a := range out.Appended {
				want[a.ID] = a.Text
			}
			sameContent(t, got, want)
			for _, a := range out.Appended {
				res, err := d.Search(ctx, SearchOptions{Query: float32s(a.Vector), K: 1, Columns: []string{"id"}})
				if err != nil {
					t.Fatal(err)
				}
				if id := res.Column(0).(*array.String).Value(0); id != a.ID {
					t.Errorf("nearest to LanceDB's row %s is %s", a.ID, id)
				}
			}
			// And keeps writing after LanceDB's compaction.
			up := rowsFor("doc-", 0, 3, 5, interopDim)
			nd, res, err := d.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(interopDim, up)}, MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
			if err != nil {
				t.Fatal(err)
			}
			defer nd.Close()
			if res.Updated != 3 {
				t.Errorf("upsert after LanceDB: %+v, want 3 updated", res)
			}
			for _, r := range up {
				want[r.ID] = r.text()
			}
			sameContent(t, tableContent(t, nd), want)
		})
	}
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func checkLanceDBView(t *testing.T, out *goWrittenOutput, model map[string]resonaRow, goHits arrow.RecordBatch) {
	t.Helper()
	if out.CountBefore != int64(len(model)) {
		t.Errorf("LanceDB %s counts %d rows, Go wrote %d", out.LanceDB, out.CountBefore, len(model))
	}
	for _, f := range out.Schema {
		if !f.Nullable {
			t.Errorf("LanceDB %s sees column %s as non-nullable", out.LanceDB, f.Name)
		}
	}
	if len(out.Rows) != len(model) {
		t.Errorf("LanceDB %s reads %d rows, want %d", out.LanceDB, len(out.Rows), len(model))
	}
	bad := 0
	for _, row := range out.Rows {
		id, _ := row["id"].(string)
		r, ok := model[id]
		if !ok {
			t.Errorf("LanceDB %s reads unexpected row %q", out.LanceDB, id)
			continue
		}
		var meta any
		if r.Gen%2 == 0 {
			meta = fmt.Sprintf(`{"gen":%d}`, r.Gen)
		}
		want := map[string]any{
			"text_hash": fmt.Sprintf("hash-%s-%d", r.ID, r.Gen), "context_text": r.text(),
			"model": "nomic-embed-text", "dimensions": float64(interopDim), "metadata": meta,
			"created_at": r.Created, "updated_at": r.Created + float64(r.Gen),
		}
		for k, w := range want {
			if row[k] != w {
				bad++
				if bad < 5 {
					t.Errorf("LanceDB %s: row %s column %s = %v, want %v", out.LanceDB, id, k, row[k], w)
				}
			}
		}
		vec, _ := row["vector"].([]any)
		if len(vec) != len(r.Vector) {
			t.Errorf("LanceDB %s: row %s vector has %d values", out.LanceDB, id, len(vec))
			continue
		}
		for i, x := range vec {
			if f, _ := x.(float64); float32(f) != r.Vector[i] {
				bad++
				if bad < 5 {
					t.Errorf("LanceDB %s: row %s vector[%d] = %v, want %v", out.LanceDB, id, i, x, r.Vector[i])
				}
				break
			}
		}
	}
	var lookup []string
	for _, id := range []string{"b3-2", "doc-3", "doc-5", "new-1"} { // sorted
		if _, ok := model[id]; ok {
			lookup = append(lookup, id)
		}
	}
	if fmt.Sprint(out.Lookup) != fmt.Sprint(lookup) {
		t.Errorf("LanceDB %s key lookup finds %v, want %v", out.LanceDB, out.Lookup, lookup)
	}
	ids := goHits.Column(0).(*array.String)
	dists := goHits.Column(1).(*array.Float32)
	if len(out.Search) != ids.Len() {
		t.Fatalf("LanceDB %s search returned %d rows, Go %d", out.LanceDB, len(out.Search), ids.Len())
	}
	for i, s := range out.Search {
		if s.ID != ids.Value(i) || math.Abs(s.Distance-float64(dists.Value(i))) > 1e-4*math.Max(1, s.Distance) {
			t.Errorf("LanceDB %s search hit %d: %s at %v; Go: %s at %v", out.LanceDB, i, s.ID, s.Distance, ids.Value(i), dists.Value(i))
		}
	}
	if out.CountAfterAppend != int64(len(model)+3) || out.CountAfterOptimize != out.CountAfterAppend {
		t.Errorf("LanceDB %s counts %d after its append and %d after optimize, want %d", out.LanceDB, out.CountAfterAppend, out.CountAfterOptimize, len(model)+3)
	}
}
