//go:build !(amd64 || arm64) || purego

package linalg

func chooseKernels() *kernelSet { return genericKernels }
