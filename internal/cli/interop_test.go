package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resona-go/resona/interop"
)

// TestMaintainLanceDBTable maintains a Resona table written by real
// LanceDB (appends, deletes, upserts, a BTREE and an IVF_PQ index, then
// unindexed appends) with every step, in the table's own format (2.0 for
// LanceDB 0.13, 2.2 for 0.39), and checks that LanceDB still reads every
// row afterwards.
func TestMaintainLanceDBTable(t *testing.T) {
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("%s=skip", interop.SkipEnv)
	}
	if testing.Short() {
		t.Skip("runs LanceDB through Node")
	}
	h, err := interop.Locate()
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range interop.Versions {
		t.Run("lancedb-"+version, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			dir := t.TempDir()
			sum, err := h.Write(ctx, version, dir, "resona")
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			e.db = dir
			before := e.statsJSON()
			if before.Dimensions != 32 || before.Versions < 10 {
				t.Fatalf("stats of the LanceDB table: %+v", before)
			}
			if before.Index == nil || before.Index.NumUnindexedRows == 0 {
				t.Errorf("LanceDB's IVF_PQ index with unindexed appends: %+v", before.Index)
			}
			if before.CompactableFragments < 2 {
				t.Fatalf("the LanceDB table has %d fragments to compact; the test needs some", before.CompactableFragments)
			}
			lanceIDs := func(name string) (map[string]int, *interop.Dump) {
				t.Helper()
				d, err := h.Dump(ctx, version, dir, sum.Table, filepath.Join(t.TempDir(), name), interop.DumpOptions{})
				if err != nil {
					t.Fatalf("LanceDB %s cannot read the table (%s): %v", version, name, err)
				}
				col := -1
				for i, c := range d.Columns {
					if c == sum.IDColumn {
						col = i
					}
				}
				if col < 0 || int64(len(d.Rows)) != d.CountRows {
					t.Fatalf("LanceDB dump %s: id column %q at %d, %d rows for a count of %d", name, sum.IDColumn, col, len(d.Rows), d.CountRows)
				}
				ids := map[string]int{}
				for _, r := range d.Rows {
					ids[fmt.Sprint(r[col])]++
				}
				return ids, d
			}
			idsBefore, _ := lanceIDs("before.json")

			// A dry run changes nothing on disk.
			files := snapshot(t, filepath.Join(dir, sum.Table+".lance"))
			e.dbRun("", "embed", "maintain", "--dry-run", "--retention-days", "0").mustOK(t)
			sameFiles(t, files, snapshot(t, filepath.Join(dir, sum.Table+".lance")))

			// Every step runs, compaction included, whatever the format.
			rep := decodeReport(t, e.dbRun("", "embed", "maintain", "--retention-days", "0", "--json").mustOK(t))
			for _, st := range rep.Steps {
				if !st.Ran {
					t.Errorf("step %s did not run: %+v", st.Name, st)
				}
			}
			if rep.Compaction == nil || rep.Compaction.FragmentsRemoved < 2 {
				t.Errorf("compaction: %+v", rep.Compaction)
			}
			if rep.After == nil || rep.After.Rows != before.Rows {
				t.Fatalf("rows %d → %+v", before.Rows, rep.After)
			}
			if rep.After.Fragments >= before.Fragments || rep.After.Versions != 1 {
				t.Errorf("after maintain: %d fragments (from %d), %d versions", rep.After.Fragments, before.Fragments, rep.After.Versions)
			}

			// LanceDB reads the maintained table, row for row.
			idsAfter, d := lanceIDs("after.json")
			if d.CountRows != before.Rows {
				t.Errorf("LanceDB counts %d rows, want %d", d.CountRows, before.Rows)
			}
			if fmt.Sprint(idsAfter) != fmt.Sprint(idsBefore) {
				t.Errorf("LanceDB ids differ after maintain:\nbefore %v\nafter  %v", idsBefore, idsAfter)
			}
			r := e.dbRun("", "embed", "export").mustOK(t)
			if n := strings.Count(r.stdout, "\n"); int64(n) != d.CountRows {
				t.Errorf("export: %d rows, LanceDB %d", n, d.CountRows)
			}

			// --reindex replaces LanceDB's index with one built here, which
			// LanceDB lists as covering every row and searches through.
			rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--reindex", "--retention-days", "0", "--json").mustOK(t))
			if !rep.Index.Rebuilt || rep.After.Index == nil || rep.After.Index.NumUnindexedRows != 0 || rep.After.Index.NumIndexedRows != before.Rows {
				t.Fatalf("--reindex: %+v, after %+v", rep.Index, rep.After.Index)
			}
			// Fragments LanceDB 0.13's legacy index kept apart are merged
			// once it is replaced.
			if rep.After.CompactableFragments != 0 || rep.After.Fragments > 2 || (rep.Compaction != nil && rep.Compaction.FragmentsSkipped != 0) {
				t.Errorf("after --reindex: %d fragments, %d compactable, compaction %+v", rep.After.Fragments, rep.After.CompactableFragments, rep.Compaction)
			}
			if rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--json").mustOK(t)); !rep.NothingToDo {
				t.Errorf("maintain after --reindex did something: %+v", rep.Steps)
			}
			d, err = h.Dump(ctx, version, dir, sum.Table, filepath.Join(t.TempDir(), "reindexed.json"),
				interop.DumpOptions{VectorColumn: sum.VectorColumn, IDColumn: sum.IDColumn})
			if err != nil {
				t.Fatalf("LanceDB %s cannot read the reindexed table: %v", version, err)
			}
			if d.CountRows != before.Rows {
				t.Errorf("LanceDB counts %d rows after --reindex, want %d", d.CountRows, before.Rows)
			}
			var vix *interop.IndexEntry
			for i := range d.Indices {
				if slices.Contains(d.Indices[i].Columns, sum.VectorColumn) {
					vix = &d.Indices[i]
				}
			}
			if vix == nil || vix.Stats == nil || vix.Stats.NumIndexedRows != before.Rows || vix.Stats.NumUnindexedRows != 0 {
				t.Fatalf("LanceDB's view of the rebuilt index: %+v", vix)
			}
			if len(d.ANNSearches) == 0 {
				t.Fatalf("LanceDB ran no search through the rebuilt index")
			}
			exact := map[string]bool{}
			for _, s := range d.Searches {
				if s.Metric == "l2" {
					for _, r := range s.Results {
						exact[fmt.Sprint(s.Query, r[sum.IDColumn])] = true
					}
				}
			}
			for _, s := range d.ANNSearches {
				found := 0
				for _, r := range s.Results {
					if exact[fmt.Sprint(s.Query, r[sum.IDColumn])] {
						found++
					}
				}
				t.Logf("LanceDB %s search through the rebuilt index: %d of %d exact neighbours", version, found, len(s.Results))
				if len(s.Results) != s.K || found < s.K/2 {
					t.Errorf("LanceDB search through the rebuilt index: %d results, %d of them exact neighbours", len(s.Results), found)
				}
			}
		})
	}
}
