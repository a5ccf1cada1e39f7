package maintenance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/storage"
)

// nodeRow is a row as testdata/maint.mjs prints it.
type nodeRow struct {
	ID     string    `json:"id"`
	Text   string    `json:"text"`
	N      float64   `json:"n"`
	Vector []float32 `json:"vector"`
}

type nodeResult struct {
	Version uint64          `json:"version"`
	Count   int             `json:"count"`
	Rows    []nodeRow       `json:"rows"`
	Stats   json.RawMessage `json:"stats"`
}

const interopDim = 8

// wantNodeRows returns the rows maint.mjs writes for the given indexes.
func wantNodeRows(idx []int64) []nodeRow {
	out := make([]nodeRow, len(idx))
	for j, i := range idx {
		r := nodeRow{ID: fmt.Sprintf("row-%d", i), Text: fmt.Sprintf("text %d", i), N: float64(i)}
		for k := 0; k < interopDim; k++ {
			r.Vector = append(r.Vector, float32(i)/4+float32(k))
		}
		out[j] = r
	}
	return out
}

func sameNodeRows(t *testing.T, what string, got, want []nodeRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		same := g.ID == w.ID && g.Text == w.Text && g.N == w.N && len(g.Vector) == len(w.Vector)
		for k := 0; same && k < len(w.Vector); k++ {
			same = g.Vector[k] == w.Vector[k]
		}
		if !same {
			t.Fatalf("%s: row %d is %+v, want %+v", what, i, g, w)
		}
	}
}

func runNode(t *testing.T, h *interop.Harness, version, command, dbDir string, args ...string) *nodeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	script, err := filepath.Abs(filepath.Join("testdata", "maint.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, h.Node, append([]string{script, h.Dir, version, command, dbDir}, args...)...)
	cmd.Env = append(os.Environ(), "RUST_LOG=error", "LANCEDB_LOG=error")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("LanceDB %s %s: %v\n%s", version, command, err, stderr.Bytes())
	}
	var res nodeResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("LanceDB %s %s output: %v: %q", version, command, err, stdout.Bytes())
	}
	return &res
}

// goRows reads the table with package lance into nodeRow form.
func goRows(t *testing.T, dir string) []nodeRow {
	t.Helper()
	ctx := context.Background()
	ds, err := lance.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	var out []nodeRow
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"id", "text", "n", "vector"}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids, texts, ns := rec.Column(0).(*array.String), rec.Column(1).(*array.String), rec.Column(2).(*array.Float64)
		vecs := rec.Column(3).(*array.FixedSizeList)
		vals := vecs.ListValues().(*array.Float32)
		for i := 0; i < int(rec.NumRows()); i++ {
			r := nodeRow{ID: ids.Value(i), Text: texts.Value(i), N: ns.Value(i)}
			for k := 0; k < interopDim; k++ {
				r.Vector = append(r.Vector, vals.Value((vecs.Offset()+i)*interopDim+k))
			}
			out = append(out, r)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].N < out[j-1].N; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func requireNode(t *testing.T) *interop.Harness {
	t.Helper()
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("interop skipped: %s=skip", interop.SkipEnv)
	}
	h, err := interop.Locate()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// LanceDB 0.13 writes a fragmented table with deletions; Go compacts and
// cleans it; LanceDB reads the same rows, appends and optimizes it again,
// reading the files Go wrote; Go reads the result.
func TestInteropLanceDB013(t *testing.T) {
	h := requireNode(t)
	ctx := context.Background()
	db := t.TempDir()
	w := runNode(t, h, "0.13", "write", db)
	live := idsWhere(300, func(i int64) bool { return i%7 != 0 })
	if w.Count != len(live) || w.Version != 31 {
		t.Fatalf("LanceDB wrote %+v", w)
	}
	dir := filepath.Join(db, "embeddings.lance")
	st := storage.NewLocal(dir)

	before, err := maintenance.Stats(ctx, st, maintenance.StatsOptions{Compact: maintenance.CompactOptions{TargetRowsPerFragment: 500000}})
	if err != nil {
		t.Fatal(err)
	}
	if before.Fragments.Count != 30 || before.Fragments.Small != 30 || before.Rows.Live != uint64(len(live)) || before.Rows.Deleted != 300-uint64(len(live)) ||
		before.Versions.Count != 31 || before.CompactionBins != 1 || before.CompactionFragments != 30 || before.DataStorageVersion != "2.0" {
		t.Errorf("stats before: %+v", before)
	}
	met, err := maintenance.Compact(ctx, st, maintenance.CompactOptions{TargetRowsPerFragment: 500000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compaction: %+v", *met)
	if met.FragmentsRemoved != 30 || met.FragmentsAdded != 1 || met.FilesRemoved != 60 || met.RowsRewritten != uint64(len(live)) ||
		met.DeletionsMaterialized != 300-uint64(len(live)) || met.Version != 32 {
		t.Errorf("compaction metrics %+v", met)
	}
	mid, err := maintenance.Stats(ctx, st, maintenance.StatsOptions{Cleanup: maintenance.CleanupOptions{Before: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := maintenance.CleanupOldVersions(ctx, st, maintenance.CleanupOptions{Before: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cleanup: versions %d, files %d, bytes %d, by kind %+v", len(cl.VersionsRemoved), cl.FilesRemoved, cl.BytesRemoved, cl.ByKind)
	if len(cl.VersionsRemoved) != 31 || cl.ByKind[maintenance.KindData].Files != 30 || cl.ByKind[maintenance.KindDeletion].Files != 30 ||
		cl.BytesRemoved != mid.Cleanup.BytesRemoved {
		t.Errorf("cleanup %+v (stats announced %d bytes)", cl, mid.Cleanup.BytesRemoved)
	}

	r := runNode(t, h, "0.13", "read", db)
	if r.Version != 32 || r.Count != len(live) {
		t.Errorf("LanceDB reads version %d with %d rows", r.Version, r.Count)
	}
	sameNodeRows(t, "LanceDB after Go maintenance", r.Rows, wantNodeRows(live))

	o := runNode(t, h, "0.13", "append-optimize", db, "300", "20")
	t.Logf("LanceDB optimize after Go maintenance: %s", o.Stats)
	var ostats struct {
		Compaction struct {
			FragmentsRemoved int `json:"fragmentsRemoved"`
			FragmentsAdded   int `json:"fragmentsAdded"`
		} `json:"compaction"`
	}
	if err := json.Unmarshal(o.Stats, &ostats); err != nil || ostats.Compaction.FragmentsRemoved != 2 || ostats.Compaction.FragmentsAdded != 1 {
		t.Errorf("LanceDB optimize stats %s (%v)", o.Stats, err)
	}
	all := append(live, idsWhere(320, func(i int64) bool { return i >= 300 })...)
	r = runNode(t, h, "0.13", "read", db)
	sameNodeRows(t, "LanceDB after its own optimize", r.Rows, wantNodeRows(all))
	sameNodeRows(t, "Go after LanceDB's optimize", goRows(t, dir), wantNodeRows(all))

	// And once more from Go: nothing to compact, cleanup of LanceDB's
	// history works.
	if met, err := maintenance.Compact(ctx, st, maintenance.CompactOptions{TargetRowsPerFragment: 500000}); err != nil || met.Version != 0 {
		t.Errorf("compaction of LanceDB's compacted table: %+v, %v", met, err)
	}
	if _, err := maintenance.CleanupOldVersions(ctx, st, maintenance.CleanupOptions{RetainVersions: 1}); err != nil {
		t.Fatal(err)
	}
	sameNodeRows(t, "LanceDB after Go cleanup", runNode(t, h, "0.13", "read", db).Rows, wantNodeRows(all))
}

// LanceDB 0.39 writes a fragmented format 2.2 table with deletions and a
// BTREE index on id, then two unindexed fragments; Go compacts it (files
// in 2.2, the index remapped through package lance's hook) and cleans it;
// LanceDB reads the same rows, finds rows through the remapped index,
// appends and optimizes, reading the files Go wrote; Go reads the result.
func TestInteropLanceDB039(t *testing.T) {
	h := requireNode(t)
	ctx := context.Background()
	db := t.TempDir()
	runNode(t, h, "0.39", "write", db)
	runNode(t, h, "0.39", "index", db, "300", "20")
	live := idsWhere(320, func(i int64) bool { return i%7 != 0 || i >= 300 })
	dir := filepath.Join(db, "embeddings.lance")
	st := storage.NewLocal(dir)
	ts, err := maintenance.Stats(ctx, st, maintenance.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ts.DataStorageVersion != "2.2" || ts.Rows.Live != uint64(len(live)) || ts.Fragments.Count != 32 {
		t.Fatalf("stats %+v", ts)
	}

	ds, err := lance.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	nd, met, err := ds.Compact(ctx, lance.CompactionOptions{TargetRowsPerFragment: 500000})
	ds.Close()
	if err != nil {
		t.Fatal(err)
	}
	nd.Close()
	t.Logf("compaction: %+v", met)
	// The indexed and the unindexed fragments go to separate bins.
	if met.Bins != 2 || met.FragmentsRemoved != 32 || met.FragmentsAdded != 2 || met.IndexesRemapped != 1 ||
		met.RowsRewritten != uint64(len(live)) || met.DeletionsMaterialized != 300-257 || len(met.Skipped) != 0 {
		t.Errorf("compaction metrics %+v", met)
	}
	after, err := maintenance.Stats(ctx, st, maintenance.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.DataStorageVersion != "2.2" || after.Fragments.Count != 2 || after.Rows.Deleted != 0 {
		t.Errorf("stats after compaction %+v", after)
	}
	cl, err := maintenance.CleanupOldVersions(ctx, st, maintenance.CleanupOptions{Before: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cleanup: versions %d, files %d, bytes %d", len(cl.VersionsRemoved), cl.FilesRemoved, cl.BytesRemoved)
	if cl.ByKind[maintenance.KindData].Files != 32 || cl.ByKind[maintenance.KindIndex].Files == 0 {
		t.Errorf("cleanup %+v", cl)
	}
	if _, err := os.Stat(filepath.Join(dir, "_versions", "latest_version_hint.json")); err != nil {
		t.Error(err)
	}

	r := runNode(t, h, "0.39", "read", db)
	if r.Version != after.Version || r.Count != len(live) {
		t.Errorf("LanceDB reads version %d with %d rows, Go committed %d", r.Version, r.Count, after.Version)
	}
	sameNodeRows(t, "LanceDB 0.39 after Go maintenance", r.Rows, wantNodeRows(live))
	for _, id := range []int64{5, 250, 310} {
		is := runNode(t, h, "0.39", "index-stats", db, fmt.Sprintf("row-%d", id))
		sameNodeRows(t, fmt.Sprintf("LanceDB 0.39 index lookup of row %d", id), is.Rows, wantNodeRows([]int64{id}))
		if id != 5 {
			continue
		}
		var ls struct {
			NumIndexedRows   uint64 `json:"numIndexedRows"`
			NumUnindexedRows uint64 `json:"numUnindexedRows"`
		}
		if err := json.Unmarshal(is.Stats, &ls); err != nil {
			t.Fatal(err)
		}
		if ls.NumIndexedRows != 257 || ls.NumUnindexedRows != 20 || len(after.Indexes) != 1 ||
			after.Indexes[0].IndexedRows != ls.NumIndexedRows || after.Indexes[0].UnindexedRows != ls.NumUnindexedRows {
			t.Errorf("LanceDB index stats after Go compaction %s, Go's %+v", is.Stats, after.Indexes)
		}
	}

	o := runNode(t, h, "0.39", "append-optimize", db, "320", "20")
	t.Logf("LanceDB 0.39 optimize after Go maintenance: %s", o.Stats)
	var ostats struct {
		Compaction struct {
			FragmentsRemoved int `json:"fragmentsRemoved"`
			FragmentsAdded   int `json:"fragmentsAdded"`
		} `json:"compaction"`
	}
	// LanceDB merges the two unindexed fragments (Go's and its own).
	if err := json.Unmarshal(o.Stats, &ostats); err != nil || ostats.Compaction.FragmentsRemoved != 2 || ostats.Compaction.FragmentsAdded != 1 {
		t.Errorf("LanceDB optimize stats %s (%v)", o.Stats, err)
	}
	all := append(live, idsWhere(340, func(i int64) bool { return i >= 320 })...)
	sameNodeRows(t, "LanceDB 0.39 after its optimize", runNode(t, h, "0.39", "read", db).Rows, wantNodeRows(all))
	sameNodeRows(t, "Go after LanceDB 0.39's optimize", goRows(t, dir), wantNodeRows(all))
}

// Index statistics agree with LanceDB's, and compaction without a
// remapper leaves indexed fragments alone while compacting unindexed
// ones, after which LanceDB still answers through the index.
func TestInteropIndexStats(t *testing.T) {
	h := requireNode(t)
	for _, v := range []string{"0.13", "0.39"} {
		t.Run(v, func(t *testing.T) {
			ctx := context.Background()
			db := t.TempDir()
			runNode(t, h, v, "write", db)
			runNode(t, h, v, "index", db, "300", "20")
			dir := filepath.Join(db, "embeddings.lance")
			st := storage.NewLocal(dir)
			check := func(when string) {
				t.Helper()
				want := runNode(t, h, v, "index-stats", db, "row-5")
				var ls struct {
					NumIndexedRows   uint64 `json:"numIndexedRows"`
					NumUnindexedRows uint64 `json:"numUnindexedRows"`
				}
				if err := json.Unmarshal(want.Stats, &ls); err != nil {
					t.Fatal(err)
				}
				ts, err := maintenance.Stats(ctx, st, maintenance.StatsOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(ts.Indexes) != 1 {
					t.Fatalf("%s: indexes %+v", when, ts.Indexes)
				}
				ix := ts.Indexes[0]
				if ix.Name != "id_idx" || ix.Type != "btree" || ix.IndexedRows != ls.NumIndexedRows || ix.UnindexedRows != ls.NumUnindexedRows {
					t.Errorf("%s: Go index stats %+v, LanceDB %s", when, ix, want.Stats)
				}
				sameNodeRows(t, when+": LanceDB index lookup", want.Rows, wantNodeRows([]int64{5}))
			}
			check("before compaction")
			met, err := maintenance.Compact(ctx, st, maintenance.CompactOptions{TargetRowsPerFragment: 500000})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("compaction with an index: %+v", *met)
			if len(met.Skipped) != 1 || len(met.Skipped[0].Fragments) != 30 || met.FragmentsRemoved != 2 || met.FragmentsAdded != 1 {
				t.Errorf("metrics %+v", met)
			}
			check("after compaction")
			live := idsWhere(320, func(i int64) bool { return i%7 != 0 || i >= 300 })
			sameNodeRows(t, "LanceDB after compaction", runNode(t, h, v, "read", db).Rows, wantNodeRows(live))
		})
	}
}
