package interop

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

// TestGoWritesLanceDBTables is the shared-table case: package lance appends
// to, deletes from and upserts into a Resona table LanceDB wrote (with its
// BTREE and IVF_PQ indexes), and LanceDB must then read it as package lance
// does, at the new version and at the one before.
func TestGoWritesLanceDBTables(t *testing.T) {
	h := requireHarness(t)
	for _, v := range Versions {
		t.Run("lancedb-"+v, func(t *testing.T) {
			src := fixture(t, v, "resona")
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			dir := t.TempDir()
			path := filepath.Join(dir, "embeddings.lance")
			if err := copyTree(path, src.Summary.TableDir); err != nil {
				t.Fatal(err)
			}
			ds, err := lance.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			live := src.Latest.CountRows
			sum := *src.Summary
			sum.TableDir = path
			sum.Scenario = "go-resona"
			sum.Ops = nil
			record := func(op string, nd *lance.Dataset) {
				ds.Close()
				ds = nd
				sum.Ops = append(sum.Ops, Op{Op: op, Version: nd.Version()})
			}
			rng := rand.New(rand.NewPCG(3, 5))
			nd, err := ds.Append(ctx, []arrow.RecordBatch{resonaBatch(rng, idRange(5000, 30), 500)})
			if err != nil {
				t.Fatalf("Append to LanceDB %s table: %v", v, err)
			}
			record("append", nd)
			live += 30
			nd, n, err := ds.Delete(ctx, expr.Col("id").In("doc-00000", "doc-05001"))
			if err != nil {
				t.Fatalf("Delete from LanceDB %s table: %v", v, err)
			}
			record("delete", nd)
			live -= n
			if n != 2 {
				t.Errorf("Delete removed %d rows, want 2", n)
			}
			sum.OlderVersion = ds.Version()
			nd, res, err := ds.MergeInsert(ctx, []arrow.RecordBatch{resonaBatch(rng, append(idRange(5010, 5), idRange(6000, 5)...), 501)},
				lance.MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
			if err != nil {
				t.Fatalf("MergeInsert into LanceDB %s table: %v", v, err)
			}
			record("merge_insert", nd)
			live += res.Inserted
			if res.Updated != 5 || res.Inserted != 5 {
				t.Errorf("MergeInsert updated %d, inserted %d; want 5 and 5", res.Updated, res.Inserted)
			}
			sum.LatestVersion = ds.Version()
			// Package lance keeps the table's data storage version.
			for _, f := range ds.Fragments() {
				for _, df := range f.Files {
					if df.FormatVersion != ds.DataStorageVersion() {
						t.Errorf("fragment %d: data file %s in format %s, the table's is %s", f.ID, df.Path, df.FormatVersion, ds.DataStorageVersion())
					}
				}
			}
			if testing.Verbose() {
				t.Logf("data storage version %s", ds.DataStorageVersion())
			}
			// ... and its manifest naming scheme: V1 for 0.13, V2 for 0.39.
			name := fmt.Sprintf("%d.manifest", ds.Version())
			if v != "0.13" {
				name = fmt.Sprintf("%020d.manifest", uint64(math.MaxUint64)-ds.Version())
			}
			if _, err := os.Stat(filepath.Join(path, "_versions", name)); err != nil {
				t.Errorf("the new version's manifest is not named as the table's others: %v", err)
			}
			ds.Close()

			opts := DumpOptions{VectorColumn: sum.VectorColumn, IDColumn: sum.IDColumn, Filters: filterSQL(scenarioFilters(sum.Scenario))}
			latest, err := h.Dump(ctx, v, dir, sum.Table, filepath.Join(dir, "latest.json"), opts)
			if err != nil {
				t.Fatalf("LanceDB %s cannot read its table after package lance wrote to it: %v", v, err)
			}
			opts.Version = sum.OlderVersion
			older, err := h.Dump(ctx, v, dir, sum.Table, filepath.Join(dir, "older.json"), opts)
			if err != nil {
				t.Fatal(err)
			}
			if latest.CountRows != live {
				t.Errorf("LanceDB counts %d rows, the writes leave %d", latest.CountRows, live)
			}
			if latest.Version != sum.LatestVersion {
				t.Errorf("LanceDB reads version %d, package lance committed %d", latest.Version, sum.LatestVersion)
			}
			fx := &Fixture{Version: v, Summary: &sum, Latest: latest, Older: older}
			t.Run("latest", func(t *testing.T) { checkAtVersion(t, fx, latest, 0) })
			t.Run("older", func(t *testing.T) { checkAtVersion(t, fx, older, sum.OlderVersion) })
			t.Run("versions", func(t *testing.T) { checkVersions(t, fx) })
		})
	}
}
