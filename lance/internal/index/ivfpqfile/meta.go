package ivfpqfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	json "github.com/goccy/go-json"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
)

// File names and metadata keys of a segment.
const (
	IndexFileName     = "index.idx"
	AuxiliaryFileName = "auxiliary.idx"

	keyIndex         = "lance:index"
	keyIVF           = "lance:ivf"
	keyFlat          = "lance:flat"
	keyDistanceType  = "distance_type"
	keyStorageMeta   = "storage_metadata"
	flatMarkerColumn = "__flat_marker"
	rowIDColumn      = "_rowid"
	codeColumn       = "__pq_code"
	indexTypeIVFPQ   = "IVF_PQ"
)

// Limits that keep a corrupt header from asking for absurd allocations.
const (
	maxPartitions = 1 << 24
	maxDim        = 1 << 16
)

// indexHeader is the JSON of "lance:index".
type indexHeader struct {
	Type         string `json:"type"`
	DistanceType string `json:"distance_type"`
}

// pqMeta is the JSON string inside "storage_metadata".
type pqMeta struct {
	CodebookPosition int  `json:"codebook_position"`
	NBits            int  `json:"nbits"`
	NumSubVectors    int  `json:"num_sub_vectors"`
	Dimension        int  `json:"dimension"`
	Transposed       bool `json:"transposed"`
	// NumBits is the name lance 0.19 (LanceDB 0.13) reads nbits under.
	NumBits int `json:"num_bits,omitempty"`
	// CodebookTensor is, for lance 0.19, the codebook Tensor message inline
	// (a JSON array of byte values); newer readers use the global buffer
	// at CodebookPosition and write an empty list.
	CodebookTensor json.RawMessage `json:"codebook_tensor"`
}

// unmarshalJSON decodes index metadata. The storage metadata of an index
// LanceDB 0.13 can read holds the codebook inline as megabytes of JSON,
// which go-json decodes several times faster than encoding/json; the
// input comes from a file, so a decoder panic is turned into an error.
func unmarshalJSON(raw []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed JSON: %v", r)
		}
	}()
	return json.Unmarshal(raw, v)
}

// corrupt wraps ErrCorrupt with the file name.
func corrupt(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{lanceerr.ErrCorrupt, path}, args...)...)
}

// parseIndexHeader reads "lance:index" and returns the metric.
func parseIndexHeader(path string, raw []byte) (linalg.Metric, error) {
	var h indexHeader
	if err := unmarshalJSON(raw, &h); err != nil {
		return 0, corrupt(path, "%s: %v", keyIndex, err)
	}
	if h.Type != indexTypeIVFPQ {
		return 0, fmt.Errorf("%w: %s: index type %q (only IVF_PQ is read)", lanceerr.ErrUnsupported, path, h.Type)
	}
	m, err := linalg.ParseMetric(h.DistanceType)
	if err != nil {
		return 0, corrupt(path, "%s: %v", keyIndex, err)
	}
	return m, nil
}

// parseBufferIndex reads a global buffer position written as a decimal
// string; position 0 is the file descriptor and never holds a message.
func parseBufferIndex(path, key string, raw []byte, buffers int) (int, error) {
	i, err := strconv.Atoi(string(raw))
	if err != nil || i < 1 || i > buffers {
		return 0, corrupt(path, "%s = %q: not a global buffer of the file (it has %d)", key, raw, buffers)
	}
	return i, nil
}

// parseStorageMeta reads "storage_metadata" and checks its parameters.
func parseStorageMeta(path string, raw []byte) (pqMeta, error) {
	// The inline codebook (megabytes of numbers in files LanceDB 0.13 can
	// read) is cut out before decoding and kept as it is, for inlineTensor
	// to decode if codebook_position says it is needed.
	rest, tensor := cutInlineTensor(raw)
	var list []string
	if err := unmarshalJSON(rest, &list); err != nil {
		return pqMeta{}, corrupt(path, "%s: %v", keyStorageMeta, err)
	}
	if len(list) != 1 {
		return pqMeta{}, corrupt(path, "%s holds %d entries, want 1", keyStorageMeta, len(list))
	}
	var m pqMeta
	if err := unmarshalJSON([]byte(list[0]), &m); err != nil {
		return pqMeta{}, corrupt(path, "%s: %v", keyStorageMeta, err)
	}
	if tensor != nil {
		m.CodebookTensor = tensor
	}
	if m.NBits == 0 {
		// lance 0.19 (LanceDB 0.13) writes only its own name for it.
		m.NBits = m.NumBits
	}
	switch {
	case m.NBits == 4:
		return pqMeta{}, fmt.Errorf("%w: %s: 4-bit PQ codes", lanceerr.ErrUnsupported, path)
	case m.NBits != 8:
		return pqMeta{}, corrupt(path, "nbits %d", m.NBits)
	case m.Dimension <= 0 || m.Dimension > maxDim:
		return pqMeta{}, corrupt(path, "dimension %d", m.Dimension)
	case m.NumSubVectors <= 0 || m.Dimension%m.NumSubVectors != 0:
		return pqMeta{}, corrupt(path, "%d sub-vectors for dimension %d", m.NumSubVectors, m.Dimension)
	case !m.Transposed:
		return pqMeta{}, fmt.Errorf("%w: %s: PQ codes not transposed", lanceerr.ErrUnsupported, path)
	}
	return m, nil
}

// inlineTensorKey starts the inline codebook as it stands in the escaped
// JSON string of storage_metadata.
const inlineTensorKey = `\"codebook_tensor\":[`

// cutInlineTensor returns raw with the value of the one "codebook_tensor"
// key replaced by an empty list, and that value (a JSON list of numbers);
// raw itself and a nil value when the key is not there exactly once or its
// value is not a plain list of numbers.
func cutInlineTensor(raw []byte) (rest, tensor []byte) {
	key := []byte(inlineTensorKey)
	i := bytes.Index(raw, key)
	if i < 0 || bytes.Contains(raw[i+1:], key) {
		return raw, nil
	}
	start := i + len(inlineTensorKey) - 1 // the '['
	n := bytes.IndexByte(raw[start:], ']')
	if n < 0 {
		return raw, nil
	}
	value := raw[start : start+n+1]
	for _, c := range value[1 : len(value)-1] {
		if (c < '0' || c > '9') && c != ',' && c != ' ' {
			return raw, nil
		}
	}
	rest = make([]byte, 0, len(raw)-len(value)+2)
	rest = append(append(append(rest, raw[:start]...), "[]"...), raw[start+n+1:]...)
	return rest, value
}

// inlineTensor decodes the codebook Tensor lance 0.19 writes inline in
// "codebook_tensor", a JSON array of byte values.
func inlineTensor(path string, raw json.RawMessage) ([]byte, error) {
	var vals []uint16
	if err := unmarshalJSON(raw, &vals); err != nil {
		return nil, corrupt(path, "codebook_tensor: %v", err)
	}
	if len(vals) == 0 {
		return nil, corrupt(path, "codebook_position 0 and no inline codebook_tensor")
	}
	b := make([]byte, len(vals))
	for i, v := range vals {
		if v > math.MaxUint8 {
			return nil, corrupt(path, "codebook_tensor byte %d is %d", i, v)
		}
		b[i] = byte(v)
	}
	return b, nil
}

// float32Tensor decodes a FLOAT32 tensor of the given rank and returns its
// shape and values, checking that the data holds exactly the shape.
func float32Tensor(path, what string, raw []byte, rank int) ([]int, []float32, error) {
	var t indexpb.Tensor
	if err := proto.Unmarshal(raw, &t); err != nil {
		return nil, nil, corrupt(path, "%s tensor: %v", what, err)
	}
	return tensorValues(path, what, &t, rank)
}

func tensorValues(path, what string, t *indexpb.Tensor, rank int) ([]int, []float32, error) {
	if t.GetDataType() != indexpb.Tensor_FLOAT32 {
		return nil, nil, fmt.Errorf("%w: %s: %s tensor of type %v (only float32 is read)", lanceerr.ErrUnsupported, path, what, t.GetDataType())
	}
	if len(t.GetShape()) != rank {
		return nil, nil, corrupt(path, "%s tensor shape %v, want rank %d", what, t.GetShape(), rank)
	}
	shape := make([]int, rank)
	n := uint64(1)
	for i, s := range t.GetShape() {
		if s == 0 || s > math.MaxInt32 {
			return nil, nil, corrupt(path, "%s tensor shape %v", what, t.GetShape())
		}
		n *= uint64(s)
		if n > math.MaxInt32 {
			return nil, nil, corrupt(path, "%s tensor shape %v is too large", what, t.GetShape())
		}
		shape[i] = int(s)
	}
	data := t.GetData()
	if uint64(len(data)) != 4*n {
		return nil, nil, corrupt(path, "%s tensor of shape %v has %d data bytes, want %d", what, t.GetShape(), len(data), 4*n)
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return shape, vals, nil
}

// newTensor encodes values as a FLOAT32 tensor of the given shape.
func newTensor(shape []int, vals []float32) *indexpb.Tensor {
	s := make([]uint32, len(shape))
	for i, v := range shape {
		s[i] = uint32(v)
	}
	data := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return &indexpb.Tensor{DataType: indexpb.Tensor_FLOAT32, Shape: s, Data: data}
}
