//go:build !purego

package kmeans

import "golang.org/x/sys/cpu"

// dotsColsAVX2 is implemented in dots_amd64.s; it needs AVX2 and FMA.
//
//go:noescape
func dotsColsAVX2(row *float32, dim int, cols *float32, k int, out *float32)

// bestColsAVX2 is implemented in dots_amd64.s; it needs AVX2 and FMA.
//
//go:noescape
func bestColsAVX2(row *float32, dim int, cols *float32, k int, bias *float32, out *float32) int

// dots2x4AVX2 is implemented in dots_amd64.s; it needs AVX2 and FMA.
//
//go:noescape
func dots2x4AVX2(x0, x1, c *float32, dim int, out *float32)

var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotsCols sets out[c] = Σ_d row[d]·cols[d·k + c] for c < k = len(out):
// the dot products of row with k vectors stored column-wise, so that eight
// neighbouring vectors fill one YMM register. The caller guarantees
// len(cols) ≥ len(row)·len(out).
func dotsCols(row, cols, out []float32) {
	k := len(out)
	if haveAVX2 && k%8 == 0 && len(row) > 0 {
		_ = cols[len(row)*k-1]
		dotsColsAVX2(&row[0], len(row), &cols[0], k, &out[0])
		return
	}
	dotsColsGeneric(row, cols, out)
}

// bestCols sets out[c] = bias[c] + Σ_d row[d]·cols[d·k + c] for c < k =
// len(out) and returns the lowest c with the largest out[c] (0 when every
// value is NaN). len(bias) ≥ k.
func bestCols(row, cols, bias, out []float32) int {
	k := len(out)
	if haveAVX2 && k%8 == 0 && len(row) > 0 {
		_ = cols[len(row)*k-1]
		_ = bias[k-1]
		return bestColsAVX2(&row[0], len(row), &cols[0], k, &bias[0], &out[0])
	}
	return bestColsGeneric(row, cols, bias, out)
}

// dots2x4 sets out[j] = x0·c_j and out[4+j] = x1·c_j for the four vectors
// c_j = c[j·dim:(j+1)·dim], dim = len(x0), and reports whether it could (it
// needs AVX2 and dim a multiple of 8). Results for x0 do not depend on x1.
func dots2x4(x0, x1, c []float32, out *[8]float32) bool {
	dim := len(x0)
	if !haveAVX2 || dim == 0 || dim%8 != 0 {
		return false
	}
	_ = x1[dim-1]
	_ = c[4*dim-1]
	dots2x4AVX2(&x0[0], &x1[0], &c[0], dim, &out[0])
	return true
}

// blockedDims reports whether dots2x4 takes vectors of dim floats.
func blockedDims(dim int) bool { return haveAVX2 && dim > 0 && dim%8 == 0 }
