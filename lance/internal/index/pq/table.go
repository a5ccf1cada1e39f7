package pq

import "github.com/resona-go/resona/lance/internal/linalg"

// TableL2 fills table (M × 2^NBits floats) with the squared L2 distance from
// each sub-vector of q to each centroid of that sub-vector.
func (cb *Codebook) TableL2(q, table []float32) {
	k, sub := cb.NumCentroids(), cb.SubDim()
	for j := range cb.M {
		cents := cb.Sub(j)
		qs := q[j*sub : (j+1)*sub]
		row := table[j*k : (j+1)*k]
		for c := range row {
			row[c] = linalg.L2Squared(qs, cents[c*sub:(c+1)*sub])
		}
	}
}

// TableDot fills table with 1 − (sub-vector of q · centroid), Lance's
// per-sub-vector dot distance. A sum of M entries is then (M − 1) above the
// dot distance of the whole vector; see [DotCorrection].
func (cb *Codebook) TableDot(q, table []float32) error {
	if err := cb.TableInner(q, -1, table); err != nil {
		return err
	}
	for i := range table[:cb.M*cb.NumCentroids()] {
		table[i]++
	}
	return nil
}

// DotCorrection returns M − 1, to subtract from summed dot tables.
func (cb *Codebook) DotCorrection() float32 { return float32(cb.M - 1) }

// TableInner fills table with scale · (sub-vector of q · centroid). With
// scale −2 it is the query-dependent part of the residual L2 expansion
// ‖q − c − y‖² = ‖q − c‖² + (‖y‖² + 2 c·y) − 2 q·y, which lets one table
// serve every probed partition. The codebook must be valid.
func (cb *Codebook) TableInner(q []float32, scale float32, table []float32) error {
	as, err := cb.assigners()
	if err != nil {
		return err
	}
	k, sub := cb.NumCentroids(), cb.SubDim()
	for j, a := range as {
		row := table[j*k : (j+1)*k]
		a.Dots(q[j*sub:(j+1)*sub], row)
		for c := range row {
			row[c] *= scale
		}
	}
	return nil
}

// ScanTransposed adds, for each of the n rows whose transposed codes (M × n
// bytes) are given, the sum of its table entries to out[i]. It is the ADC hot
// loop: four sub-vectors are folded per pass over out.
func (cb *Codebook) ScanTransposed(table []float32, codes []byte, out []float32) {
	n := len(out)
	if n == 0 {
		return
	}
	if cb.NBits != 8 {
		scanGeneric(table, cb.NumCentroids(), codes, cb.M, out)
		return
	}
	codes = codes[:cb.M*n]
	j := 0
	for ; j+4 <= cb.M; j += 4 {
		t0 := (*[256]float32)(table[j*256:])
		t1 := (*[256]float32)(table[(j+1)*256:])
		t2 := (*[256]float32)(table[(j+2)*256:])
		t3 := (*[256]float32)(table[(j+3)*256:])
		c0 := codes[j*n : (j+1)*n]
		c1 := codes[(j+1)*n : (j+2)*n]
		c2 := codes[(j+2)*n : (j+3)*n]
		c3 := codes[(j+3)*n : (j+4)*n]
		for i := range out {
			out[i] += (t0[c0[i]] + t1[c1[i]]) + (t2[c2[i]] + t3[c3[i]])
		}
	}
	for ; j < cb.M; j++ {
		t := (*[256]float32)(table[j*256:])
		c := codes[j*n : (j+1)*n]
		for i := range out {
			out[i] += t[c[i]]
		}
	}
}

func scanGeneric(table []float32, k int, codes []byte, m int, out []float32) {
	n := len(out)
	for j := range m {
		t := table[j*k : (j+1)*k]
		c := codes[j*n : (j+1)*n]
		for i := range out {
			out[i] += t[c[i]]
		}
	}
}
