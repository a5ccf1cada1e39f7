//go:build !unix

package main

// loadVectors reads the vectors onto the heap where mmap is unavailable.
func loadVectors(path string, rows, dim int) ([]float32, func(), error) {
	v, err := readF32(path, rows, dim)
	return v, func() {}, err
}
