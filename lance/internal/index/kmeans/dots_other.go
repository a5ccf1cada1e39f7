//go:build !amd64 || purego

package kmeans

// dotsCols sets out[c] = Σ_d row[d]·cols[d·k + c] for c < k = len(out).
func dotsCols(row, cols, out []float32) { dotsColsGeneric(row, cols, out) }

// bestCols sets out[c] = bias[c] + Σ_d row[d]·cols[d·k + c] for c < k =
// len(out) and returns the lowest c with the largest out[c].
func bestCols(row, cols, bias, out []float32) int { return bestColsGeneric(row, cols, bias, out) }

// dots2x4 reports false: the blocked kernel exists on amd64 only.
func dots2x4(x0, x1, c []float32, out *[8]float32) bool { return false }

// blockedDims reports false: the blocked kernel exists on amd64 only.
func blockedDims(int) bool { return false }
