package btree

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// rowRef names one row of a set of chunks and the row address it indexes.
type rowRef struct {
	chunk, row int32
	addr       uint64
}

type valueArray[T any] interface {
	arrow.Array
	Value(int) T
}

type appender[T any] interface {
	array.Builder
	Append(T)
}

func gatherTyped[T any, A valueArray[T], B appender[T]](chunks []arrow.Array, refs []rowRef, b B) error {
	typed := make([]A, len(chunks))
	for i, c := range chunks {
		a, ok := c.(A)
		if !ok {
			return fmt.Errorf("%w: chunk of type %s", lanceerr.ErrInvalidArgument, c.DataType())
		}
		typed[i] = a
	}
	b.Reserve(len(refs))
	for _, r := range refs {
		a := typed[r.chunk]
		if a.IsNull(int(r.row)) {
			b.AppendNull()
		} else {
			b.Append(a.Value(int(r.row)))
		}
	}
	return nil
}

// gather builds an array of type dt holding the referenced rows in order.
func gather(mem memory.Allocator, dt arrow.DataType, chunks []arrow.Array, refs []rowRef) (arrow.Array, error) {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	var err error
	switch bb := b.(type) {
	case *array.StringBuilder:
		err = gatherTyped[string, *array.String](chunks, refs, bb)
	case *array.LargeStringBuilder:
		err = gatherTyped[string, *array.LargeString](chunks, refs, bb)
	case *array.BinaryBuilder:
		if dt.ID() == arrow.LARGE_BINARY {
			err = gatherTyped[[]byte, *array.LargeBinary](chunks, refs, bb)
		} else {
			err = gatherTyped[[]byte, *array.Binary](chunks, refs, bb)
		}
	case *array.Int8Builder:
		err = gatherTyped[int8, *array.Int8](chunks, refs, bb)
	case *array.Int16Builder:
		err = gatherTyped[int16, *array.Int16](chunks, refs, bb)
	case *array.Int32Builder:
		err = gatherTyped[int32, *array.Int32](chunks, refs, bb)
	case *array.Int64Builder:
		err = gatherTyped[int64, *array.Int64](chunks, refs, bb)
	case *array.Uint8Builder:
		err = gatherTyped[uint8, *array.Uint8](chunks, refs, bb)
	case *array.Uint16Builder:
		err = gatherTyped[uint16, *array.Uint16](chunks, refs, bb)
	case *array.Uint32Builder:
		err = gatherTyped[uint32, *array.Uint32](chunks, refs, bb)
	case *array.Uint64Builder:
		err = gatherTyped[uint64, *array.Uint64](chunks, refs, bb)
	case *array.Float32Builder:
		err = gatherTyped[float32, *array.Float32](chunks, refs, bb)
	case *array.Float64Builder:
		err = gatherTyped[float64, *array.Float64](chunks, refs, bb)
	case *array.Date32Builder:
		err = gatherTyped[arrow.Date32, *array.Date32](chunks, refs, bb)
	case *array.Date64Builder:
		err = gatherTyped[arrow.Date64, *array.Date64](chunks, refs, bb)
	case *array.TimestampBuilder:
		err = gatherTyped[arrow.Timestamp, *array.Timestamp](chunks, refs, bb)
	default:
		return nil, fmt.Errorf("%w: btree index on a %s column", lanceerr.ErrUnsupported, dt)
	}
	if err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}
