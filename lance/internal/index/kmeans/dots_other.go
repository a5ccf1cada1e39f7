//go:build !amd64 || purego

package kmeans

// dotsCols sets out[c] = Σ_d row[d]·cols[d·k + c] for c < k = len(out).
func dotsCols(row, cols, out []float32) { dotsColsGeneric(row, cols, out) }
