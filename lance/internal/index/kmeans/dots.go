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
