package linalg

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzKernelsAgree decodes two equal-length float32 vectors from the input
// and checks that the active and pure-Go kernels agree: within rounding of
// the float64 reference for finite results, and in kind (NaN, ±Inf) for the
// rest. Inputs whose products come near float32 overflow are skipped, since
// there fused and unfused multiply-add may legitimately round differently.
func FuzzKernelsAgree(f *testing.F) {
	f.Add([]byte{})
	f.Add(floatBytes(1, 2, 3, 4, 5, 6))
	f.Add(floatBytes(float32(math.NaN()), 1, 0, 1))
	f.Add(floatBytes(float32(math.Inf(1)), 1, float32(math.Inf(-1)), 1))
	long := make([]float32, 2*75)
	for i := range long {
		long[i] = float32(i%7) - 3.5
	}
	f.Add(floatBytes(long...))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 8
		a := make([]float32, n)
		b := make([]float32, n)
		for i := range n {
			a[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[8*i:]))
			b[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[8*i+4:]))
		}
		compareKernels(t, a, b)
	})
}

// compareKernels checks the active kernels against the pure-Go ones and the
// float64 reference on one input pair.
func compareKernels(t *testing.T, a, b []float32) {
	t.Helper()
	n := len(a)
	var finiteAbs float64
	for i := range a {
		for _, p := range []float64{float64(a[i]) * float64(b[i]), float64(a[i]) * float64(a[i]), float64(b[i]) * float64(b[i])} {
			if !math.IsNaN(p) && !math.IsInf(p, 0) {
				finiteAbs += math.Abs(p)
			}
		}
		if d := float64(a[i] - b[i]); !math.IsNaN(d) && !math.IsInf(d, 0) {
			finiteAbs += d * d
		}
	}
	if finiteAbs > 1e37 {
		return // fused and unfused rounding may differ in kind here
	}
	r := reference(a, b)
	ab1, bb1 := active.dotNorm(a, b)
	ab2, bb2 := genericKernels.dotNorm(a, b)
	pairs := []struct {
		name          string
		x, y          float32
		want, wantAbs float64
	}{
		{"dot", active.dot(a, b), genericKernels.dot(a, b), r.dot, r.dotAbs},
		{"l2", active.l2(a, b), genericKernels.l2(a, b), r.l2, r.l2Abs},
		{"dotNorm.ab", ab1, ab2, r.dot, r.dotAbs},
		{"dotNorm.bb", bb1, bb2, r.bb, r.bbAbs},
	}
	for _, p := range pairs {
		if kind(p.x) != kind(p.y) {
			t.Fatalf("%s: active %v, generic %v", p.name, p.x, p.y)
		}
		if kind(p.x) == 0 && (!within(p.x, p.want, p.wantAbs, n) || !within(p.y, p.want, p.wantAbs, n)) {
			t.Fatalf("%s: active %v, generic %v, reference %v", p.name, p.x, p.y, p.want)
		}
	}
}

// TestKernelsAgreeOnMixedValues runs the fuzz check over inputs drawn from a
// mix of ordinary, tiny, subnormal, huge and non-finite values, so that the
// comparison also runs where fuzzing cannot (under an emulator).
func TestKernelsAgreeOnMixedValues(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	pick := func() float32 {
		switch c := r.IntN(200); {
		case c == 0:
			return float32(math.NaN())
		case c == 1:
			return float32(math.Inf(1 - 2*r.IntN(2)))
		case c < 12:
			return float32(r.NormFloat64() * 1e-42) // subnormal
		case c < 22:
			return float32(r.NormFloat64() * 1e15)
		case c < 32:
			return 0
		}
		return float32(r.NormFloat64())
	}
	for range 20000 {
		n := r.IntN(140)
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = pick(), pick()
		}
		compareKernels(t, a, b)
	}
}

// kind classifies a float: 0 finite, 1 NaN, 2 +Inf, 3 −Inf.
func kind(x float32) int {
	switch {
	case x != x:
		return 1
	case math.IsInf(float64(x), 1):
		return 2
	case math.IsInf(float64(x), -1):
		return 3
	}
	return 0
}

func floatBytes(v ...float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}
