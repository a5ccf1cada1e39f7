package linalg

import "math"

// kernelSet is one implementation of the primitive kernels. Every function
// reads len(a) elements of both arguments; callers guarantee len(b) >= len(a).
type kernelSet struct {
	name string
	// dot returns Σ aᵢbᵢ.
	dot func(a, b []float32) float32
	// l2 returns Σ (aᵢ−bᵢ)².
	l2 func(a, b []float32) float32
	// dotNorm returns Σ aᵢbᵢ and Σ bᵢ² in one pass over b.
	dotNorm func(a, b []float32) (ab, bb float32)
}

// active is chosen once from the CPU's features and never reassigned.
var active = chooseKernels()

var genericKernels = &kernelSet{
	name:    "purego",
	dot:     dotGeneric,
	l2:      l2Generic,
	dotNorm: dotNormGeneric,
}

// Impl names the kernel implementation in use: "avx2+fma", "neon" or
// "purego".
func Impl() string { return active.name }

// Dot returns the dot product of a and b. It panics if their lengths differ.
func Dot(a, b []float32) float32 {
	checkSameLen(a, b)
	return active.dot(a, b)
}

// L2Squared returns the squared euclidean distance between a and b. It
// panics if their lengths differ.
func L2Squared(a, b []float32) float32 {
	checkSameLen(a, b)
	return active.l2(a, b)
}

// NormSquared returns Σ aᵢ².
func NormSquared(a []float32) float32 { return active.dot(a, a) }

// Norm returns the euclidean norm of a.
func Norm(a []float32) float32 { return float32(math.Sqrt(float64(active.dot(a, a)))) }

// DotBatch sets out[i] to the dot product of q and the i-th vector of vecs,
// which holds n = len(vecs)/dim vectors of dim elements back to back; out
// needs room for n values. It panics if dim != len(q), if len(vecs) is not a
// multiple of dim or if out is too short.
func DotBatch(q, vecs []float32, dim int, out []float32) {
	active.dotBatch(q, vecs, checkBatch(q, vecs, dim, out))
}

// L2SquaredBatch sets out[i] to the squared euclidean distance between q and
// the i-th vector of vecs; arguments are as for [DotBatch].
func L2SquaredBatch(q, vecs []float32, dim int, out []float32) {
	active.l2Batch(q, vecs, checkBatch(q, vecs, dim, out))
}

// CosineDistanceBatch sets out[i] to 1 − cos(q, vᵢ) for the i-th vector of
// vecs, given qNorm = [Norm](q); other arguments are as for [DotBatch]. A zero
// vector (or a zero qNorm) yields NaN, as in Lance.
func CosineDistanceBatch(q []float32, qNorm float32, vecs []float32, dim int, out []float32) {
	active.cosineBatch(q, qNorm, vecs, checkBatch(q, vecs, dim, out))
}

// The batch loops below take shapes already checked: len(vecs) equals
// len(q)*len(out).

func (k *kernelSet) dotBatch(q, vecs, out []float32) {
	dim, dot := len(q), k.dot
	for i := range out {
		out[i] = dot(q, vecs[i*dim:(i+1)*dim])
	}
}

func (k *kernelSet) l2Batch(q, vecs, out []float32) {
	dim, l2 := len(q), k.l2
	for i := range out {
		out[i] = l2(q, vecs[i*dim:(i+1)*dim])
	}
}

func (k *kernelSet) cosineBatch(q []float32, qNorm float32, vecs, out []float32) {
	dim, dotNorm := len(q), k.dotNorm
	for i := range out {
		ab, bb := dotNorm(q, vecs[i*dim:(i+1)*dim])
		out[i] = cosineFromParts(ab, qNorm, bb)
	}
}

// cosineFromParts divides in the order Lance does, so that results round the
// same way.
func cosineFromParts(ab, qNorm, bb float32) float32 {
	return 1 - ab/qNorm/float32(math.Sqrt(float64(bb)))
}

func checkSameLen(a, b []float32) {
	if len(a) != len(b) {
		panic("linalg: vectors of different lengths")
	}
}

// checkBatch validates a batch call and returns out cut to one slot per
// vector. Kernels read memory without bounds checks, so this must hold.
func checkBatch(q, vecs []float32, dim int, out []float32) []float32 {
	if dim <= 0 || dim != len(q) {
		panic("linalg: dim must equal len(query) and be positive")
	}
	if len(vecs)%dim != 0 {
		panic("linalg: batch length is not a multiple of dim")
	}
	n := len(vecs) / dim
	if len(out) < n {
		panic("linalg: out is shorter than the number of vectors")
	}
	return out[:n]
}
