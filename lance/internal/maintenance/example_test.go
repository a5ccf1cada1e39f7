package maintenance_test

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/maintenance"
)

// Planning is a pure function of the fragments' row counts, deletions and
// index coverage: here five small fragments, one big one and a fragment
// with 30% deleted rows.
func ExamplePlanBins() {
	frags := []maintenance.FragmentMetrics{
		{ID: 0, PhysicalRows: 100},
		{ID: 1, PhysicalRows: 100},
		{ID: 2, PhysicalRows: 100_000},
		{ID: 3, PhysicalRows: 1_000, DeletedRows: 300},
		{ID: 4, PhysicalRows: 100_000},
		{ID: 5, PhysicalRows: 100},
		{ID: 6, PhysicalRows: 100, Indexes: []int{0}},
	}
	for _, b := range maintenance.PlanBins(frags, maintenance.CompactOptions{TargetRowsPerFragment: 50_000}) {
		fmt.Println(b.IDs(), b.Candidacy, b.LiveRows(), "rows,", b.DeletedRows(), "deleted, indexed:", b.Indexed())
	}
	// Output:
	// [0 1] [small small] 200 rows, 0 deleted, indexed: false
	// [3] [deletions] 700 rows, 300 deleted, indexed: false
}
