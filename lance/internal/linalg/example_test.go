package linalg_test

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/linalg"
)

func Example() {
	query := []float32{1, 0, 0, 0}
	// Three 4-dim vectors stored back to back, as a Lance page holds them.
	vectors := []float32{
		1, 0, 0, 0,
		0, 2, 0, 0,
		-1, 0, 0, 0,
	}
	out := make([]float32, 3)
	for _, name := range []string{"l2", "cosine", "dot"} {
		m, err := linalg.ParseMetric(name)
		if err != nil {
			panic(err)
		}
		s, err := linalg.NewScorer(m, query)
		if err != nil {
			panic(err)
		}
		s.DistanceBatch(vectors, out)
		fmt.Println(m, out)
	}
	// Output:
	// l2 [0 5 4]
	// cosine [0 1 2]
	// dot [0 1 2]
}

func ExampleCosineDistanceBatch() {
	q := []float32{3, 4}
	vecs := []float32{6, 8, 0, 0, -4, 3}
	out := make([]float32, 3)
	linalg.CosineDistanceBatch(q, linalg.Norm(q), vecs, len(q), out)
	// The zero vector has no direction: Lance reports NaN.
	fmt.Println(out)
	// Output: [0 NaN 1]
}
