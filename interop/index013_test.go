package interop

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance"
)

// TestLanceDB013OptimizesGoVectorIndex checks what LanceDB 0.13's optimize()
// does with the IVF_PQ index package lance builds on a format 2.0 table.
// After deletes over many small indexed fragments it fails (lance 0.19
// remaps only legacy IVF indexes). After package lance compacted the table,
// LanceDB 0.13 appends rows and optimize() folds them into a new index
// segment, which package lance then reads and searches as LanceDB does.
func TestLanceDB013OptimizesGoVectorIndex(t *testing.T) {
	h := requireHarness(t)
	const v = "0.13"
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	sum, live := writeGoResona(t, dir, true)

	t.Run("delete-optimize-fails", func(t *testing.T) {
		other := t.TempDir()
		if err := copyTree(filepath.Join(other, "embeddings.lance"), sum.TableDir); err != nil {
			t.Fatal(err)
		}
		_, err := h.Maintain(ctx, v, other, sum.Table)
		if err == nil || !strings.Contains(err.Error(), "Only IVF indexes can be remapped currently") {
			t.Fatalf("LanceDB 0.13 delete + optimize(): %v; want its remap refusal", err)
		}
	})

	ds, err := lance.Open(ctx, sum.TableDir)
	if err != nil {
		t.Fatal(err)
	}
	compacted, _, err := ds.Compact(ctx, lance.CompactionOptions{})
	ds.Close()
	if err != nil {
		t.Fatalf("Compact: %v", err)
	}
	sum.Ops = append(sum.Ops, Op{Op: "compact", Version: compacted.Version()})
	compacted.Close()
	const added = 40
	ops, err := h.MaintainAppend(ctx, v, dir, sum.Table, added)
	if err != nil {
		t.Fatalf("LanceDB 0.13 append + optimize() of the compacted table: %v", err)
	}
	sum.Ops = append(sum.Ops, ops...)
	sum.OlderVersion = compacted.Version()
	sum.LatestVersion = ops[len(ops)-1].Version
	opts := DumpOptions{VectorColumn: sum.VectorColumn, IDColumn: sum.IDColumn, Filters: filterSQL(scenarioFilters(sum.Scenario))}
	latest, err := h.Dump(ctx, v, dir, sum.Table, filepath.Join(dir, "latest.json"), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Version = sum.OlderVersion
	older, err := h.Dump(ctx, v, dir, sum.Table, filepath.Join(dir, "older.json"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if latest.CountRows != live+added {
		t.Errorf("LanceDB counts %d rows, want %d", latest.CountRows, live+added)
	}
	var vec *IndexEntry
	for i := range latest.Indices {
		if latest.Indices[i].Name == "vector_idx" {
			vec = &latest.Indices[i]
		}
	}
	if vec == nil || vec.Stats == nil || vec.Stats.NumUnindexedRows != 0 || vec.Stats.NumIndexedRows != latest.CountRows {
		t.Fatalf("LanceDB 0.13 did not fold the appended rows into the index: %+v", vec)
	}
	if len(latest.ANNSearches) == 0 {
		t.Fatal("LanceDB dumped no indexed searches")
	}
	fx := &Fixture{Version: v, Summary: sum, Latest: latest, Older: older}
	t.Run("latest", func(t *testing.T) { checkAtVersion(t, fx, latest, 0) })
	t.Run("older", func(t *testing.T) { checkAtVersion(t, fx, older, sum.OlderVersion) })
	t.Run("index-used", func(t *testing.T) { checkSearchUsesIndex(t, fx, latest) })
}

// checkSearchUsesIndex expects an unrefined search of package lance to
// return approximate (PQ) distances somewhere, which only happens when it
// searched through the index rather than falling back to an exact search.
func checkSearchUsesIndex(t *testing.T, fx *Fixture, d *Dump) {
	ds := open(t, fx, 0)
	approx := 0
	for _, s := range d.Searches {
		if s.Metric != "l2" || len(s.Results) == 0 {
			continue
		}
		rec, err := ds.Search(context.Background(), lance.SearchOptions{Column: fx.Summary.VectorColumn, Query: s.Query,
			K: s.K, NProbes: 1000, RefineFactor: -1, Columns: []string{fx.Summary.IDColumn}})
		if err != nil {
			t.Fatalf("unrefined Search: %v", err)
		}
		dist := rec.Column(rec.Schema().FieldIndices("_distance")[0]).(*array.Float32)
		if dist.Len() == 0 {
			t.Fatal("no results")
		}
		n, ok := s.Results[0]["_distance"].(json.Number)
		if !ok {
			t.Fatalf("dumped _distance %v", s.Results[0]["_distance"])
		}
		exact, err := n.Float64()
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(dist.Value(0))-exact) > 1e-3*math.Abs(exact) {
			approx++
		}
	}
	if approx == 0 {
		t.Error("unrefined searches return exact distances: the index LanceDB 0.13 rebuilt was not used")
	}
}
