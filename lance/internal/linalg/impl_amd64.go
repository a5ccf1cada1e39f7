//go:build !purego

package linalg

import "golang.org/x/sys/cpu"

// Implemented in kernels_amd64.s. They need AVX2 and FMA and read len(a)
// elements of both a and b.

//go:noescape
func dotAVX2(a, b []float32) float32

//go:noescape
func l2AVX2(a, b []float32) float32

//go:noescape
func dotNormAVX2(a, b []float32) (ab, bb float32)

var avx2Kernels = &kernelSet{
	name:    "avx2+fma",
	dot:     dotAVX2,
	l2:      l2AVX2,
	dotNorm: dotNormAVX2,
}

func chooseKernels() *kernelSet {
	// cpu.X86.HasAVX2 already accounts for the OS saving YMM state.
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return avx2Kernels
	}
	return genericKernels
}
