package lance

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// takeRows returns a new array holding rows idx of a, in that order
// (repeats allowed). Runs of consecutive indices are copied as slices, so
// selecting the live rows of a batch with few deletions costs a few
// copies.
func takeRows(a arrow.Array, idx []int) (arrow.Array, error) {
	if len(idx) == a.Len() && isIdentity(idx) {
		a.Retain()
		return a, nil
	}
	if len(idx) == 0 {
		return array.MakeArrayOfNull(memory.DefaultAllocator, a.DataType(), 0), nil
	}
	var parts []arrow.Array
	defer func() { releaseAll(parts) }()
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && idx[j] == idx[j-1]+1 {
			j++
		}
		lo, hi := idx[i], idx[j-1]+1
		if lo < 0 || hi > a.Len() {
			return nil, fmt.Errorf("%w: row %d of a %d-row array", ErrInvalidArgument, lo, a.Len())
		}
		parts = append(parts, array.NewSlice(a, int64(lo), int64(hi)))
		i = j
	}
	if len(parts) == 1 {
		p := parts[0]
		parts = nil
		return p, nil
	}
	out, err := array.Concatenate(parts, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("selecting rows of %s: %w", a.DataType(), err)
	}
	return out, nil
}

func isIdentity(idx []int) bool {
	for i, v := range idx {
		if v != i {
			return false
		}
	}
	return true
}
