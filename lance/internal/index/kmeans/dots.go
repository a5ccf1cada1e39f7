package kmeans

// dotsColsGeneric is the portable form of dotsCols.
func dotsColsGeneric(row, cols, out []float32) {
	k := len(out)
	clear(out)
	for d, x := range row {
		col := cols[d*k : (d+1)*k]
		for c, v := range col {
			out[c] += x * v
		}
	}
}

// bestColsGeneric is the portable form of bestCols.
func bestColsGeneric(row, cols, bias, out []float32) int {
	dotsColsGeneric(row, cols, out)
	best := 0
	bias = bias[:len(out)]
	for c := range out {
		out[c] += bias[c]
		if out[c] > out[best] || (out[best] != out[best] && out[c] == out[c]) {
			best = c
		}
	}
	return best
}

// columns returns the k vectors of dim floats in vecs (row-major) stored
// column-wise: out[d·k + c] = vecs[c·dim + d].
func columns(vecs []float32, dim int) []float32 {
	k := len(vecs) / dim
	out := make([]float32, len(vecs))
	for c := range k {
		for d, v := range vecs[c*dim : (c+1)*dim] {
			out[d*k+c] = v
		}
	}
	return out
}
