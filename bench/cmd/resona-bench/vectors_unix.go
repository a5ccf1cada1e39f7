//go:build unix

package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// loadVectors maps the first rows×dim float32 values of a benchgen file
// read-only, outside the Go heap. The harness holds every vector (for ingest
// and ground truth); on the heap they would make the garbage collector run
// rarely and flatter the engine's figures with a heap no Resona service has.
// Where mapping is not possible the values are read onto the heap.
// Either way the vectors are resident when it returns.
func loadVectors(path string, rows, dim int) ([]float32, func(), error) {
	need := int64(rows) * int64(dim) * 4
	if need == 0 || binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		v, err := readF32(path, rows, dim)
		return v, func() {}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() < need {
		return nil, nil, fmt.Errorf("%s holds %d bytes, fewer than %d vectors of dim %d", path, st.Size(), rows, dim)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(need), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		v, rerr := readF32(path, rows, dim)
		return v, func() {}, rerr
	}
	// Touch every page once, so that the vectors are resident before the
	// first phase, as they are in the LanceDB harness (which reads the file
	// onto its heap): the memory a phase adds is then the engine's alone.
	var sum byte
	for i := 0; i < len(data); i += os.Getpagesize() {
		sum += data[i]
	}
	runtime.KeepAlive(sum) // a live result, so that the loads stay
	v := unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), rows*dim)
	return v, func() { _ = syscall.Munmap(data) }, nil
}
