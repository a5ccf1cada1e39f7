package linalg

// The pure-Go kernels keep four independent accumulators so that consecutive
// additions do not wait on each other, and walk the input in fixed-size
// sub-slices so that the compiler drops the per-element bounds checks.

func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x := a[i : i+8 : i+8]
		y := b[i : i+8 : i+8]
		s0 += x[0]*y[0] + x[4]*y[4]
		s1 += x[1]*y[1] + x[5]*y[5]
		s2 += x[2]*y[2] + x[6]*y[6]
		s3 += x[3]*y[3] + x[7]*y[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func l2Generic(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x := a[i : i+8 : i+8]
		y := b[i : i+8 : i+8]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		d4, d5, d6, d7 := x[4]-y[4], x[5]-y[5], x[6]-y[6], x[7]-y[7]
		s0 += d0*d0 + d4*d4
		s1 += d1*d1 + d5*d5
		s2 += d2*d2 + d6*d6
		s3 += d3*d3 + d7*d7
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

func dotNormGeneric(a, b []float32) (ab, bb float32) {
	b = b[:len(a)]
	var p0, p1, p2, p3, n0, n1, n2, n3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x := a[i : i+8 : i+8]
		y := b[i : i+8 : i+8]
		p0 += x[0]*y[0] + x[4]*y[4]
		p1 += x[1]*y[1] + x[5]*y[5]
		p2 += x[2]*y[2] + x[6]*y[6]
		p3 += x[3]*y[3] + x[7]*y[7]
		n0 += y[0]*y[0] + y[4]*y[4]
		n1 += y[1]*y[1] + y[5]*y[5]
		n2 += y[2]*y[2] + y[6]*y[6]
		n3 += y[3]*y[3] + y[7]*y[7]
	}
	for ; i < len(a); i++ {
		p0 += a[i] * b[i]
		n0 += b[i] * b[i]
	}
	return (p0 + p1) + (p2 + p3), (n0 + n1) + (n2 + n3)
}
