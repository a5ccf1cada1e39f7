package pq

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/resona-go/resona/lance/internal/index/kmeans"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

func TestTransposeByHand(t *testing.T) {
	rows := []byte{1, 2, 3, 4, 5, 6} // two rows of three sub-vector codes
	want := []byte{1, 4, 2, 5, 3, 6}
	got := Transpose(rows, 3)
	if !slices.Equal(got, want) {
		t.Fatalf("Transpose = %v, want %v", got, want)
	}
	if back := Untranspose(got, 3); !slices.Equal(back, rows) {
		t.Fatalf("Untranspose = %v", back)
	}
}

func TestCodebookLayout(t *testing.T) {
	// Centroid c of sub-vector j gets every coordinate 1000j + c, so its
	// place in the flat slice is fixed by Lance's [m][2^nbits][dim/m] order.
	cb := &Codebook{Dim: 6, M: 3, NBits: 4, Centroids: make([]float32, 16*6)}
	for j := range 3 {
		for c := range 16 {
			for d := range 2 {
				cb.Centroids[(j*16+c)*2+d] = float32(1000*j + c)
			}
		}
	}
	if err := cb.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := cb.Sub(2)[5*2]; got != 2005 {
		t.Fatalf("Sub(2) centroid 5 = %g", got)
	}
	out := make([]float32, 6)
	cb.Decode([]byte{3, 0, 15}, out)
	if want := []float32{3, 3, 1000, 1000, 2015, 2015}; !slices.Equal(out, want) {
		t.Fatalf("Decode = %v, want %v", out, want)
	}
}

// TestTrainFindsExactCodebook trains on data whose sub-vectors take exactly
// 2^nbits distinct values each: the codebook must contain those values in
// the right sub-vector block, and encoding must reproduce the data.
func TestTrainFindsExactCodebook(t *testing.T) {
	for _, nbits := range []int{4, 8} {
		k := 1 << nbits
		const dim, m, n = 8, 4, 4096
		sub := dim / m
		value := func(j, c, d int) float32 { return float32(100*j) + float32(c)*1.5 + float32(d)*0.25 }
		rng := rand.New(rand.NewPCG(1, uint64(nbits)))
		data := make([]float32, n*dim)
		for i := range n {
			for j := range m {
				c := (i + rng.IntN(k)) % k
				if i < k {
					c = i // every centroid appears
				}
				for d := range sub {
					data[i*dim+j*sub+d] = value(j, c, d)
				}
			}
		}
		cb, err := Train(context.Background(), data, dim, Params{M: m, NBits: nbits, SampleSize: n, Seed: 2, Init: kmeans.InitPlusPlus})
		if err != nil {
			t.Fatal(err)
		}
		if len(cb.Centroids) != k*dim {
			t.Fatalf("codebook of %d floats", len(cb.Centroids))
		}
		for j := range m {
			block := cb.Sub(j)
			for c := range k {
				x := block[c*sub]
				// x must be value(j, c', 0) for some c'
				cc := (x - float32(100*j)) / 1.5
				if math.Abs(float64(cc-float32(math.Round(float64(cc))))) > 1e-3 || cc < 0 || cc >= float32(k) {
					t.Fatalf("nbits %d: sub-vector %d centroid %d = %g is not a value of that sub-vector", nbits, j, c, x)
				}
			}
		}
		codes, err := cb.Encode(context.Background(), data, 2)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float32, dim)
		for i := range n {
			cb.Decode(codes[i*m:(i+1)*m], out)
			for d, v := range out {
				if math.Abs(float64(v-data[i*dim+d])) > 1e-3 {
					t.Fatalf("nbits %d: row %d decodes to %v, want %v", nbits, i, out, data[i*dim:(i+1)*dim])
				}
			}
		}
	}
}

func randomCodebook(rng *rand.Rand, dim, m, nbits int) *Codebook {
	cb := &Codebook{Dim: dim, M: m, NBits: nbits, Centroids: make([]float32, (1<<nbits)*dim)}
	for i := range cb.Centroids {
		cb.Centroids[i] = float32(rng.NormFloat64())
	}
	return cb
}

// TestTablesAndScanMatchDecodedDistances checks the ADC pieces against
// distances to decoded vectors computed naively.
func TestTablesAndScanMatchDecodedDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, tc := range []struct{ dim, m, nbits int }{{12, 6, 8}, {32, 8, 8}, {16, 16, 4}, {10, 5, 8}, {64, 2, 8}} {
		cb := randomCodebook(rng, tc.dim, tc.m, tc.nbits)
		const n = 37
		codes := make([]byte, n*tc.m)
		for i := range codes {
			codes[i] = byte(rng.IntN(cb.NumCentroids()))
		}
		q := make([]float32, tc.dim)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		tl2 := make([]float32, tc.m*cb.NumCentroids())
		tdot := make([]float32, len(tl2))
		tin := make([]float32, len(tl2))
		cb.TableL2(q, tl2)
		if err := cb.TableDot(q, tdot); err != nil {
			t.Fatal(err)
		}
		if err := cb.TableInner(q, -2, tin); err != nil {
			t.Fatal(err)
		}
		tr := Transpose(codes, tc.m)
		l2, dot, inner := make([]float32, n), make([]float32, n), make([]float32, n)
		cb.ScanTransposed(tl2, tr, l2)
		cb.ScanTransposed(tdot, tr, dot)
		cb.ScanTransposed(tin, tr, inner)
		v := make([]float32, tc.dim)
		for i := range n {
			cb.Decode(codes[i*tc.m:(i+1)*tc.m], v)
			var wantL2, qv float64
			for d := range v {
				e := float64(q[d] - v[d])
				wantL2 += e * e
				qv += float64(q[d]) * float64(v[d])
			}
			near := func(got float32, want float64) bool {
				return math.Abs(float64(got)-want) <= 1e-4*(1+math.Abs(want))
			}
			if !near(l2[i], wantL2) {
				t.Fatalf("%+v row %d: l2 %g, want %g", tc, i, l2[i], wantL2)
			}
			if !near(dot[i]-cb.DotCorrection(), 1-qv) {
				t.Fatalf("%+v row %d: dot %g, want %g", tc, i, dot[i]-cb.DotCorrection(), 1-qv)
			}
			if !near(inner[i], -2*qv) {
				t.Fatalf("%+v row %d: inner %g, want %g", tc, i, inner[i], -2*qv)
			}
		}
	}
}

func TestEncodeDeterministicAcrossWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	data := make([]float32, 3000*16)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	train := func(w int) (*Codebook, []byte) {
		cb, err := Train(context.Background(), data, 16, Params{M: 4, NBits: 4, Seed: 1, Workers: w, MaxIters: 5})
		if err != nil {
			t.Fatal(err)
		}
		codes, err := cb.Encode(context.Background(), data, w)
		if err != nil {
			t.Fatal(err)
		}
		return cb, codes
	}
	a, ca := train(1)
	b, cbytes := train(2)
	if !slices.Equal(a.Centroids, b.Centroids) || !slices.Equal(ca, cbytes) {
		t.Fatal("results depend on the number of workers")
	}
}

func TestTrainProgressAndCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	data := make([]float32, 500*8)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	var calls []int
	if _, err := Train(context.Background(), data, 8, Params{M: 4, NBits: 4, MaxIters: 3,
		Progress: func(done, total int) { calls = append(calls, done*10+total) }}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(calls, []int{14, 24, 34, 44}) {
		t.Fatalf("progress calls %v", calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, data, 8, Params{M: 4, NBits: 4}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Train: %v", err)
	}
	cb := randomCodebook(rng, 8, 4, 4)
	if _, err := cb.Encode(ctx, data, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Encode: %v", err)
	}
}

func TestInvalid(t *testing.T) {
	ctx := context.Background()
	data := make([]float32, 300*8)
	for _, p := range []Params{{M: 3}, {M: 4, NBits: 5}, {M: 0}} {
		if _, err := Train(ctx, data, 8, p); !errors.Is(err, lanceerr.ErrInvalidArgument) {
			t.Errorf("%+v: %v", p, err)
		}
	}
	if _, err := Train(ctx, data[:100*8], 8, Params{M: 4}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("too few rows: %v", err)
	}
	if _, err := Train(ctx, data[:7], 8, Params{M: 4, NBits: 4}); !errors.Is(err, lanceerr.ErrDimensionMismatch) {
		t.Errorf("ragged: %v", err)
	}
}
