package filewriter

import (
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// Builders of the lance.encodings messages the 2.0 writer emits. Buffer
// indices count the page's buffers in the order they are written.

func flatEnc(bits uint64, buf uint32) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: &enc20.Flat{
		BitsPerValue: bits,
		Buffer:       &enc20.Buffer{BufferIndex: buf, BufferType: enc20.Buffer_page},
	}}}
}

func noNullEnc(values *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_NoNulls{NoNulls: &enc20.Nullable_NoNull{Values: values}},
	}}}
}

func someNullEnc(validity, values *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_SomeNulls{SomeNulls: &enc20.Nullable_SomeNull{Validity: validity, Values: values}},
	}}}
}

func allNullEnc() *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_AllNulls{AllNulls: &enc20.Nullable_AllNull{}},
	}}}
}

func fslEnc(dim uint32, items *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_FixedSizeList{FixedSizeList: &enc20.FixedSizeList{
		Dimension: dim,
		Items:     items,
	}}}
}

func binaryEnc(indices, bytes *enc20.ArrayEncoding, nullAdjustment uint64) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Binary{Binary: &enc20.Binary{
		Indices:        indices,
		Bytes:          bytes,
		NullAdjustment: nullAdjustment,
	}}}
}

func dictEnc(indices, items *enc20.ArrayEncoding, numItems uint32) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Dictionary{Dictionary: &enc20.Dictionary{
		Indices:            indices,
		Items:              items,
		NumDictionaryItems: numItems,
	}}}
}

func listEnc(offsets *enc20.ArrayEncoding, nullAdjustment, numItems uint64) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_List{List: &enc20.List{
		Offsets:              offsets,
		NullOffsetAdjustment: nullAdjustment,
		NumItems:             numItems,
	}}}
}

func structEnc() *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Struct{Struct: &enc20.SimpleStruct{}}}
}
