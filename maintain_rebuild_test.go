package resona

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// vectorIndexUUIDs returns the uuids of the segments of the vector index.
func vectorIndexUUIDs(s *EmbeddingService) []string {
	var out []string
	for _, ix := range s.ds.Indexes() {
		if len(ix.Columns) == 1 && ix.Columns[0] == colVector {
			out = append(out, ix.UUID)
		}
	}
	return out
}

// RebuildIndex replaces an index that covers every row, which a plain
// Maintain leaves alone.
func TestMaintainRebuildIndexFreshIndex(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 400, 400)
	res, err := s.Maintain(ctx, MaintenanceOptions{SkipCompaction: true, SkipCleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.IndexUnavailable != "" {
		t.Skipf("needs the IVF_PQ index builder in package lance: %s", res.IndexUnavailable)
	}
	if !res.IndexCreated {
		t.Fatalf("create: %+v", res)
	}
	old := vectorIndexUUIDs(s)
	if len(old) != 1 {
		t.Fatalf("vector index segments %v", old)
	}
	res, err = s.Maintain(ctx, MaintenanceOptions{SkipCompaction: true, SkipCleanup: true})
	if err != nil || res.IndexRebuilt || !res.NothingToDo {
		t.Fatalf("plain maintain of a fresh index: %+v %v", res, err)
	}

	// A dry run plans the rebuild and writes nothing.
	v := s.ds.Version()
	res, err = s.Maintain(ctx, MaintenanceOptions{RebuildIndex: true, DryRun: true})
	if err != nil || !res.IndexRebuilt || res.IndexCreated || res.NothingToDo || s.ds.Version() != v {
		t.Fatalf("dry rebuild: %+v %v (version %d → %d)", res, err, v, s.ds.Version())
	}

	res, err = s.Maintain(ctx, MaintenanceOptions{RebuildIndex: true, SkipCompaction: true, SkipCleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IndexRebuilt || res.IndexCreated || res.NothingToDo || res.VersionAfter != v+1 {
		t.Fatalf("rebuild: %+v", res)
	}
	if res.IndexStats == nil || res.IndexStats.NumIndexedRows != 400 || res.IndexStats.NumUnindexedRows != 0 {
		t.Fatalf("rebuild stats: %+v", res.IndexStats)
	}
	now := vectorIndexUUIDs(s)
	if len(now) != 1 || now[0] == old[0] {
		t.Fatalf("vector index segments %v, before %v: not rebuilt", now, old)
	}
	if !strings.Contains(stepDetails(res, StepIndex), "requested") {
		t.Errorf("index step %q does not say the rebuild was requested", stepDetails(res, StepIndex))
	}
	if rs, err := s.Search(ctx, items(123, 1)[0].Text, 1); err != nil || len(rs) != 1 || rs[0].ID != "node-00123" {
		t.Fatalf("search after rebuild: %+v %v", rs, err)
	}
}

// RebuildIndex creates a missing index on a table below MinIndexRows, as
// long as it can be trained.
func TestMaintainRebuildIndexCreatesBelowMinIndexRows(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{MinIndexRows: 5000})
	embedInBatches(t, s, 0, MinTrainingRows+44, 100)
	res, err := s.Maintain(ctx, MaintenanceOptions{})
	if err != nil || res.IndexRebuilt || res.IndexStats != nil {
		t.Fatalf("below MinIndexRows without RebuildIndex: %+v %v", res, err)
	}
	res, err = s.Maintain(ctx, MaintenanceOptions{RebuildIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.IndexUnavailable != "" {
		t.Skipf("needs the IVF_PQ index builder in package lance: %s", res.IndexUnavailable)
	}
	if !res.IndexRebuilt || !res.IndexCreated || res.IndexStats == nil || res.IndexStats.NumIndexedRows != MinTrainingRows+44 {
		t.Fatalf("%+v %+v", res, res.IndexStats)
	}
}

// Below MinTrainingRows RebuildIndex fails before writing anything, and
// SkipIndex wins over it.
func TestMaintainRebuildIndexTooFewRows(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{MinIndexRows: 10})

	// No table yet.
	if _, err := s.Maintain(ctx, MaintenanceOptions{RebuildIndex: true}); !errors.Is(err, ErrTooFewRows) {
		t.Fatalf("no table: %v", err)
	}

	embedInBatches(t, s, 0, MinTrainingRows-1, 50) // several fragments to compact
	v := s.ds.Version()
	for _, dry := range []bool{true, false} {
		res, err := s.Maintain(ctx, MaintenanceOptions{RebuildIndex: true, DryRun: dry, RetentionDays: Days(0)})
		if !errors.Is(err, ErrTooFewRows) || res != nil {
			t.Fatalf("dry=%v: %+v %v", dry, res, err)
		}
		for _, want := range []string{"255 rows", "at least 256"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	}
	d, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.ds.Version() != v || d.Versions != int(v) || d.Index != nil {
		t.Fatalf("the refused run wrote: version %d → %d, %+v", v, s.ds.Version(), d)
	}

	res, err := s.Maintain(ctx, MaintenanceOptions{RebuildIndex: true, SkipIndex: true})
	if err != nil || res.IndexRebuilt || res.Compaction == nil || res.Compaction.FragmentsRemoved == 0 {
		t.Fatalf("RebuildIndex with SkipIndex: %+v %v", res, err)
	}

	// MinIndexRows below MinTrainingRows: no index, and no failure.
	res, err = s.Maintain(ctx, MaintenanceOptions{})
	if err != nil || res.IndexRebuilt || res.IndexUnavailable != "" {
		t.Fatalf("plain maintain of %d rows with MinIndexRows 10: %+v %v", MinTrainingRows-1, res, err)
	}
	if got := stepDetails(res, StepIndex); !strings.Contains(got, "below the 256") {
		t.Errorf("index step %q", got)
	}
}

func stepDetails(res *MaintenanceResult, name string) string {
	for _, st := range res.Steps {
		if st.Name == name {
			return st.Details
		}
	}
	return ""
}
