package lance

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// conformRecord returns rec with the table schema want: columns are matched
// by name and put in the table's order, and types that differ only in
// nested field names or nullability are relabelled. Like LanceDB, it does not
// compare nullability, but it refuses nulls in a non-nullable column.
// A fixed-size list of another length is ErrDimensionMismatch; any other
// difference is ErrInvalidArgument. rec itself is returned when it already
// has the table schema.
func conformRecord(want *arrow.Schema, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	got := rec.Schema()
	if got.NumFields() != want.NumFields() {
		return nil, fmt.Errorf("%w: %s", ErrInvalidArgument, columnsDiff(want, got))
	}
	same := true
	cols := make([]arrow.Array, want.NumFields())
	for i, wf := range want.Fields() {
		idx := got.FieldIndices(wf.Name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("%w: %s", ErrInvalidArgument, columnsDiff(want, got))
		}
		j := idx[0]
		col := rec.Column(j)
		if err := typesCompatible(wf.Name, wf.Type, col.DataType()); err != nil {
			return nil, err
		}
		if !wf.Nullable && col.NullN() > 0 {
			return nil, fmt.Errorf("%w: column %q is not nullable but has %d null values", ErrInvalidArgument, wf.Name, col.NullN())
		}
		if j != i || !arrow.TypeEqual(wf.Type, col.DataType()) || got.Field(j).Nullable != wf.Nullable {
			same = false
		}
		cols[i] = col
	}
	if same && got.Metadata().Equal(want.Metadata()) {
		return rec, nil
	}
	out := make([]arrow.Array, len(cols))
	for i, c := range cols {
		out[i] = retype(c, want.Field(i).Type)
	}
	r := array.NewRecordBatch(want, out, rec.NumRows())
	for _, c := range out {
		c.Release()
	}
	return r, nil
}

// retype returns a new reference to a with type t, which typesCompatible
// accepted: the buffers are shared.
func retype(a arrow.Array, t arrow.DataType) arrow.Array {
	if arrow.TypeEqual(a.DataType(), t) {
		a.Retain()
		return a
	}
	d := retypeData(a.Data(), t)
	defer d.Release()
	return array.MakeFromData(d)
}

func retypeData(d arrow.ArrayData, t arrow.DataType) arrow.ArrayData {
	children := d.Children()
	var childTypes []arrow.DataType
	switch tt := t.(type) {
	case *arrow.FixedSizeListType:
		childTypes = []arrow.DataType{tt.Elem()}
	case *arrow.ListType:
		childTypes = []arrow.DataType{tt.Elem()}
	case *arrow.LargeListType:
		childTypes = []arrow.DataType{tt.Elem()}
	case *arrow.StructType:
		for _, f := range tt.Fields() {
			childTypes = append(childTypes, f.Type)
		}
	}
	newChildren := make([]arrow.ArrayData, len(children))
	for i, c := range children {
		if i < len(childTypes) {
			newChildren[i] = retypeData(c, childTypes[i])
		} else {
			c.Retain()
			newChildren[i] = c
		}
	}
	out := array.NewData(t, d.Len(), d.Buffers(), newChildren, d.NullN(), d.Offset())
	for _, c := range newChildren {
		c.Release()
	}
	return out
}

// typesCompatible checks that got can be stored as want: equal types up to
// nested field names and nullability.
func typesCompatible(name string, want, got arrow.DataType) error {
	if arrow.TypeEqual(want, got) {
		return nil
	}
	mismatch := func() error {
		return fmt.Errorf("%w: column %q has type %s, the table has %s", ErrInvalidArgument, name, got, want)
	}
	switch w := want.(type) {
	case *arrow.FixedSizeListType:
		g, ok := got.(*arrow.FixedSizeListType)
		if !ok {
			return mismatch()
		}
		if err := typesCompatible(name, w.Elem(), g.Elem()); err != nil {
			return err
		}
		if w.Len() != g.Len() {
			return fmt.Errorf("%w: column %q holds vectors of dimension %d, the table's are %d",
				ErrDimensionMismatch, name, g.Len(), w.Len())
		}
		return nil
	case *arrow.ListType:
		g, ok := got.(*arrow.ListType)
		if !ok {
			return mismatch()
		}
		return typesCompatible(name, w.Elem(), g.Elem())
	case *arrow.LargeListType:
		g, ok := got.(*arrow.LargeListType)
		if !ok {
			return mismatch()
		}
		return typesCompatible(name, w.Elem(), g.Elem())
	case *arrow.StructType:
		g, ok := got.(*arrow.StructType)
		if !ok || g.NumFields() != w.NumFields() {
			return mismatch()
		}
		for i, f := range w.Fields() {
			if g.Field(i).Name != f.Name {
				return mismatch()
			}
			if err := typesCompatible(name+"."+f.Name, f.Type, g.Field(i).Type); err != nil {
				return err
			}
		}
		return nil
	}
	return mismatch()
}

func columnsDiff(want, got *arrow.Schema) string {
	var missing, extra []string
	for _, f := range want.Fields() {
		if len(got.FieldIndices(f.Name)) == 0 {
			missing = append(missing, f.Name)
		}
	}
	for _, f := range got.Fields() {
		if len(want.FieldIndices(f.Name)) == 0 {
			extra = append(extra, f.Name)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing column(s) "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "column(s) not in the table "+strings.Join(extra, ", "))
	}
	if len(parts) == 0 {
		parts = append(parts, "repeated column names")
	}
	return "records do not match the table schema: " + strings.Join(parts, "; ")
}
