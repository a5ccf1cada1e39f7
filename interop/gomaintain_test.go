package interop

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/resona-go/resona/lance"
)

// TestGoMaintainsLanceDBTables compacts and cleans up, with package lance,
// the Resona tables LanceDB wrote (many small fragments, deletions, a BTREE
// and an IVF_PQ index), and checks that LanceDB then reads them — rows,
// index statistics, searches — as package lance does.
func TestGoMaintainsLanceDBTables(t *testing.T) {
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
			before := len(ds.Fragments())
			compacted, metrics, err := ds.Compact(ctx, lance.CompactionOptions{})
			ds.Close()
			if err != nil {
				t.Fatalf("Compact of the LanceDB %s table: %v", v, err)
			}
			defer compacted.Close()
			if metrics.FragmentsRemoved == 0 {
				t.Errorf("Compact removed none of the %d small fragments", before)
			}
			// LanceDB 0.13's legacy IVF_PQ index cannot be remapped here, so
			// the fragments it covers stay; 0.39's v3 index is remapped.
			if legacy := v == "0.13"; legacy != (len(metrics.Skipped) > 0) {
				t.Errorf("LanceDB %s table: compaction skipped %+v", v, metrics.Skipped)
			}
			if testing.Verbose() {
				t.Logf("compaction: %+v", metrics)
			}
			if _, err := compacted.CleanupOldVersions(ctx, lance.CleanupOptions{RetainVersions: 2}); err != nil {
				t.Fatalf("CleanupOldVersions: %v", err)
			}
			sum := *src.Summary
			sum.TableDir = path
			sum.Scenario = "go-resona"
			sum.OlderVersion = src.Summary.LatestVersion
			sum.LatestVersion = compacted.Version()
			sum.Ops = []Op{{Op: "compact", Version: compacted.Version()}}
			opts := DumpOptions{VectorColumn: sum.VectorColumn, IDColumn: sum.IDColumn, Filters: filterSQL(scenarioFilters(sum.Scenario))}
			latest, err := h.Dump(ctx, v, dir, sum.Table, filepath.Join(dir, "latest.json"), opts)
			if err != nil {
				t.Fatalf("LanceDB %s cannot read its table after package lance compacted it: %v", v, err)
			}
			opts.Version = sum.OlderVersion
			older, err := h.Dump(ctx, v, dir, sum.Table, filepath.Join(dir, "older.json"), opts)
			if err != nil {
				t.Fatal(err)
			}
			if latest.CountRows != src.Latest.CountRows {
				t.Errorf("LanceDB counts %d rows after compaction, %d before", latest.CountRows, src.Latest.CountRows)
			}
			if len(latest.Indices) != len(src.Latest.Indices) {
				t.Errorf("LanceDB lists %d indexes after compaction, %d before", len(latest.Indices), len(src.Latest.Indices))
			}
			fx := &Fixture{Version: v, Summary: &sum, Latest: latest, Older: older}
			t.Run("latest", func(t *testing.T) { checkAtVersion(t, fx, latest, 0) })
			t.Run("older", func(t *testing.T) { checkAtVersion(t, fx, older, sum.OlderVersion) })
		})
	}
}
