package maintenance_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/resona-go/resona/lance/internal/maintenance"
)

// frags builds fragment metrics with ids 1.. from (physical, deleted) pairs.
func frags(pairs ...[2]uint64) []maintenance.FragmentMetrics {
	out := make([]maintenance.FragmentMetrics, len(pairs))
	for i, p := range pairs {
		out[i] = maintenance.FragmentMetrics{ID: uint64(i + 1), PhysicalRows: p[0], DeletedRows: p[1]}
	}
	return out
}

func binIDs(bins []maintenance.Bin) [][]uint64 {
	out := [][]uint64{}
	for _, b := range bins {
		out = append(out, b.IDs())
	}
	return out
}

func TestPlanBins(t *testing.T) {
	small := [2]uint64{10, 0}
	big := [2]uint64{100, 0}
	tests := []struct {
		name  string
		frags []maintenance.FragmentMetrics
		opts  maintenance.CompactOptions
		want  [][]uint64
	}{
		{"empty", nil, maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{}},
		{"all big", frags(big, big), maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{}},
		{"one small alone is a no-op", frags(big, small, big), maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{}},
		{"adjacent small merge", frags(small, small, small), maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{{1, 2, 3}}},
		{"big fragments split bins", frags(small, small, big, small, big, small, small),
			maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{{1, 2}, {6, 7}}},
		{"deletions over threshold rewrite alone", frags(big, [2]uint64{100, 11}, big),
			maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{{2}}},
		{"deletions at threshold stay", frags(big, [2]uint64{100, 10}, big),
			maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{}},
		{"keep deletions", frags(big, [2]uint64{100, 50}, big),
			maintenance.CompactOptions{TargetRowsPerFragment: 100, KeepDeletions: true}, [][]uint64{}},
		{"threshold 1 never materialises", frags(big, [2]uint64{100, 99}, big),
			maintenance.CompactOptions{TargetRowsPerFragment: 100, MaterializeDeletionsThreshold: 1}, [][]uint64{}},
		{"negative threshold materialises any deletion", frags(big, [2]uint64{100, 1}, big),
			maintenance.CompactOptions{TargetRowsPerFragment: 100, MaterializeDeletionsThreshold: -1}, [][]uint64{{2}}},
		{"deleted fragment joins small neighbours", frags(small, [2]uint64{100, 30}, small),
			maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{{1, 2, 3}}},
		// 25 fragments of 10 rows with a target of 100: runs of 100 rows
		// while at least 100 remain, the rest joins the last run.
		{"split for size", frags(repeat(small, 25)...), maintenance.CompactOptions{TargetRowsPerFragment: 100},
			[][]uint64{seq(1, 10), seq(11, 25)}},
		{"small by physical rows, not live rows", frags([2]uint64{100, 5}, small),
			maintenance.CompactOptions{TargetRowsPerFragment: 100}, [][]uint64{}},
		{"default target", frags(repeat([2]uint64{1 << 19, 0}, 3)...), maintenance.CompactOptions{},
			[][]uint64{{1, 2, 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := binIDs(maintenance.PlanBins(tc.frags, tc.opts))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("bins %v, want %v", got, tc.want)
			}
		})
	}
}

// A run is cut only when what remains could fill a run of its own.
func TestPlanBinsSplitKeepsRemainder(t *testing.T) {
	bins := maintenance.PlanBins(frags(repeat([2]uint64{40, 0}, 5)...), maintenance.CompactOptions{TargetRowsPerFragment: 100})
	// 40+40+40 = 120 ≥ 100 but only 80 remain: one bin of all five.
	if got := binIDs(bins); !reflect.DeepEqual(got, [][]uint64{{1, 2, 3, 4, 5}}) {
		t.Errorf("bins %v", got)
	}
	if bins[0].LiveRows() != 200 || bins[0].Start != 0 {
		t.Errorf("live rows %d start %d", bins[0].LiveRows(), bins[0].Start)
	}
}

func TestPlanBinsIndexSets(t *testing.T) {
	fs := frags(repeat([2]uint64{10, 0}, 6)...)
	// Fragments 1-2 are covered by index 0, 3-4 by none, 5 by 0 and 1, 6 by 0 and 1.
	fs[0].Indexes, fs[1].Indexes = []int{0}, []int{0}
	fs[4].Indexes, fs[5].Indexes = []int{0, 1}, []int{0, 1}
	bins := maintenance.PlanBins(fs, maintenance.CompactOptions{TargetRowsPerFragment: 100})
	want := [][]uint64{{1, 2}, {3, 4}, {5, 6}}
	if got := binIDs(bins); !reflect.DeepEqual(got, want) {
		t.Fatalf("bins %v, want %v", got, want)
	}
	for i, wantIdx := range []bool{true, false, true} {
		if bins[i].Indexed() != wantIdx {
			t.Errorf("bin %d indexed %v", i, bins[i].Indexed())
		}
	}
	// A single indexed small fragment between unindexed ones is a no-op.
	fs = frags(repeat([2]uint64{10, 0}, 3)...)
	fs[1].Indexes = []int{0}
	if got := binIDs(maintenance.PlanBins(fs, maintenance.CompactOptions{TargetRowsPerFragment: 100})); !reflect.DeepEqual(got, [][]uint64{}) {
		t.Errorf("bins %v, want none", got)
	}
}

func TestBinCounts(t *testing.T) {
	bins := maintenance.PlanBins(frags([2]uint64{10, 2}, [2]uint64{20, 5}), maintenance.CompactOptions{TargetRowsPerFragment: 100})
	if len(bins) != 1 {
		t.Fatalf("%d bins", len(bins))
	}
	b := bins[0]
	if b.LiveRows() != 23 || b.DeletedRows() != 7 {
		t.Errorf("live %d deleted %d", b.LiveRows(), b.DeletedRows())
	}
	if fmt.Sprint(b.Candidacy) != "[deletions deletions]" {
		t.Errorf("candidacy %v", b.Candidacy)
	}
}

func repeat(p [2]uint64, n int) [][2]uint64 {
	out := make([][2]uint64, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func seq(a, b uint64) []uint64 {
	var out []uint64
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}
