package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readF32 reads the first rows×dim float32 values (little-endian, row-major)
// of a benchgen file.
func readF32(path string, rows, dim int) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	need := int64(rows) * int64(dim) * 4
	if st.Size() < need {
		return nil, fmt.Errorf("%s holds %d bytes, fewer than %d vectors of dim %d", path, st.Size(), rows, dim)
	}
	// Decode in chunks so that the raw bytes never double the resident
	// memory the vectors take.
	out := make([]float32, rows*dim)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < need; {
		n := min(int64(len(buf)), need-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return nil, err
		}
		base := int(off / 4)
		for i := 0; i < int(n/4); i++ {
			out[base+i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		off += n
	}
	return out, nil
}

// queryCount is the number of whole queries in a benchgen queries file.
func queryCount(path string, dim int) (int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return int(st.Size() / int64(4*dim)), nil
}

// resonaSchema is the table TypeScript Resona keeps (DESIGN.md), every
// field nullable as LanceDB infers them.
func resonaSchema(dim int) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "text_hash", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "context_text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "model", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "dimensions", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "metadata", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "created_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "updated_at", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "vector", Type: arrow.FixedSizeListOfField(int32(dim), arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
	}, nil)
}

// rowBatch builds rows start..start+n with the same values bench.mjs writes
// for LanceDB, vectors taken from vecs.
func rowBatch(schema *arrow.Schema, vecs []float32, dim, start, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	ids := b.Field(0).(*array.StringBuilder)
	hashes := b.Field(1).(*array.StringBuilder)
	texts := b.Field(2).(*array.StringBuilder)
	models := b.Field(3).(*array.StringBuilder)
	dims := b.Field(4).(*array.Float64Builder)
	metas := b.Field(5).(*array.StringBuilder)
	created := b.Field(6).(*array.Float64Builder)
	updated := b.Field(7).(*array.Float64Builder)
	vb := b.Field(8).(*array.FixedSizeListBuilder)
	values := vb.ValueBuilder().(*array.Float32Builder)
	for i := start; i < start+n; i++ {
		is := strconv.Itoa(i)
		ids.Append("node_" + is)
		h := "h" + is
		hashes.Append(h + strings.Repeat("0", max(0, 64-len(h))))
		texts.Append("Context text for node " + is + ": a short note about topic " + strconv.Itoa(i%997) + ".")
		models.Append("bge-m3")
		dims.Append(float64(dim))
		metas.Append("")
		ts := 1.7e12 + float64(i)
		created.Append(ts)
		updated.Append(ts)
	}
	for range n {
		vb.Append(true)
	}
	values.AppendValues(vecs[start*dim:(start+n)*dim], nil)
	return b.NewRecordBatch()
}
