package vector

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/resona-go/resona/lance/internal/index/ivf"
	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// clustered returns n unit-free vectors around c random centres, and nq
// queries drawn the same way.
func clustered(n, nq, dim, c int, seed uint64) (data, queries []float32) {
	rng := rand.New(rand.NewPCG(seed, 11))
	centres := make([]float32, c*dim)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	gen := func(rows int) []float32 {
		out := make([]float32, rows*dim)
		for i := range rows {
			ctr := centres[rng.IntN(c)*dim:]
			for d := range dim {
				out[i*dim+d] = ctr[d] + 0.35*float32(rng.NormFloat64())
			}
		}
		return out
	}
	return gen(n), gen(nq)
}

func exactTop(m linalg.Metric, data, q []float32, k int) []uint64 {
	s, _ := linalg.NewScorer(m, q)
	top := knn.NewTopK(k)
	_ = knn.Scan(top, s, knn.Block{Vectors: data})
	var rows []uint64
	for _, r := range top.Results() {
		rows = append(rows, r.Row)
	}
	return rows
}

func fetchFrom(data []float32, dim int) FetchFunc {
	return func(_ context.Context, rows []uint64) ([]float32, error) {
		out := make([]float32, 0, len(rows)*dim)
		for _, r := range rows {
			out = append(out, data[int(r)*dim:(int(r)+1)*dim]...)
		}
		return out, nil
	}
}

func TestRecallOnClusteredData(t *testing.T) {
	const n, nq, dim, k = 6000, 40, 32, 10
	data, queries := clustered(n, nq, dim, 24, 1)
	for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot} {
		ix, _, err := Build(context.Background(), SliceSource(data, dim, nil, 1000), BuildOptions{
			Metric: m, Partitions: 16, SubVectors: 8, Seed: 1, PQSampleSize: 4096, PQMaxIters: 10})
		if err != nil {
			t.Fatal(err)
		}
		if ix.Len() != n {
			t.Fatalf("%v: %d rows indexed", m, ix.Len())
		}
		recall := func(p SearchParams) float64 {
			hits := 0
			for qi := range nq {
				q := queries[qi*dim : (qi+1)*dim]
				res, err := ix.Search(context.Background(), q, p, fetchFrom(data, dim))
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != k {
					t.Fatalf("%v: %d results", m, len(res))
				}
				truth := exactTop(m, data, q, k)
				for _, r := range res {
					if slices.Contains(truth, r.Row) {
						hits++
					}
				}
			}
			return float64(hits) / (nq * k)
		}
		// Probing every partition and re-ranking 200 candidates exactly
		// leaves only PQ ranking errors beyond rank 200: recall ≈ 1.
		if r := recall(SearchParams{K: k, NProbes: 16, RefineFactor: 20}); r < 0.97 {
			t.Errorf("%v: recall %.3f with all partitions and refine 20", m, r)
		}
		if r := recall(SearchParams{K: k, NProbes: 4, RefineFactor: 10}); r < 0.8 {
			t.Errorf("%v: recall %.3f with 4 of 16 partitions and refine 10", m, r)
		}
		if r := recall(SearchParams{K: k, NProbes: 16}); r < 0.4 {
			t.Errorf("%v: recall %.3f from PQ distances alone", m, r)
		}
	}
}

// TestResidualExpansionMatchesLanceTables checks the one-table search path
// against Lance's way: one residual query q − c per probed partition and its
// own L2 table.
func TestResidualExpansionMatchesLanceTables(t *testing.T) {
	const dim = 24
	data, queries := clustered(1500, 5, dim, 6, 2)
	ix, _, err := Build(context.Background(), SliceSource(data, dim, nil, 0), BuildOptions{
		Metric: linalg.MetricL2, Partitions: 6, SubVectors: 6, NBits: 8, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	cb := ix.Codebook
	for qi := range 5 {
		q := queries[qi*dim : (qi+1)*dim]
		res, err := ix.Search(context.Background(), q, SearchParams{K: 1500, NProbes: 6}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint64]float32{}
		for _, r := range res {
			got[r.Row] = r.Distance
		}
		rq := make([]float32, dim)
		table := make([]float32, cb.M*cb.NumCentroids())
		for p, part := range ix.Partitions {
			ivf.Residual(rq, q, ix.Centroids[p*dim:(p+1)*dim])
			cb.TableL2(rq, table)
			want := make([]float32, len(part.RowIDs))
			cb.ScanTransposed(table, part.Codes, want)
			for i, row := range part.RowIDs {
				if math.Abs(float64(got[row]-want[i])) > 1e-3*(1+float64(want[i])) {
					t.Fatalf("row %d: distance %g, Lance's residual table gives %g", row, got[row], want[i])
				}
			}
		}
	}
}

func TestCodesAreTransposedResidualCodes(t *testing.T) {
	const dim = 16
	data, _ := clustered(800, 0, dim, 4, 3)
	ix, _, err := Build(context.Background(), SliceSource(data, dim, nil, 300), BuildOptions{
		Metric: linalg.MetricL2, Partitions: 4, SubVectors: 4, NBits: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for p, part := range ix.Partitions {
		cents := ix.Centroids[p*dim : (p+1)*dim]
		res := make([]float32, len(part.RowIDs)*dim)
		for i, row := range part.RowIDs {
			ivf.Residual(res[i*dim:(i+1)*dim], data[int(row)*dim:(int(row)+1)*dim], cents)
			seen++
		}
		want, err := ix.Codebook.Encode(context.Background(), res, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := len(part.RowIDs)
		for i := range n {
			for j := range ix.Codebook.M {
				if part.Codes[j*n+i] != want[i*ix.Codebook.M+j] {
					t.Fatalf("partition %d row %d sub %d: code %d, want %d", p, i, j, part.Codes[j*n+i], want[i*ix.Codebook.M+j])
				}
			}
		}
	}
	if seen != 800 {
		t.Fatalf("%d rows", seen)
	}
}

func TestBuildDeterministic(t *testing.T) {
	const dim = 16
	data, _ := clustered(2000, 0, dim, 8, 4)
	build := func(w int) *Index {
		ix, _, err := Build(context.Background(), SliceSource(data, dim, nil, 700), BuildOptions{
			Metric: linalg.MetricCosine, Partitions: 8, SubVectors: 4, Seed: 7, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	a, b := build(1), build(2)
	if !slices.Equal(a.Centroids, b.Centroids) || !slices.Equal(a.Codebook.Centroids, b.Codebook.Centroids) {
		t.Fatal("models differ")
	}
	for p := range a.Partitions {
		if !slices.Equal(a.Partitions[p].RowIDs, b.Partitions[p].RowIDs) ||
			!slices.Equal(a.Partitions[p].Codes, b.Partitions[p].Codes) {
			t.Fatalf("partition %d differs", p)
		}
	}
}

func TestCancel(t *testing.T) {
	const dim = 16
	data, queries := clustered(2000, 1, dim, 8, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Build(ctx, SliceSource(data, dim, nil, 0), BuildOptions{Partitions: 4, SubVectors: 4}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Build: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	_, _, err := Build(ctx2, SliceSource(data, dim, nil, 0), BuildOptions{Partitions: 4, SubVectors: 4,
		Progress: func(e Event) {
			if e.Stage == StageIVF && e.Step == 2 {
				cancel2()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Build cancelled in k-means: %v", err)
	}
	ix, _, err := Build(context.Background(), SliceSource(data, dim, nil, 0), BuildOptions{Partitions: 4, SubVectors: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Search(ctx, queries, SearchParams{K: 3}, fetchFrom(data, dim)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Search: %v", err)
	}
}

func TestInvalidUse(t *testing.T) {
	const dim = 16
	data, queries := clustered(600, 1, dim, 4, 6)
	src := SliceSource(data, dim, nil, 0)
	ctx := context.Background()
	for _, o := range []BuildOptions{{Partitions: 601}, {SubVectors: 5}, {NBits: 6}} {
		if _, _, err := Build(ctx, src, o); !errors.Is(err, lanceerr.ErrInvalidArgument) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	ix, _, err := Build(ctx, src, BuildOptions{Partitions: 4, SubVectors: 4, NBits: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Search(ctx, queries[:dim-1], SearchParams{K: 3}, nil); !errors.Is(err, lanceerr.ErrDimensionMismatch) {
		t.Errorf("short query: %v", err)
	}
	if _, err := ix.Search(ctx, queries, SearchParams{K: 0}, nil); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("k=0: %v", err)
	}
	if _, err := ix.Search(ctx, queries, SearchParams{K: 3, RefineFactor: 2}, nil); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("refine without fetch: %v", err)
	}
	short := func(context.Context, []uint64) ([]float32, error) { return make([]float32, 3), nil }
	if _, err := ix.Search(ctx, queries, SearchParams{K: 3, RefineFactor: 2}, short); !errors.Is(err, lanceerr.ErrDimensionMismatch) {
		t.Errorf("short fetch: %v", err)
	}
	// A model assembled by hand (as a file reader would) is validated.
	bad := &Index{Metric: linalg.MetricL2, Dim: dim, Centroids: ix.Centroids, Codebook: ix.Codebook,
		Partitions: []Partition{{RowIDs: []uint64{1}, Codes: []byte{1, 2, 3, 99}}, {}, {}, {}}}
	if _, err := bad.Search(ctx, queries, SearchParams{K: 3}, nil); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("4-bit code 99: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	for _, tc := range []struct{ dim, want int }{{1024, 128}, {768, 96}, {1536, 192}, {100, 10}, {7, 1}, {30, 3}} {
		if got := DefaultSubVectors(tc.dim); got != tc.want {
			t.Errorf("DefaultSubVectors(%d) = %d, want %d", tc.dim, got, tc.want)
		}
	}
	if got := DefaultPartitions(150000); got != 387 {
		t.Errorf("DefaultPartitions(150000) = %d", got)
	}
}

// TestConcurrentSearch shares one index between goroutines, as a dataset
// serving queries would; run under -race it checks the lazy preparation.
func TestConcurrentSearch(t *testing.T) {
	const dim = 16
	data, queries := clustered(1200, 8, dim, 6, 7)
	ix, _, err := Build(context.Background(), SliceSource(data, dim, nil, 0), BuildOptions{
		Metric: linalg.MetricCosine, Partitions: 6, SubVectors: 4, NBits: 4, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	// A fresh model holding the same parts has not been prepared yet.
	fresh := &Index{Metric: ix.Metric, Dim: ix.Dim, Centroids: ix.Centroids, Codebook: ix.Codebook, Partitions: ix.Partitions}
	want := make([][]knn.Neighbor, 8)
	for qi := range want {
		want[qi], err = ix.Search(context.Background(), queries[qi*dim:(qi+1)*dim], SearchParams{K: 5, RefineFactor: 4}, fetchFrom(data, dim))
		if err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 8)
	for qi := range 8 {
		go func() {
			got, err := fresh.Search(context.Background(), queries[qi*dim:(qi+1)*dim], SearchParams{K: 5, RefineFactor: 4}, fetchFrom(data, dim))
			if err == nil && !slices.Equal(got, want[qi]) {
				err = errors.New("results differ from the serial search")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
