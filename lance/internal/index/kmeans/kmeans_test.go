package kmeans

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// blobs returns n rows around k well-separated centres (centre c has every
// coordinate near 10·c), with the true label of each row.
func blobs(n, dim, k int, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, n*dim)
	labels := make([]int, n)
	for i := range n {
		c := i % k
		labels[i] = c
		for d := range dim {
			data[i*dim+d] = float32(10*c) + float32(rng.NormFloat64()*0.3)
		}
	}
	return data, labels
}

func TestTrainRecoversBlobs(t *testing.T) {
	for _, dim := range []int{4, 40} { // both the pure-Go and the SIMD path
		// Random seeding can settle in a local minimum with two centroids in
		// one blob, so exact recovery is only expected from k-means++.
		for _, init := range []Init{InitPlusPlus} {
			data, truth := blobs(2000, dim, 5, 7)
			res, err := Train(context.Background(), data, dim, 5, Options{Init: init, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			a, err := NewAssigner(linalg.MetricL2, res.Centroids, dim)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := a.Assign(context.Background(), data, 2)
			if err != nil {
				t.Fatal(err)
			}
			// Each true blob must map to one centroid, and blobs to distinct ones.
			seen := map[int]uint32{}
			used := map[uint32]bool{}
			for i, l := range got {
				if prev, ok := seen[truth[i]]; ok && prev != l {
					t.Fatalf("dim %d init %d: blob %d split over centroids %d and %d", dim, init, truth[i], prev, l)
				}
				if _, ok := seen[truth[i]]; !ok {
					if used[l] {
						t.Fatalf("dim %d init %d: centroid %d holds two blobs", dim, init, l)
					}
					used[l] = true
				}
				seen[truth[i]] = l
			}
			if len(used) != 5 {
				t.Fatalf("dim %d init %d: %d clusters used", dim, init, len(used))
			}
			for c, size := range res.Sizes {
				if size != 400 {
					t.Errorf("dim %d init %d: cluster %d has %d rows, want 400", dim, init, c, size)
				}
			}
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	data, _ := blobs(3000, 24, 12, 1)
	run := func(workers int, seed uint64) []float32 {
		res, err := Train(context.Background(), data, 24, 20, Options{Seed: seed, Workers: workers, MaxIters: 10})
		if err != nil {
			t.Fatal(err)
		}
		return res.Centroids
	}
	a, b, c := run(1, 5), run(2, 5), run(3, 5)
	if !slices.Equal(a, b) || !slices.Equal(a, c) {
		t.Fatal("centroids depend on the number of workers")
	}
	if slices.Equal(a, run(2, 6)) {
		t.Fatal("centroids do not depend on the seed")
	}
}

func TestTrainProgressAndEarlyStop(t *testing.T) {
	data, _ := blobs(1000, 8, 4, 2)
	var iters []int
	var losses []float64
	res, err := Train(context.Background(), data, 8, 4, Options{
		Init: InitPlusPlus, MaxIters: 40,
		Progress: func(it int, loss float64) { iters = append(iters, it); losses = append(losses, loss) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iters >= 40 || res.Iters < 2 {
		t.Fatalf("ran %d iterations on separable data; want an early stop after ≥ 2", res.Iters)
	}
	if len(iters) != res.Iters || iters[0] != 1 || iters[len(iters)-1] != res.Iters {
		t.Fatalf("progress iterations %v for %d iterations", iters, res.Iters)
	}
	for i := 1; i < len(losses); i++ {
		if losses[i] > losses[i-1]*(1+1e-6) {
			t.Fatalf("loss rose from %g to %g", losses[i-1], losses[i])
		}
	}
	if res.Loss != losses[len(losses)-1] {
		t.Fatalf("result loss %g, last reported %g", res.Loss, losses[len(losses)-1])
	}
}

func TestTrainCancelled(t *testing.T) {
	data, _ := blobs(5000, 16, 4, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Train(ctx, data, 16, 4, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	_, err = Train(ctx, data, 16, 4, Options{Progress: func(it int, _ float64) {
		if it == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel during training: err = %v", err)
	}
}

func TestTrainInvalid(t *testing.T) {
	ctx := context.Background()
	if _, err := Train(ctx, make([]float32, 10), 3, 2, Options{}); !errors.Is(err, lanceerr.ErrDimensionMismatch) {
		t.Errorf("ragged data: %v", err)
	}
	if _, err := Train(ctx, make([]float32, 12), 3, 5, Options{}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("k > n: %v", err)
	}
	if _, err := Train(ctx, make([]float32, 12), 3, 2, Options{Metric: linalg.MetricCosine}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("cosine: %v", err)
	}
}

func TestDuplicatesLeaveNoPanic(t *testing.T) {
	// Three distinct rows repeated: at most three clusters can be populated
	// by distinct points; the rest are refilled by splitting.
	data := make([]float32, 0, 60*2)
	for i := range 60 {
		v := float32(i % 3)
		data = append(data, v, -v)
	}
	res, err := Train(context.Background(), data, 2, 6, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range res.Sizes {
		total += s
	}
	if total != 60 {
		t.Fatalf("sizes sum to %d", total)
	}
	for _, v := range res.Centroids {
		if math.IsNaN(float64(v)) {
			t.Fatal("NaN centroid")
		}
	}
}

func TestSplitEmpty(t *testing.T) {
	cents := []float32{0, 0, 1, 2, 0, 0, 3, 4}
	counts := []int{0, 10, 0, 1}
	splitEmpty(cents, counts, 2, rand.New(rand.NewPCG(1, 2)))
	if counts[0] == 0 || counts[2] == 0 {
		t.Fatalf("clusters left empty: %v", counts)
	}
	if counts[3] != 1 || counts[0]+counts[1]+counts[2] != 10 {
		t.Fatalf("counts %v: only cluster 1 can donate", counts)
	}
	// Both halves sit next to the donor's old centroid (1, 2).
	for _, c := range []int{0, 1, 2} {
		x, y := cents[2*c], cents[2*c+1]
		if math.Abs(float64(x-1)) > 0.01 || math.Abs(float64(y-2)) > 0.01 {
			t.Fatalf("centroid %d = (%g, %g), want near (1, 2)", c, x, y)
		}
	}
	if cents[0] == cents[2] && cents[1] == cents[3] {
		t.Fatal("split centroids coincide")
	}
}

func TestAssignerMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, dim := range []int{1, 3, 8, 16, 17, 64, 72, 130} {
		for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricDot} {
			cents := make([]float32, 37*dim)
			for i := range cents {
				cents[i] = float32(rng.NormFloat64())
			}
			a, err := NewAssigner(m, cents, dim)
			if err != nil {
				t.Fatal(err)
			}
			scratch := make([]float32, a.K())
			for range 50 {
				row := make([]float32, dim)
				for i := range row {
					row[i] = float32(rng.NormFloat64())
				}
				best, bestD := -1, float32(math.Inf(1))
				for c := range a.K() {
					var d float32
					for i, x := range row {
						if m == linalg.MetricL2 {
							e := x - cents[c*dim+i]
							d += e * e
						} else {
							d -= x * cents[c*dim+i]
						}
					}
					if m == linalg.MetricDot {
						d++
					}
					if d < bestD {
						best, bestD = c, d
					}
				}
				got, gotD := a.Nearest(row, scratch)
				if math.Abs(float64(gotD-bestD)) > 1e-3*(1+math.Abs(float64(bestD))) {
					t.Fatalf("dim %d %v: distance %g, want %g", dim, m, gotD, bestD)
				}
				if got != best && scratch[best]-gotD > 1e-4 {
					t.Fatalf("dim %d %v: nearest %d, want %d", dim, m, got, best)
				}
			}
		}
	}
}

func TestSample(t *testing.T) {
	data := make([]float32, 100*2)
	for i := range 100 {
		data[2*i], data[2*i+1] = float32(i), float32(-i)
	}
	s := Sample(data, 2, 30, 1)
	if len(s) != 60 {
		t.Fatalf("sample of %d floats", len(s))
	}
	prev := float32(-1)
	for i := 0; i < len(s); i += 2 {
		if s[i] <= prev || s[i+1] != -s[i] {
			t.Fatalf("sample rows out of order or torn: %v", s)
		}
		prev = s[i]
	}
	if got := Sample(data, 2, 200, 1); len(got) != len(data) {
		t.Fatal("small data should be returned whole")
	}
	if !slices.Equal(s, Sample(data, 2, 30, 1)) {
		t.Fatal("sample not deterministic")
	}
}

func TestDotsColsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, k := range []int{8, 16, 24, 64, 72, 136, 256} {
		for _, dim := range []int{1, 2, 5, 8, 16, 33, 64} {
			vecs := make([]float32, k*dim)
			for i := range vecs {
				vecs[i] = float32(rng.NormFloat64())
			}
			cols := columns(vecs, dim)
			row := vecs[:dim]
			got, want := make([]float32, k), make([]float32, k)
			dotsCols(row, cols, got)
			dotsColsGeneric(row, cols, want)
			for c := range k {
				ref := linalg.Dot(row, vecs[c*dim:(c+1)*dim])
				if math.Abs(float64(got[c]-want[c])) > 1e-4*(1+math.Abs(float64(want[c]))) ||
					math.Abs(float64(got[c]-ref)) > 1e-4*(1+math.Abs(float64(ref))) {
					t.Fatalf("k %d dim %d c %d: %g, generic %g, linalg %g", k, dim, c, got[c], want[c], ref)
				}
			}
		}
	}
}

func TestBestColsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, k := range []int{8, 16, 72, 256} {
		for _, dim := range []int{1, 4, 8, 16, 64} {
			vecs := make([]float32, k*dim)
			bias := make([]float32, k)
			for i := range vecs {
				vecs[i] = float32(rng.NormFloat64())
			}
			for i := range bias {
				bias[i] = float32(rng.NormFloat64())
			}
			// A duplicated winner checks the lowest-index tie rule.
			copy(vecs[(k-1)*dim:], vecs[(k/2)*dim:(k/2+1)*dim])
			bias[k-1] = bias[k/2]
			cols := columns(vecs, dim)
			row := make([]float32, dim)
			for i := range row {
				row[i] = float32(rng.NormFloat64())
			}
			for trial := range 2 {
				if trial == 1 {
					copy(row, vecs[(k/2)*dim:(k/2+1)*dim]) // make k/2 (and k-1) win
					for i := range bias {
						bias[i] = 0
					}
					bias[k/2], bias[k-1] = 1000, 1000
				}
				got, want := make([]float32, k), make([]float32, k)
				gb := bestCols(row, cols, bias, got)
				wb := bestColsGeneric(row, cols, bias, want)
				if gb != wb {
					t.Fatalf("k %d dim %d: best %d, generic %d", k, dim, gb, wb)
				}
				if trial == 1 && gb != k/2 {
					t.Fatalf("k %d dim %d: tie went to %d, want %d", k, dim, gb, k/2)
				}
				for c := range k {
					if math.Abs(float64(got[c]-want[c])) > 1e-4*(1+math.Abs(float64(want[c]))) {
						t.Fatalf("k %d dim %d c %d: %g, generic %g", k, dim, c, got[c], want[c])
					}
				}
			}
		}
	}
}

// TestAssignLongVectors covers the tiled assignment of long vectors (blocked
// kernel when the dimension is a multiple of 8, linalg otherwise), with odd
// row counts, centroid counts that are not multiples of 4 and several tiles.
func TestAssignLongVectors(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	for _, dim := range []int{72, 130, 1024} {
		for _, k := range []int{5, 37, 300} {
			for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricDot} {
				cents := make([]float32, k*dim)
				for i := range cents {
					cents[i] = float32(rng.NormFloat64())
				}
				const n = 67
				data := make([]float32, n*dim)
				for i := range data {
					data[i] = float32(rng.NormFloat64())
				}
				a, err := NewAssigner(m, cents, dim)
				if err != nil {
					t.Fatal(err)
				}
				labels, dists, err := a.Assign(context.Background(), data, 1)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range []int{2, 3} {
					l2, d2, err := a.Assign(context.Background(), data, w)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(labels, l2) || !slices.Equal(dists, d2) {
						t.Fatalf("dim %d k %d %v: results depend on workers", dim, k, m)
					}
				}
				for i := range n {
					row := data[i*dim : (i+1)*dim]
					best, bestD := 0, float32(math.Inf(1))
					for c := range k {
						d := distance(m, row, cents[c*dim:(c+1)*dim])
						if d < bestD {
							best, bestD = c, d
						}
					}
					tol := 1e-3 * (1 + math.Abs(float64(bestD)))
					if math.Abs(float64(dists[i]-bestD)) > tol {
						t.Fatalf("dim %d k %d %v row %d: distance %g, want %g", dim, k, m, i, dists[i], bestD)
					}
					got := distance(m, row, cents[int(labels[i])*dim:(int(labels[i])+1)*dim])
					if int(labels[i]) != best && math.Abs(float64(got-bestD)) > tol {
						t.Fatalf("dim %d k %d %v row %d: centroid %d at %g, want %d at %g", dim, k, m, i, labels[i], got, best, bestD)
					}
				}
			}
		}
	}
}
