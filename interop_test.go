package resona_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/resona-go/resona"
	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/provider"
)

// A table written the way TypeScript Resona writes it (create, many small
// appends, deletes, upserts, a BTREE on id, an IVF_PQ index, more appends),
// by LanceDB 0.13 (format 2.0) and 0.39 (format 2.2), is searched,
// diagnosed and maintained (compaction included) by the Go service, and
// LanceDB reads it afterwards with the same results.
func TestInteropTypeScriptTable(t *testing.T) {
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("%s=skip", interop.SkipEnv)
	}
	h, err := interop.Locate()
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range interop.Versions {
		t.Run("lancedb-"+version, func(t *testing.T) { testTypeScriptTable(t, h, version) })
	}
}

func testTypeScriptTable(t *testing.T, h *interop.Harness, version string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := t.TempDir()
	dbDir := filepath.Join(root, "kb.lance")
	sum, err := h.Write(ctx, version, dbDir, "resona")
	if err != nil {
		t.Fatal(err)
	}
	dumpOpts := interop.DumpOptions{VectorColumn: sum.VectorColumn, IDColumn: sum.IDColumn}
	before, err := h.Dump(ctx, version, dbDir, sum.Table, filepath.Join(root, "before.json"), dumpOpts)
	if err != nil {
		t.Fatal(err)
	}

	p, err := provider.NewLocal(provider.LocalConfig{Dimensions: 32})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := resona.New(ctx, p, filepath.Join(root, "kb.db"), resona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	d, err := svc.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalRows != before.CountRows || d.Version != before.LatestVersion || !d.IDIndex {
		t.Fatalf("diagnostics %+v; LanceDB: %d rows, version %d", d, before.CountRows, before.LatestVersion)
	}
	vecIdx := lanceIndexStats(t, before, "vector")
	if d.Index == nil || d.Index.NumIndexedRows != vecIdx.NumIndexedRows || d.Index.NumUnindexedRows != vecIdx.NumUnindexedRows {
		t.Fatalf("index %+v; LanceDB %+v", d.Index, vecIdx)
	}
	checkSearches(t, svc, before, "before maintenance")

	res, err := svc.Maintain(ctx, resona.MaintenanceOptions{RetentionDays: resona.Days(0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("maintenance: %+v", res.Steps)
	if res.Cleanup == nil || res.Cleanup.VersionsRemoved == 0 {
		t.Fatalf("cleanup %+v", res.Cleanup)
	}
	if res.Compaction == nil || res.Compaction.FragmentsRemoved < 2 || res.Compaction.RowsRewritten == 0 {
		t.Fatalf("compaction %+v", res.Compaction)
	}
	checkSearches(t, svc, before, "after maintenance")

	after, err := h.Dump(ctx, version, dbDir, sum.Table, filepath.Join(root, "after.json"), dumpOpts)
	if err != nil {
		t.Fatal(err)
	}
	if after.CountRows != before.CountRows || after.LatestVersion != svcVersion(t, svc) {
		t.Fatalf("LanceDB after: %d rows at version %d; before %d rows", after.CountRows, after.LatestVersion, before.CountRows)
	}
	for i := range before.Searches {
		b, a := before.Searches[i], after.Searches[i]
		for j := range b.Results {
			if fmt.Sprint(b.Results[j]["id"]) != fmt.Sprint(a.Results[j]["id"]) {
				t.Fatalf("search %d (%s) row %d: %v before, %v after", i, b.Metric, j, b.Results[j]["id"], a.Results[j]["id"])
			}
		}
	}
	// RebuildIndex replaces LanceDB's index with one this engine builds;
	// fragments only LanceDB 0.13's legacy index kept apart are merged
	// then, in the same run.
	res, err = svc.Maintain(ctx, resona.MaintenanceOptions{RebuildIndex: true, RetentionDays: resona.Days(0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("maintenance with RebuildIndex: %+v", res.Steps)
	if !res.IndexRebuilt || res.IndexCreated || res.IndexStats == nil || res.IndexStats.NumUnindexedRows != 0 ||
		res.IndexStats.NumIndexedRows != before.CountRows || res.Compaction == nil || res.Compaction.FragmentsSkipped != 0 {
		t.Fatalf("RebuildIndex: %+v, index %+v, compaction %+v", res, res.IndexStats, res.Compaction)
	}
	if d, err = svc.GetDiagnostics(ctx); err != nil || d.CompactableFragments != 0 {
		t.Fatalf("diagnostics after RebuildIndex: %+v %v", d, err)
	}
	rebuilt, err := h.Dump(ctx, version, dbDir, sum.Table, filepath.Join(root, "rebuilt.json"), interop.DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt.CountRows != before.CountRows {
		t.Fatalf("LanceDB counts %d rows after RebuildIndex, want %d", rebuilt.CountRows, before.CountRows)
	}
	if st := lanceIndexStats(t, rebuilt, "vector"); st.NumUnindexedRows != 0 || st.NumIndexedRows != before.CountRows {
		t.Fatalf("LanceDB's view of the rebuilt index: %+v", st)
	}
	// Go updates TypeScript's rows in place (merge-insert on id) and adds
	// new ones; LanceDB sees one row per id.
	upd, err := svc.EmbedBatch(ctx, []resona.Item{
		{ID: "doc-00010", Text: "rewritten by the Go service"},
		{ID: "doc-00020", Text: "also rewritten"},
		{ID: "go-new-1", Text: "brand new item"},
	}, resona.BatchOptions{})
	if err != nil || upd.Processed != 3 || upd.Errors != 0 {
		t.Fatalf("%+v %v", upd, err)
	}
	final, err := h.Dump(ctx, version, dbDir, sum.Table, filepath.Join(root, "final.json"), interop.DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if final.CountRows != before.CountRows+1 {
		t.Fatalf("LanceDB counts %d rows after the upsert, want %d", final.CountRows, before.CountRows+1)
	}
	idCol := -1
	for i, c := range final.Columns {
		if c == "id" {
			idCol = i
		}
	}
	count := map[string]int{}
	for _, r := range final.Rows {
		count[fmt.Sprint(r[idCol])]++
	}
	if count["doc-00010"] != 1 || count["doc-00020"] != 1 || count["go-new-1"] != 1 {
		t.Fatalf("LanceDB rows per id: %v %v %v", count["doc-00010"], count["doc-00020"], count["go-new-1"])
	}
}

func svcVersion(t *testing.T, svc *resona.EmbeddingService) uint64 {
	d, err := svc.GetDiagnostics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d.Version
}

func lanceIndexStats(t *testing.T, d *interop.Dump, column string) interop.IndexStats {
	for _, ix := range d.Indices {
		if len(ix.Columns) == 1 && ix.Columns[0] == column && ix.Stats != nil {
			return *ix.Stats
		}
	}
	t.Fatalf("LanceDB lists no index on %s", column)
	return interop.IndexStats{}
}

// checkSearches runs LanceDB's exact L2 searches through the service:
// LanceDB's rows collapsed to base ids must be the service's first
// results, with the same distances.
func checkSearches(t *testing.T, svc *resona.EmbeddingService, d *interop.Dump, when string) {
	t.Helper()
	n := 0
	for _, s := range d.Searches {
		if s.Metric != "l2" {
			continue
		}
		n++
		var ids []string
		var dists []float64
		seen := map[string]bool{}
		for _, r := range s.Results {
			id := resona.BaseID(fmt.Sprint(r["id"]))
			if seen[id] {
				continue
			}
			seen[id] = true
			ids = append(ids, id)
			dists = append(dists, number(t, r["_distance"]))
		}
		got, err := svc.SearchVector(context.Background(), s.Query, len(ids))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ids) {
			t.Fatalf("%s: %d results, want %d", when, len(got), len(ids))
		}
		for i := range ids {
			if got[i].ID != ids[i] || math.Abs(got[i].Distance-dists[i]) > 1e-4*math.Max(1, dists[i]) {
				t.Fatalf("%s: result %d is %s (%v), LanceDB %s (%v)", when, i, got[i].ID, got[i].Distance, ids[i], dists[i])
			}
		}
	}
	if n == 0 {
		t.Fatal("LanceDB ran no l2 searches")
	}
}

func number(t *testing.T, v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return f
	case float64:
		return x
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Fatalf("not a number: %T %v", v, v)
	return 0
}

// A table the Go service creates, fills and maintains is read by LanceDB
// with the Resona schema and the same nearest neighbours.
func TestInteropGoWrittenTable(t *testing.T) {
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("%s=skip", interop.SkipEnv)
	}
	h, err := interop.Locate()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := t.TempDir()
	p, err := provider.NewLocal(provider.LocalConfig{Dimensions: 32})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := resona.New(ctx, p, filepath.Join(root, "kb.db"), resona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for b := range 5 {
		var batch []resona.Item
		for i := range 60 {
			n := b*60 + i
			batch = append(batch, resona.Item{ID: fmt.Sprintf("doc-%04d", n), Text: fmt.Sprintf("note %d on topic %d", n, n%7),
				Metadata: map[string]any{"n": n}})
		}
		if _, err := svc.EmbedBatch(ctx, batch, resona.BatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.DeleteByIDs(ctx, []string{"doc-0001", "doc-0100"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Maintain(ctx, resona.MaintenanceOptions{RetentionDays: resona.Days(0)}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"id": "utf8", "text_hash": "utf8", "context_text": "utf8", "model": "utf8", "dimensions": "float64",
		"metadata": "utf8", "created_at": "float64", "updated_at": "float64",
	}
	for _, v := range interop.Versions {
		d, err := h.Dump(ctx, v, filepath.Join(root, "kb.lance"), resona.TableName, filepath.Join(root, "dump-"+v+".json"),
			interop.DumpOptions{VectorColumn: "vector", IDColumn: "id"})
		if err != nil {
			t.Fatalf("LanceDB %s: %v", v, err)
		}
		if d.CountRows != 298 || len(d.Schema) != 9 {
			t.Fatalf("LanceDB %s: %d rows, schema %+v", v, d.CountRows, d.Schema)
		}
		for _, f := range d.Schema {
			if f.Name == "vector" {
				if !f.Nullable || len(f.Children) != 1 || f.Children[0].Type != "float32" || !f.Children[0].Nullable {
					t.Errorf("LanceDB %s: vector field %+v", v, f)
				}
				continue
			}
			if !f.Nullable || want[f.Name] != f.Type {
				t.Errorf("LanceDB %s: field %+v, want nullable %s", v, f, want[f.Name])
			}
		}
		checkSearches(t, svc, d, "LanceDB "+v)
	}
}
