package knn_test

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/linalg"
)

func Example() {
	// Four 2-dim vectors of fragment 3, stored back to back as a page decodes.
	vectors := []float32{
		0, 0,
		1, 1,
		3, 4,
		1, 1,
	}
	s, err := linalg.NewScorer(linalg.MetricL2, []float32{1, 1})
	if err != nil {
		panic(err)
	}
	top := knn.NewTopK(3)
	// FirstRow is the row address of offset 0 in fragment 3; the vector at
	// offset 1 belongs to a deleted row.
	block := knn.Block{
		Vectors:  vectors,
		FirstRow: 3 << 32,
		Skip:     func(i int) bool { return i == 1 },
	}
	if err := knn.ScanParallel(top, s, block, 0); err != nil {
		panic(err)
	}
	for _, n := range top.Results() {
		fmt.Printf("fragment %d offset %d distance %v\n", n.Row>>32, uint32(n.Row), n.Distance)
	}
	// Output:
	// fragment 3 offset 3 distance 0
	// fragment 3 offset 0 distance 2
	// fragment 3 offset 2 distance 13
}

func ExampleTopK_Merge() {
	// Two workers each keep their own collector; merging gives the same
	// result as one collector would.
	a, b := knn.NewTopK(2), knn.NewTopK(2)
	a.Push(0.5, 10)
	a.Push(0.25, 11)
	b.Push(0.25, 4) // ties with row 11: the smaller row ranks first
	b.Push(0.75, 5)
	a.Merge(b)
	fmt.Println(a.Results())
	// Output: [{0.25 4} {0.25 11}]
}
