//go:build !purego

package linalg

import "golang.org/x/sys/cpu"

// Implemented in kernels_arm64.s with Advanced SIMD (NEON). They read
// len(a) elements of both a and b.

//go:noescape
func dotNEON(a, b []float32) float32

//go:noescape
func l2NEON(a, b []float32) float32

//go:noescape
func dotNormNEON(a, b []float32) (ab, bb float32)

var neonKernels = &kernelSet{
	name:    "neon",
	dot:     dotNEON,
	l2:      l2NEON,
	dotNorm: dotNormNEON,
}

func chooseKernels() *kernelSet {
	// Advanced SIMD is part of every arm64 CPU Go supports; the check
	// guards against an exotic or emulated one reporting otherwise.
	if cpu.ARM64.HasASIMD {
		return neonKernels
	}
	return genericKernels
}
