package ivfpqfile

import (
	"context"
	"testing"

	"github.com/resona-go/resona/lance/internal/index/pq"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// FuzzDecode decodes arbitrary index.idx and auxiliary.idx bytes: errors
// are expected, panics and hangs are not.
func FuzzDecode(f *testing.F) {
	idxB, auxB, err := Encode(context.Background(), tinyIndex(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(idxB, auxB)
	f.Fuzz(func(t *testing.T, idxB, auxB []byte) {
		ix, err := decodeRaw(idxB, auxB)
		if err == nil {
			if verr := ix.Validate(); verr != nil {
				t.Fatalf("decoded an invalid index: %v", verr)
			}
		}
	})
}

// FuzzMetadata feeds arbitrary metadata values and tensor bytes to the
// parsers.
func FuzzMetadata(f *testing.F) {
	f.Add([]byte(`{"type":"IVF_PQ","distance_type":"l2"}`),
		[]byte(`["{\"codebook_position\":2,\"nbits\":8,\"num_sub_vectors\":2,\"dimension\":8,\"codebook_tensor\":[],\"transposed\":true}"]`),
		[]byte{8, 2, 18, 2, 1, 2, 26, 8, 0, 0, 128, 63, 0, 0, 0, 64})
	f.Fuzz(func(t *testing.T, head, storage, tensor []byte) {
		_, _ = parseIndexHeader("index.idx", head)
		if m, err := parseStorageMeta("auxiliary.idx", storage); err == nil {
			if m.Dimension%m.NumSubVectors != 0 {
				t.Fatalf("accepted %+v", m)
			}
		}
		if shape, vals, err := float32Tensor("index.idx", "t", tensor, 2); err == nil && len(vals) != shape[0]*shape[1] {
			t.Fatalf("shape %v with %d values", shape, len(vals))
		}
	})
}

// tinyIndex is a valid model small enough for the fuzzer to mutate: two
// partitions of two-dimensional vectors, one sub-vector, three rows.
func tinyIndex() *vector.Index {
	cb := &pq.Codebook{Dim: 2, M: 1, NBits: 8, Centroids: make([]float32, 256*2)}
	for i := range cb.Centroids {
		cb.Centroids[i] = float32(i)
	}
	return &vector.Index{Metric: linalg.MetricL2, Dim: 2, Centroids: []float32{0, 0, 1, 1}, Codebook: cb,
		Partitions: []vector.Partition{{RowIDs: []uint64{1, 2}, Codes: []byte{3, 4}}, {RowIDs: []uint64{5}, Codes: []byte{6}}}}
}
