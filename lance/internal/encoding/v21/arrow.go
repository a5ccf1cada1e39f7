package v21

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// pathData builds the Arrow data of path[k:] from unravelled nodes and the
// leaf values. Struct nodes get a single child (the one on the path); the
// caller merges the leaves of a struct.
func pathData(path []arrow.Field, nodes []levelNode, vals block, k int) (arrow.ArrayData, error) {
	n := &nodes[k]
	validity, nulls := validityBuffer(&n.valid)
	if k == len(path)-1 {
		return leafData(path[k].Type, vals, n.slots, validity, nulls)
	}
	child, err := pathData(path, nodes, vals, k+1)
	if err != nil {
		return nil, err
	}
	defer child.Release()
	switch t := path[k].Type.(type) {
	case *arrow.StructType:
		st := arrow.StructOf(path[k+1])
		return newData(st, n.slots, []*memory.Buffer{validity}, []arrow.ArrayData{child}, nulls), nil
	case *arrow.ListType, *arrow.LargeListType, *arrow.MapType:
		var offs *memory.Buffer
		if _, large := t.(*arrow.LargeListType); large {
			offs = memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(n.offsets))
		} else {
			o32 := make([]int32, len(n.offsets))
			for i, o := range n.offsets {
				if o > math.MaxInt32 {
					return nil, unsupportedf("list of more than 2^31 items; use large_list")
				}
				o32[i] = int32(o)
			}
			offs = memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(o32))
		}
		var lt arrow.DataType
		switch t.(type) {
		case *arrow.LargeListType:
			lt = arrow.LargeListOfField(path[k+1])
		case *arrow.MapType:
			lt = t
		default:
			lt = arrow.ListOfField(path[k+1])
		}
		return newData(lt, n.slots, []*memory.Buffer{validity, offs}, []arrow.ArrayData{child}, nulls), nil
	}
	return nil, unsupportedf("nested type %s", path[k].Type)
}

func newData(t arrow.DataType, n int, bufs []*memory.Buffer, children []arrow.ArrayData, nulls int) arrow.ArrayData {
	return array.NewData(t, n, bufs, children, nulls, 0)
}

func validityBuffer(b *bitmapBuilder) (*memory.Buffer, int) {
	if b.bits == nil || b.nulls == 0 {
		return nil, 0
	}
	return memory.NewBufferBytes(b.bits), b.nulls
}

// leafData converts decoded values into Arrow data of type t with n slots.
func leafData(t arrow.DataType, vals block, n int, validity *memory.Buffer, nulls int) (arrow.ArrayData, error) {
	if vals.n != n {
		return nil, corruptf("%d values for %d slots", vals.n, n)
	}
	switch tt := t.(type) {
	case *arrow.BooleanType:
		if vals.zero {
			return newData(t, n, []*memory.Buffer{validity, zeroBuf((n + 7) / 8)}, nil, nulls), nil
		}
		if vals.variable() {
			return nil, corruptf("variable-width data for %s", t)
		}
		data := vals.data
		switch vals.bitsPer * vals.dim {
		case 1:
		case 8:
			data = make([]byte, (n+7)/8)
			for i := 0; i < n; i++ {
				if vals.data[i] != 0 {
					data[i>>3] |= 1 << uint(i&7)
				}
			}
		default:
			return nil, corruptf("%d-bit values for bool", vals.bitsPer)
		}
		return newData(t, n, []*memory.Buffer{validity, memory.NewBufferBytes(data)}, nil, nulls), nil
	case *arrow.StringType, *arrow.BinaryType, *arrow.LargeStringType, *arrow.LargeBinaryType:
		large := false
		switch t.(type) {
		case *arrow.LargeStringType, *arrow.LargeBinaryType:
			large = true
		}
		if vals.zero {
			w := 4
			if large {
				w = 8
			}
			return newData(t, n, []*memory.Buffer{validity, zeroBuf((n + 1) * w), zeroBuf(0)}, nil, nulls), nil
		}
		if !vals.variable() {
			return nil, corruptf("fixed-width data for %s", t)
		}
		var offs *memory.Buffer
		if large {
			o := make([]int64, len(vals.offs))
			for i, v := range vals.offs {
				o[i] = int64(v)
			}
			offs = memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(o))
		} else {
			if len(vals.data) > math.MaxInt32 {
				return nil, unsupportedf("%s page of %d bytes", t, len(vals.data))
			}
			o := make([]int32, len(vals.offs))
			for i, v := range vals.offs {
				o[i] = int32(v)
			}
			offs = memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(o))
		}
		return newData(t, n, []*memory.Buffer{validity, offs, memory.NewBufferBytes(vals.data)}, nil, nulls), nil
	case *arrow.FixedSizeListType:
		dim := int(tt.Len())
		itemBits, ok := fixedBits(tt.Elem())
		if !ok {
			return nil, unsupportedf("fixed-size list of %s", tt.Elem())
		}
		var child arrow.ArrayData
		items := n * dim
		if vals.zero {
			child = newData(tt.Elem(), items, []*memory.Buffer{nil, zeroBuf((items*itemBits + 7) / 8)}, nil, 0)
		} else {
			if vals.variable() || vals.bitsPer*vals.dim != dim*itemBits || len(vals.data)*8 < items*itemBits {
				return nil, corruptf("%d-bit values (%d bytes) for %d x %s", vals.bitsPer*vals.dim, len(vals.data), n, t)
			}
			var cv *memory.Buffer
			cnulls := 0
			if vals.valid != nil {
				cnulls = items - countOnes(vals.valid, items)
				if cnulls > 0 {
					cv = memory.NewBufferBytes(vals.valid)
				}
			}
			child = newData(tt.Elem(), items, []*memory.Buffer{cv, memory.NewBufferBytes(vals.data[:(items*itemBits+7)/8])}, nil, cnulls)
		}
		defer child.Release()
		return newData(t, n, []*memory.Buffer{validity}, []arrow.ArrayData{child}, nulls), nil
	}
	bitsPer, ok := fixedBits(t)
	if !ok {
		return nil, unsupportedf("leaf type %s", t)
	}
	need := (n*bitsPer + 7) / 8
	if vals.zero {
		return newData(t, n, []*memory.Buffer{validity, zeroBuf(need)}, nil, nulls), nil
	}
	if vals.variable() || vals.bitsPer*vals.dim != bitsPer || len(vals.data) < need {
		return nil, corruptf("%d-bit values (%d bytes) for %d x %s", vals.bitsPer*vals.dim, len(vals.data), n, t)
	}
	return newData(t, n, []*memory.Buffer{validity, memory.NewBufferBytes(vals.data[:need])}, nil, nulls), nil
}

func fixedBits(t arrow.DataType) (int, bool) {
	if fw, ok := t.(arrow.FixedWidthDataType); ok {
		if _, isBool := t.(*arrow.BooleanType); isBool {
			return 1, true
		}
		return fw.BitWidth(), fw.BitWidth() > 0
	}
	return 0, false
}

func zeroBuf(n int) *memory.Buffer { return memory.NewBufferBytes(make([]byte, n)) }

func countOnes(bm []byte, n int) int {
	c := 0
	for i := 0; i < n; i++ {
		if bm[i>>3]&(1<<uint(i&7)) != 0 {
			c++
		}
	}
	return c
}
