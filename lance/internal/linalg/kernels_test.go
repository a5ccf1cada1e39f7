package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ref64 returns Σ aᵢbᵢ, Σ(aᵢ−bᵢ)² and Σ bᵢ² in float64, with the
// differences rounded to float32 first as the kernels do, plus the matching
// sums of absolute terms, which bound the rounding error of any summation
// order.
type ref64 struct {
	dot, l2, bb          float64
	dotAbs, l2Abs, bbAbs float64
}

func reference(a, b []float32) ref64 {
	var r ref64
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		d := float64(a[i] - b[i])
		r.dot += p
		r.dotAbs += math.Abs(p)
		r.l2 += d * d
		r.l2Abs += d * d
		r.bb += float64(b[i]) * float64(b[i])
		r.bbAbs += float64(b[i]) * float64(b[i])
	}
	return r
}

// within reports whether got is within the float32 rounding error that a
// sum of n terms with absolute sum abs can accumulate around want.
func within(got float32, want, abs float64, n int) bool {
	tol := float64(n+4)*0x1p-23*abs + 1e-30
	return math.Abs(float64(got)-want) <= tol
}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

type impl struct {
	name string
	k    *kernelSet
}

func impls() []impl {
	return []impl{{"active(" + active.name + ")", active}, {"generic", genericKernels}}
}

func checkAgainstReference(t *testing.T, a, b []float32) {
	t.Helper()
	r := reference(a, b)
	n := len(a)
	for _, im := range impls() {
		if got := im.k.dot(a, b); !within(got, r.dot, r.dotAbs, n) {
			t.Errorf("%s dot n=%d: got %v want %v", im.name, n, got, r.dot)
		}
		if got := im.k.l2(a, b); !within(got, r.l2, r.l2Abs, n) {
			t.Errorf("%s l2 n=%d: got %v want %v", im.name, n, got, r.l2)
		}
		ab, bb := im.k.dotNorm(a, b)
		if !within(ab, r.dot, r.dotAbs, n) || !within(bb, r.bb, r.bbAbs, n) {
			t.Errorf("%s dotNorm n=%d: got %v,%v want %v,%v", im.name, n, ab, bb, r.dot, r.bb)
		}
	}
}

func TestKernelsAgreeAllShortLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 130; n++ {
		for off := 0; off <= 1; off++ {
			// Offsetting by one element leaves the data 4-byte but not
			// 32-byte aligned.
			a := randVec(r, n+off)[off:]
			b := randVec(r, n+off)[off:]
			checkAgainstReference(t, a, b)
		}
	}
}

func TestKernelsAgreeLargeLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sizes := []int{255, 256, 257, 1023, 1024, 1025, 1536, 3072, 4099}
	for range 20 {
		sizes = append(sizes, 131+r.IntN(10000))
	}
	for _, n := range sizes {
		for off := 0; off <= 3; off += 3 {
			a := randVec(r, n+off)[off:]
			b := randVec(r, n+off)[off:]
			checkAgainstReference(t, a, b)
		}
	}
}

// TestKernelsIgnoreBeyondLen checks that no kernel reads past len(a): the
// elements after the slice end are poisoned with NaN.
func TestKernelsIgnoreBeyondLen(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 80; n++ {
		a := randVec(r, n+16)
		b := randVec(r, n+16)
		for i := n; i < n+16; i++ {
			a[i], b[i] = float32(math.NaN()), float32(math.NaN())
		}
		for _, im := range impls() {
			ab, bb := im.k.dotNorm(a[:n], b[:n])
			for _, v := range []float32{im.k.dot(a[:n], b[:n]), im.k.l2(a[:n], b[:n]), ab, bb} {
				if v != v {
					t.Fatalf("%s n=%d read past the end of the slice", im.name, n)
				}
			}
		}
	}
}

func TestKnownValues(t *testing.T) {
	a := []float32{1, 2, 3}
	b := []float32{4, 5, 6}
	if got := Dot(a, b); got != 32 {
		t.Errorf("Dot = %v, want 32", got)
	}
	if got := L2Squared(a, b); got != 27 {
		t.Errorf("L2Squared = %v, want 27", got)
	}
	if got := NormSquared(a); got != 14 {
		t.Errorf("NormSquared = %v, want 14", got)
	}
	if got := Norm([]float32{3, 4}); got != 5 {
		t.Errorf("Norm = %v, want 5", got)
	}
	// Σ i² for i = 1..203 is n(n+1)(2n+1)/6; every partial sum is an integer
	// below 2²⁴, so any summation order is exact.
	x := make([]float32, 203)
	for i := range x {
		x[i] = float32(i + 1)
	}
	if got, want := Dot(x, x), float32(203*204*407/6); got != want {
		t.Errorf("Dot(1..203) = %v, want %v", got, want)
	}
	if got := L2Squared(x, x); got != 0 {
		t.Errorf("L2Squared(x, x) = %v, want 0", got)
	}
}

func TestSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name    string
		a, b    []float32
		dot, l2 float32 // NaN means "must be NaN"
		// anyDot skips the dot check where fused and unfused multiply-add
		// legitimately differ: a product overflowing float32.
		anyDot bool
	}{
		{name: "empty", a: nil, b: nil, dot: 0, l2: 0},
		{name: "zeros", a: make([]float32, 19), b: make([]float32, 19), dot: 0, l2: 0},
		{name: "nan in a", a: []float32{1, nan, 3}, b: []float32{1, 2, 3}, dot: nan, l2: nan},
		{name: "nan in tail", a: append(make([]float32, 64), nan), b: make([]float32, 65), dot: nan, l2: nan},
		{name: "nan in main loop", a: append([]float32{nan}, make([]float32, 64)...), b: make([]float32, 65), dot: nan, l2: nan},
		{name: "inf", a: []float32{inf, 1}, b: []float32{1, 1}, dot: inf, l2: inf},
		{name: "inf times zero", a: []float32{inf, 1}, b: []float32{0, 1}, dot: nan, l2: inf},
		{name: "inf minus inf", a: []float32{inf, 1}, b: []float32{inf, 1}, dot: inf, l2: nan},
		{name: "opposite infs", a: []float32{inf, -inf}, b: []float32{1, 1}, dot: nan, l2: inf},
		{name: "overflow", a: []float32{3e38, 3e38}, b: []float32{3e38, -3e38}, anyDot: true, l2: inf},
		{name: "huge square", a: []float32{2e19}, b: []float32{2e19}, dot: inf, l2: 0},
		{name: "subnormal", a: []float32{1e-40}, b: []float32{1e-40}, dot: 0, l2: 0},
	}
	same := func(got, want float32) bool {
		if want != want {
			return got != got
		}
		return got == want
	}
	for _, tc := range tests {
		for _, im := range impls() {
			if got := im.k.dot(tc.a, tc.b); !tc.anyDot && !same(got, tc.dot) {
				t.Errorf("%s %s: dot = %v, want %v", im.name, tc.name, got, tc.dot)
			}
			if got := im.k.l2(tc.a, tc.b); !same(got, tc.l2) {
				t.Errorf("%s %s: l2 = %v, want %v", im.name, tc.name, got, tc.l2)
			}
			if ab, _ := im.k.dotNorm(tc.a, tc.b); !tc.anyDot && !same(ab, tc.dot) {
				t.Errorf("%s %s: dotNorm ab = %v, want %v", im.name, tc.name, ab, tc.dot)
			}
		}
	}
}

func TestBatchMatchesSingle(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, dim := range []int{1, 3, 8, 37, 64, 100, 1024} {
		const n = 9
		q := randVec(r, dim)
		vecs := randVec(r, n*dim+1)[1:]
		out := make([]float32, n+2)
		DotBatch(q, vecs, dim, out)
		for i := range n {
			if want := Dot(q, vecs[i*dim:(i+1)*dim]); out[i] != want {
				t.Fatalf("DotBatch dim=%d [%d] = %v, want %v", dim, i, out[i], want)
			}
		}
		L2SquaredBatch(q, vecs, dim, out)
		for i := range n {
			if want := L2Squared(q, vecs[i*dim:(i+1)*dim]); out[i] != want {
				t.Fatalf("L2SquaredBatch dim=%d [%d] = %v, want %v", dim, i, out[i], want)
			}
		}
		qn := Norm(q)
		CosineDistanceBatch(q, qn, vecs, dim, out)
		for i := range n {
			v := vecs[i*dim : (i+1)*dim]
			want := 1 - float64(Dot(q, v))/float64(qn)/math.Sqrt(float64(NormSquared(v)))
			if math.Abs(float64(out[i])-want) > 1e-5 {
				t.Fatalf("CosineDistanceBatch dim=%d [%d] = %v, want %v", dim, i, out[i], want)
			}
		}
		if out[n] != 0 || out[n+1] != 0 {
			t.Fatalf("batch wrote past n results")
		}
	}
}

func TestBatchPanicsOnBadShapes(t *testing.T) {
	q := make([]float32, 4)
	tests := []struct {
		name string
		f    func()
	}{
		{"dim differs from query", func() { DotBatch(q, make([]float32, 8), 2, make([]float32, 4)) }},
		{"ragged vecs", func() { L2SquaredBatch(q, make([]float32, 9), 4, make([]float32, 4)) }},
		{"short out", func() { CosineDistanceBatch(q, 1, make([]float32, 12), 4, make([]float32, 2)) }},
		{"zero dim", func() { DotBatch(nil, nil, 0, nil) }},
		{"pair length", func() { Dot(q, q[:3]) }},
	}
	for _, tc := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}
