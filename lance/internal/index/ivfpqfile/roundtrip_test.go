package ivfpqfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

func decodeBytes(t testing.TB, idxB, auxB []byte) *vector.Index {
	t.Helper()
	ix, err := decodeRaw(idxB, auxB)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func decodeRaw(idxB, auxB []byte) (*vector.Index, error) {
	ctx := context.Background()
	ir, err := file.Open(ctx, bytes.NewReader(idxB), int64(len(idxB)), IndexFileName)
	if err != nil {
		return nil, err
	}
	ar, err := file.Open(ctx, bytes.NewReader(auxB), int64(len(auxB)), AuxiliaryFileName)
	if err != nil {
		return nil, err
	}
	return Decode(ctx, ir, ar)
}

func sameIndex(t *testing.T, got, want *vector.Index) {
	t.Helper()
	if got.Metric != want.Metric || got.Dim != want.Dim || !slices.Equal(got.Centroids, want.Centroids) ||
		len(got.Partitions) != len(want.Partitions) || got.Loss != want.Loss {
		t.Fatalf("header differs: got %v/%d/%d partitions, want %v/%d/%d", got.Metric, got.Dim, len(got.Partitions), want.Metric, want.Dim, len(want.Partitions))
	}
	if got.Codebook.M != want.Codebook.M || got.Codebook.NBits != want.Codebook.NBits || !slices.Equal(got.Codebook.Centroids, want.Codebook.Centroids) {
		t.Fatal("codebook differs")
	}
	for p := range got.Partitions {
		if !slices.Equal(got.Partitions[p].RowIDs, want.Partitions[p].RowIDs) || !bytes.Equal(got.Partitions[p].Codes, want.Partitions[p].Codes) {
			t.Fatalf("partition %d differs", p)
		}
	}
}

// testIndex builds a small index over clustered random vectors.
func testIndex(t testing.TB, metric linalg.Metric, n, dim int) (*vector.Index, []float32) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	vecs := make([]float32, n*dim)
	for i := range n {
		c := float32(i % 5)
		for d := range dim {
			vecs[i*dim+d] = c + r.Float32()*0.5
		}
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i/100)<<32 | uint64(i%100)
	}
	ix, _, err := vector.Build(context.Background(), vector.SliceSource(vecs, dim, ids, 0),
		vector.BuildOptions{Metric: metric, Partitions: 4, SubVectors: 4, Seed: 7, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ix, vecs
}

func TestRoundTrip(t *testing.T) {
	for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot} {
		for _, v := range []filewriter.Version{filewriter.Version2_0, filewriter.Version2_1, filewriter.Version2_2} {
			ix, _ := testIndex(t, m, 600, 16)
			idxB, auxB, err := Encode(context.Background(), ix, Options{Version: v})
			if err != nil {
				t.Fatal(err)
			}
			sameIndex(t, decodeBytes(t, idxB, auxB), ix)
		}
	}
}

// TestDecodeRejects damages metadata one key at a time and expects
// ErrCorrupt (or ErrUnsupported) naming the file, never a panic.
func TestDecodeRejects(t *testing.T) {
	ix, _ := testIndex(t, linalg.MetricL2, 300, 8)
	cases := []struct {
		name string
		edit func(ix *vector.Index) (idx, aux map[string][]byte)
		want error
	}{
		{"bad header", func(*vector.Index) (map[string][]byte, map[string][]byte) {
			return map[string][]byte{keyIndex: []byte("{")}, nil
		}, lanceerr.ErrCorrupt},
		{"other type", func(*vector.Index) (map[string][]byte, map[string][]byte) {
			return map[string][]byte{keyIndex: []byte(`{"type":"IVF_HNSW_SQ","distance_type":"l2"}`)}, nil
		}, lanceerr.ErrUnsupported},
		{"ivf buffer out of range", func(*vector.Index) (map[string][]byte, map[string][]byte) {
			return map[string][]byte{keyIVF: []byte("9")}, nil
		}, lanceerr.ErrCorrupt},
		{"ivf buffer zero", func(*vector.Index) (map[string][]byte, map[string][]byte) {
			return nil, map[string][]byte{keyIVF: []byte("0")}
		}, lanceerr.ErrCorrupt},
		{"storage meta", func(*vector.Index) (map[string][]byte, map[string][]byte) {
			return nil, map[string][]byte{keyStorageMeta: []byte(`["{\"nbits\":8,\"num_sub_vectors\":3,\"dimension\":8,\"transposed\":true,\"codebook_position\":2}"]`)}
		}, lanceerr.ErrCorrupt},
		{"codebook points at layout", func(*vector.Index) (map[string][]byte, map[string][]byte) {
			return nil, map[string][]byte{keyStorageMeta: []byte(`["{\"nbits\":8,\"num_sub_vectors\":2,\"dimension\":8,\"transposed\":true,\"codebook_position\":1}"]`)}
		}, nil},
		{"metric mismatch", func(*vector.Index) (map[string][]byte, map[string][]byte) {
			return nil, map[string][]byte{keyDistanceType: []byte("dot")}
		}, lanceerr.ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im, am := c.edit(ix)
			idxB, err := encodeIndexFile(context.Background(), ix, Options{}, im)
			if err != nil {
				t.Fatal(err)
			}
			auxB, err := encodeAuxFile(context.Background(), ix, Options{}, am)
			if err != nil {
				t.Fatal(err)
			}
			_, err = decodeRaw(idxB, auxB)
			if c.want == nil && (errors.Is(err, lanceerr.ErrCorrupt) || errors.Is(err, lanceerr.ErrUnsupported)) {
				return
			}
			if c.want == nil || !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), ".idx") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

// lance019StorageMeta renders "storage_metadata" as lance 0.19 (LanceDB
// 0.13) writes it when optimize() rebuilds a v3 index: codebook_position 0,
// the codebook only inline and nbits only under "num_bits".
func lance019StorageMeta(t *testing.T, ix *vector.Index, tensor string) []byte {
	t.Helper()
	if tensor == "" {
		b, err := proto.Marshal(newTensor([]int{ix.Codebook.NumCentroids(), ix.Dim}, ix.Codebook.Centroids))
		if err != nil {
			t.Fatal(err)
		}
		tensor = string(byteList(b))
	}
	inner := fmt.Sprintf(`{"codebook_position":0,"codebook_tensor":%s,"dimension":%d,"num_bits":8,"num_sub_vectors":%d,"transposed":true}`,
		tensor, ix.Dim, ix.Codebook.M)
	out, err := json.Marshal([]string{inner})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDecodeLance019Storage reads the storage metadata layout of lance 0.19
// and expects the same model as from the layout written here; a missing or
// out-of-range inline codebook is ErrCorrupt.
func TestDecodeLance019Storage(t *testing.T) {
	ix, _ := testIndex(t, linalg.MetricL2, 400, 8)
	idxB, err := encodeIndexFile(context.Background(), ix, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, tensor string
		ok           bool
	}{{"inline codebook", "", true}, {"empty", "[]", false}, {"not bytes", "[1,300]", false}, {"not a list", `"AAAA"`, false}} {
		t.Run(c.name, func(t *testing.T) {
			auxB, err := encodeAuxFile(context.Background(), ix, Options{}, map[string][]byte{keyStorageMeta: lance019StorageMeta(t, ix, c.tensor)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeRaw(idxB, auxB)
			if !c.ok {
				if !errors.Is(err, lanceerr.ErrCorrupt) || !strings.Contains(err.Error(), AuxiliaryFileName) {
					t.Fatalf("got %v, want ErrCorrupt naming %s", err, AuxiliaryFileName)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameIndex(t, got, ix)
		})
	}
}

// Format 2.0 index files store the PQ codes plainly, so loading reads them
// in one pass into the index's buffer (TestRoundTrip checks the values).
func TestPlainCodesIn20Files(t *testing.T) {
	ctx := context.Background()
	ix, ar := auxOf20(t)
	codes, ok, err := plainCodes(ctx, ar, 1, ix.Codebook.M, 0, ar.NumRows())
	if err != nil || !ok || len(codes) != int(ar.NumRows())*ix.Codebook.M {
		t.Fatalf("plain codes: %d bytes, ok %v, %v", len(codes), ok, err)
	}
}

// The inline codebook of 2.0 files is cut out of storage_metadata before
// decoding; what remains decodes to the same parameters, and the cut value
// is the codebook lance 0.19 reads.
func TestStorageMetaInlineTensorCut(t *testing.T) {
	_, ar := auxOf20(t)
	raw := ar.Schema().GetMetadata()[keyStorageMeta]
	rest, tensor := cutInlineTensor(raw)
	if tensor == nil || len(rest) >= len(raw)/10 {
		t.Fatalf("inline tensor not cut: %d of %d bytes left", len(rest), len(raw))
	}
	fast, err := parseStorageMeta("aux", raw)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	var slow pqMeta
	if err := json.Unmarshal([]byte(list[0]), &slow); err != nil {
		t.Fatal(err)
	}
	if slow.NBits == 0 {
		slow.NBits = slow.NumBits
	}
	if fmt.Sprint(fast.CodebookPosition, fast.NBits, fast.NumSubVectors, fast.Dimension, fast.Transposed) !=
		fmt.Sprint(slow.CodebookPosition, slow.NBits, slow.NumSubVectors, slow.Dimension, slow.Transposed) {
		t.Fatalf("parameters differ: %+v, want %+v", fast, slow)
	}
	a, err := inlineTensor("aux", fast.CodebookTensor)
	if err != nil {
		t.Fatal(err)
	}
	b, err := inlineTensor("aux", slow.CodebookTensor)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("inline codebooks differ (%v)", err)
	}
	for _, in := range []string{`["x"]`, `["{\"codebook_tensor\":[1,\"a\"]}"]`, `["{\"codebook_tensor\":[1,2]}{\"codebook_tensor\":[3]}"]`} {
		if rest, tensor := cutInlineTensor([]byte(in)); tensor != nil || string(rest) != in {
			t.Errorf("%s: cut to %s and %s", in, rest, tensor)
		}
	}
}

// auxOf20 encodes a small index in format 2.0 and opens its auxiliary file.
func auxOf20(t *testing.T) (*vector.Index, *file.Reader) {
	t.Helper()
	ctx := context.Background()
	ix, _ := testIndex(t, linalg.MetricL2, 600, 16)
	_, auxB, err := Encode(ctx, ix, Options{Version: filewriter.Version2_0})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := file.Open(ctx, bytes.NewReader(auxB), int64(len(auxB)), AuxiliaryFileName)
	if err != nil {
		t.Fatal(err)
	}
	return ix, ar
}
