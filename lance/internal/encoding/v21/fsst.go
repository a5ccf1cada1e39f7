package v21

import "github.com/resona-go/resona/lance/internal/encoding/fsst"

// fsstDecompress decodes concatenated compressed strings with the given
// offsets (len n+1, non-decreasing, within data) and returns the
// decompressed bytes and their offsets. Output grows on demand, so a
// hostile table cannot force a large allocation up front; maxOut caps the
// total output size.
func fsstDecompress(t *fsst.Table, data []byte, offsets []uint64, maxOut int) ([]byte, []uint64, error) {
	outOffs := make([]uint64, len(offsets))
	if len(offsets) == 0 {
		return nil, outOffs, nil
	}
	if !t.Compressed() {
		if offsets[len(offsets)-1] > uint64(len(data)) {
			return nil, nil, corruptf("fsst: offsets beyond data")
		}
		copy(outOffs, offsets)
		return data, outOffs, nil
	}
	out := make([]byte, 0, min(len(data)*3, maxOut))
	for i := 1; i < len(offsets); i++ {
		start, end := offsets[i-1], offsets[i]
		if start > end || end > uint64(len(data)) {
			return nil, nil, corruptf("fsst: value %d spans [%d,%d) of %d bytes", i-1, start, end, len(data))
		}
		var err error
		if out, err = t.AppendValue(out, data[start:end]); err != nil {
			return nil, nil, corruptf("value %d: %v", i-1, err)
		}
		if len(out) > maxOut {
			return nil, nil, corruptf("fsst: output exceeds %d bytes", maxOut)
		}
		outOffs[i] = uint64(len(out))
	}
	return out, outOffs, nil
}
