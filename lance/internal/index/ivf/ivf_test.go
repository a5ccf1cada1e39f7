package ivf

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/resona-go/resona/lance/internal/linalg"
)

func TestProbeOrdersPartitions(t *testing.T) {
	// Centroids on a line at 0, 10, 20, 30; the query at 12 is nearest to
	// 10, then 20, then 0.
	cents := []float32{0, 0, 10, 0, 20, 0, 30, 0}
	p, err := NewProber(linalg.MetricL2, cents, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Probe([]float32{12, 0}, 3, make([]float32, p.Partitions()))
	var parts []uint64
	for _, n := range got {
		parts = append(parts, n.Row)
	}
	if !slices.Equal(parts, []uint64{1, 2, 0}) {
		t.Fatalf("probe order %v", parts)
	}
	if got[0].Distance != 4 || got[1].Distance != 64 {
		t.Fatalf("distances %v", got)
	}
	if all := p.Probe([]float32{12, 0}, 10, make([]float32, 4)); len(all) != 4 {
		t.Fatalf("nprobes beyond the partitions: %d", len(all))
	}
}

func TestDotProbeAndCosineIsL2(t *testing.T) {
	cents := []float32{1, 0, 0, 1, 5, 5}
	p, err := NewProber(linalg.MetricDot, cents, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Largest dot product first: (5,5)·(1,0.5) = 7.5.
	got := p.Probe([]float32{1, 0.5}, 1, make([]float32, 3))
	if got[0].Row != 2 || got[0].Distance != 1-7.5 {
		t.Fatalf("dot probe %v", got)
	}
	if SearchMetric(linalg.MetricCosine) != linalg.MetricL2 || !UsesResidual(linalg.MetricCosine) || UsesResidual(linalg.MetricDot) {
		t.Fatal("cosine must be served as residual L2, dot without residuals")
	}
}

func TestAssignResidualNormalize(t *testing.T) {
	cents := []float32{0, 0, 10, 10}
	data := []float32{1, 1, 9, 8, -3, 2}
	parts, err := Assign(context.Background(), linalg.MetricL2, cents, 2, data, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(parts, []uint32{0, 1, 0}) {
		t.Fatalf("parts %v", parts)
	}
	r := make([]float32, 2)
	Residual(r, data[2:4], cents[2:4])
	if !slices.Equal(r, []float32{-1, -2}) {
		t.Fatalf("residual %v", r)
	}
	v := []float32{3, 4}
	Normalize(v)
	if math.Abs(float64(v[0])-0.6) > 1e-6 || math.Abs(float64(v[1])-0.8) > 1e-6 {
		t.Fatalf("normalised %v", v)
	}
	z := []float32{0, 0}
	Normalize(z)
	if z[0] != 0 || z[1] != 0 {
		t.Fatal("zero vector changed")
	}
}
