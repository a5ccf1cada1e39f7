package resona

import (
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column names of the Resona table.
const (
	colID          = "id"
	colTextHash    = "text_hash"
	colContextText = "context_text"
	colModel       = "model"
	colDimensions  = "dimensions"
	colMetadata    = "metadata"
	colCreatedAt   = "created_at"
	colUpdatedAt   = "updated_at"
	colVector      = "vector"
)

// Schema returns the Arrow schema of a Resona table with dim-dimensional
// vectors: the types LanceDB infers from TypeScript Resona's records (every
// field nullable, numbers as float64, the vector a fixed-size list of
// nullable float32 "item"), so tables written by either side match.
func Schema(dim int) *arrow.Schema {
	utf8 := arrow.BinaryTypes.String
	f64 := arrow.PrimitiveTypes.Float64
	return arrow.NewSchema([]arrow.Field{
		{Name: colID, Type: utf8, Nullable: true},
		{Name: colTextHash, Type: utf8, Nullable: true},
		{Name: colContextText, Type: utf8, Nullable: true},
		{Name: colModel, Type: utf8, Nullable: true},
		{Name: colDimensions, Type: f64, Nullable: true},
		{Name: colMetadata, Type: utf8, Nullable: true},
		{Name: colCreatedAt, Type: f64, Nullable: true},
		{Name: colUpdatedAt, Type: f64, Nullable: true},
		{Name: colVector, Type: arrow.FixedSizeListOfField(int32(dim),
			arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
	}, nil)
}

// row is one stored embedding before it is written.
type row struct {
	id, textHash, contextText, model, metadata string
	dimensions                                 float64
	createdAt, updatedAt                       float64
	vector                                     []float32
}

// buildRecord turns rows into one record batch of Schema(dim).
func buildRecord(dim int, rows []row) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, Schema(dim))
	defer b.Release()
	b.Reserve(len(rows))
	id := b.Field(0).(*array.StringBuilder)
	hash := b.Field(1).(*array.StringBuilder)
	ctxText := b.Field(2).(*array.StringBuilder)
	model := b.Field(3).(*array.StringBuilder)
	dims := b.Field(4).(*array.Float64Builder)
	meta := b.Field(5).(*array.StringBuilder)
	created := b.Field(6).(*array.Float64Builder)
	updated := b.Field(7).(*array.Float64Builder)
	vec := b.Field(8).(*array.FixedSizeListBuilder)
	vals := vec.ValueBuilder().(*array.Float32Builder)
	vals.Reserve(len(rows) * dim)
	for _, r := range rows {
		id.Append(r.id)
		hash.Append(r.textHash)
		ctxText.Append(r.contextText)
		model.Append(r.model)
		dims.Append(r.dimensions)
		meta.Append(r.metadata)
		created.Append(r.createdAt)
		updated.Append(r.updatedAt)
		vec.Append(true)
		vals.AppendValues(r.vector, nil)
	}
	return b.NewRecordBatch()
}

// encodeMetadata stores metadata as TypeScript Resona does: JSON, or ""
// when there is none.
func encodeMetadata(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("%w: metadata is not JSON-encodable: %v", ErrInvalidItem, err)
	}
	return string(b), nil
}

// decodeMetadata reads a metadata cell; "" and null mean none. Cells that
// are not a JSON object (written by other tools) are returned under the
// key "raw" rather than failing the whole read.
func decodeMetadata(s string) map[string]any {
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return map[string]any{"raw": s}
	}
	return m
}

// columns gives typed access to the columns of a scanned batch by name;
// columns missing from the batch read as null.
type columns struct {
	rec arrow.RecordBatch
}

func (c columns) col(name string) arrow.Array {
	idx := c.rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return c.rec.Column(idx[0])
}

// str returns the string at row i of a utf8 or large-utf8 column ("" for
// null or missing).
func (c columns) str(name string, i int) string {
	switch a := c.col(name).(type) {
	case *array.String:
		if a.IsValid(i) {
			return a.Value(i)
		}
	case *array.LargeString:
		if a.IsValid(i) {
			return a.Value(i)
		}
	}
	return ""
}

// f64 returns the number at row i (0 for null or missing).
func (c columns) f64(name string, i int) float64 {
	switch a := c.col(name).(type) {
	case *array.Float64:
		if a.IsValid(i) {
			return a.Value(i)
		}
	case *array.Float32:
		if a.IsValid(i) {
			return float64(a.Value(i))
		}
	case *array.Int64:
		if a.IsValid(i) {
			return float64(a.Value(i))
		}
	}
	return 0
}

// vector returns a copy of the vector at row i (nil for null or missing).
func (c columns) vector(name string, i int) []float32 {
	a, ok := c.col(name).(*array.FixedSizeList)
	if !ok || !a.IsValid(i) {
		return nil
	}
	vals, ok := a.ListValues().(*array.Float32)
	if !ok {
		return nil
	}
	dim := int(a.DataType().(*arrow.FixedSizeListType).Len())
	start := (a.Offset() + i) * dim
	out := make([]float32, dim)
	copy(out, vals.Float32Values()[start:start+dim])
	return out
}
