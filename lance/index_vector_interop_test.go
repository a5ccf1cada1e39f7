package lance

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance/expr"
)

func interopHarness(t *testing.T) *interop.Harness {
	t.Helper()
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
	return h
}

// sameANN compares a Go search with LanceDB's answer to the same query:
// the same ids in the same order (neighbours within rounding may swap) and
// the same distances.
func sameANN(t *testing.T, what string, gotIDs []string, gotDist []float32, s interop.Search) {
	t.Helper()
	if len(gotIDs) != len(s.Results) {
		t.Errorf("%s: %d results, LanceDB %d", what, len(gotIDs), len(s.Results))
		return
	}
	for i, r := range s.Results {
		id := fmt.Sprint(r["id"])
		dist, _ := r["_distance"].(json.Number)
		want, _ := dist.Float64()
		if math.Abs(float64(gotDist[i])-want) > 1e-3*(1+math.Abs(want)) {
			t.Errorf("%s rank %d: distance %g, LanceDB %g", what, i, gotDist[i], want)
		}
		if gotIDs[i] != id {
			swapped := (i > 0 && gotIDs[i-1] == id) || (i+1 < len(gotIDs) && gotIDs[i+1] == id)
			if !swapped {
				t.Errorf("%s rank %d: %s, LanceDB %s", what, i, gotIDs[i], id)
			}
		}
	}
}

// TestInteropSearchLanceDBIndex: Go searches the Resona tables LanceDB
// 0.13 and 0.39 wrote (IVF_PQ on "vector", rows added after the index).
// 0.39's v3 index is used and gives LanceDB's answers with every partition
// probed and refine factor 10; 0.13's legacy index is not read, and the
// search falls back to an exact one that gives LanceDB's exact answers.
func TestInteropSearchLanceDBIndex(t *testing.T) {
	h := interopHarness(t)
	for _, v := range interop.Versions {
		t.Run("lancedb-"+v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			dir := t.TempDir()
			sum, err := h.Write(ctx, v, dir, "resona")
			if err != nil {
				t.Fatal(err)
			}
			dump, err := h.Dump(ctx, v, dir, sum.Table, filepath.Join(t.TempDir(), "dump.json"),
				interop.DumpOptions{VectorColumn: "vector", IDColumn: "id"})
			if err != nil {
				t.Fatal(err)
			}
			d := openT(t, filepath.Join(dir, sum.Table+".lance"))
			vf, err := d.vectorField("vector")
			if err != nil {
				t.Fatal(err)
			}
			g, err := d.loadVectorGroup(ctx, vf)
			if err != nil {
				t.Fatal(err)
			}
			st, err := d.IndexStatistics(ctx, "vector_idx")
			if err != nil {
				t.Fatal(err)
			}
			for _, ix := range dump.Indices {
				if ix.Name == "vector_idx" && ix.Stats != nil {
					if dt := ix.Stats.DistanceType; dt != nil && v != "0.13" && string(st.Metric) != *dt {
						t.Errorf("metric %q, LanceDB %q", st.Metric, *dt)
					}
					if int64(st.IndexedRows) != ix.Stats.NumIndexedRows || int64(st.UnindexedRows) != ix.Stats.NumUnindexedRows {
						t.Errorf("statistics %+v, LanceDB %+v", st, *ix.Stats)
					}
				}
			}
			if v == "0.13" {
				if g != nil {
					t.Fatal("LanceDB 0.13's legacy index was loaded")
				}
				for i, s := range dump.Searches {
					if s.Metric != "l2" {
						continue
					}
					ids, dist := searchIDs(t, d, SearchOptions{Query: s.Query, K: s.K})
					sameANN(t, fmt.Sprintf("exact fallback %d", i), ids, dist, s)
				}
				return
			}
			if g == nil {
				t.Fatal("LanceDB 0.39's index was not loaded")
			}
			if len(dump.ANNSearches) == 0 {
				t.Fatal("LanceDB ran no indexed search")
			}
			for i, s := range dump.ANNSearches {
				ids, dist := searchIDs(t, d, SearchOptions{Query: s.Query, K: s.K, NProbes: s.NProbes, RefineFactor: s.RefineFactor})
				sameANN(t, fmt.Sprintf("ann %d", i), ids, dist, s)
			}
		})
	}
}

// TestInteropLanceDBSearchesGoIndex: Go writes a table, an IVF_PQ index, a
// delta segment and more unindexed rows; LanceDB 0.39 lists the index with
// Go's statistics and answers indexed searches as Go does; then LanceDB
// optimizes the table (compaction and index update over Go's segments) and
// Go searches through the result. On a 2.0 table LanceDB 0.13 answers the
// indexed searches too.
func TestInteropLanceDBSearchesGoIndex(t *testing.T) {
	h := interopHarness(t)
	for _, sv := range []string{"2.0", "2.2"} {
		t.Run("storage-"+sv, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			const dim = 16
			dir := t.TempDir()
			path := filepath.Join(dir, "embeddings.lance")
			rows := clusteredRows("doc-", 2000, dim, 8)
			d := mustCreate(t, path, dim, rows[:1500], CreateOptions{DataStorageVersion: sv})
			step := func(nd *Dataset, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				d.Close()
				d = nd
			}
			step(d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, NumPartitions: 4, NumSubVectors: 4}))
			step(d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows[1500:1800])}))
			step(d.UpdateIndex(ctx, "vector_idx", UpdateIndexOptions{}))
			step(d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows[1800:])}))
			nd, _, err := d.Delete(ctx, expr.Col("id").In(rows[7].ID, rows[1600].ID, rows[1900].ID))
			step(nd, err)
			defer func() { d.Close() }()
			st, err := d.IndexStatistics(ctx, "vector_idx")
			if err != nil {
				t.Fatal(err)
			}
			if st.Segments != 2 {
				t.Fatalf("statistics %+v", st)
			}

			dump, err := h.Dump(ctx, "0.39", dir, "embeddings", filepath.Join(t.TempDir(), "dump.json"),
				interop.DumpOptions{VectorColumn: "vector", IDColumn: "id"})
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, ix := range dump.Indices {
				if ix.Name != "vector_idx" {
					continue
				}
				found = true
				if strings.ReplaceAll(strings.ToUpper(ix.IndexType), "_", "") != "IVFPQ" || fmt.Sprint(ix.Columns) != "[vector]" {
					t.Errorf("LanceDB lists %+v", ix)
				}
				if s := ix.Stats; s == nil {
					t.Error("no index statistics")
				} else {
					if s.NumIndexedRows != int64(st.IndexedRows) || s.NumUnindexedRows != int64(st.UnindexedRows) {
						t.Errorf("LanceDB statistics %+v, Go %+v", *s, st)
					}
					if s.NumIndices != nil && *s.NumIndices != int64(st.Segments) {
						t.Errorf("LanceDB counts %d segments, Go %d", *s.NumIndices, st.Segments)
					}
					if s.DistanceType == nil || *s.DistanceType != "l2" || st.Metric != MetricL2 {
						t.Errorf("distance type %v, Go %q", s.DistanceType, st.Metric)
					}
				}
			}
			if !found {
				t.Fatalf("LanceDB lists %+v", dump.Indices)
			}
			if len(dump.ANNSearches) == 0 {
				t.Fatal("LanceDB ran no indexed search")
			}
			for i, s := range dump.ANNSearches {
				ids, dist := searchIDs(t, d, SearchOptions{Query: s.Query, K: s.K, NProbes: s.NProbes, RefineFactor: s.RefineFactor})
				sameANN(t, fmt.Sprintf("ann %d", i), ids, dist, s)
			}

			if sv == "2.0" {
				// LanceDB 0.13 (lance 0.19) reads v3 indexes too, given the
				// extra storage metadata Go writes into 2.0 files.
				d13, err := h.Dump(ctx, "0.13", dir, "embeddings", filepath.Join(t.TempDir(), "dump13.json"),
					interop.DumpOptions{VectorColumn: "vector", IDColumn: "id"})
				if err != nil {
					t.Fatalf("LanceDB 0.13 on a Go-built v3 index: %v", lastLines(err))
				}
				if len(d13.ANNSearches) == 0 {
					t.Fatal("LanceDB 0.13 ran no indexed search")
				}
				for i, s := range d13.ANNSearches {
					ids, dist := searchIDs(t, d, SearchOptions{Query: s.Query, K: s.K, NProbes: s.NProbes, RefineFactor: s.RefineFactor})
					sameANN(t, fmt.Sprintf("0.13 ann %d", i), ids, dist, s)
				}
			}

			if _, err := h.Maintain(ctx, "0.39", dir, "embeddings"); err != nil {
				t.Fatalf("LanceDB optimize: %v", err)
			}
			after := openT(t, path)
			vf, _ := after.vectorField("vector")
			g, err := after.loadVectorGroup(ctx, vf)
			if err != nil || g == nil {
				t.Fatalf("index after LanceDB's optimize: %v", err)
			}
			var recall float64
			for q := range 20 {
				got, _ := searchIDs(t, after, SearchOptions{Query: rows[q*97].Vector})
				want, _ := searchIDs(t, after, SearchOptions{Query: rows[q*97].Vector, BypassVectorIndex: true})
				recall += recallOf(got, want)
			}
			if recall /= 20; recall < 0.95 {
				t.Errorf("recall after LanceDB's optimize %.3f", recall)
			}
		})
	}
}

// lastLines keeps the end of a Node error, where the cause is.
func lastLines(err error) string {
	s := err.Error()
	if len(s) > 600 {
		s = s[len(s)-600:]
	}
	return s
}
