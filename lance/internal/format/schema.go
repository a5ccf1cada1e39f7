package format

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/pb"
)

// Field is one Lance field with its Arrow type. Lance stores fields
// flattened in pre-order with parent ids; Schema rebuilds the tree.
type Field struct {
	ID            int32
	ParentID      int32 // -1 at the top level
	Name          string
	LogicalType   string
	Nullable      bool
	ExtensionName string
	// Metadata is the field metadata as Lance stores it (bytes as strings).
	Metadata map[string]string
	// Children are the child fields: the single item field of a list, the
	// members of a struct. Fixed-size lists are leaves.
	Children []*Field
	// Type is the Arrow type of the whole subtree.
	Type arrow.DataType
	// PB is the field as stored, nil for fields built from Arrow.
	PB *pb.Field
}

// Arrow returns the Arrow field of this subtree. The Lance field id is not
// part of the Arrow field; use Schema.FieldByID and Field.ID to map them.
func (f *Field) Arrow() arrow.Field {
	return arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable, Metadata: f.arrowMetadata()}
}

func (f *Field) arrowMetadata() arrow.Metadata {
	kv := make(map[string]string, len(f.Metadata)+1)
	for k, v := range f.Metadata {
		kv[k] = v
	}
	if f.ExtensionName != "" {
		if _, ok := kv[arrowExtNameKey]; !ok {
			kv[arrowExtNameKey] = f.ExtensionName
		}
	}
	if len(kv) == 0 {
		return arrow.Metadata{}
	}
	return sortedMetadata(kv)
}

func sortedMetadata(kv map[string]string) arrow.Metadata {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = kv[k]
	}
	return arrow.NewMetadata(keys, vals)
}

// Schema is a table schema: Lance fields with ids and the equivalent Arrow
// schema. Arrow field i of Arrow corresponds to Fields[i].
type Schema struct {
	Fields   []*Field // top-level fields in order
	Metadata map[string]string
	Arrow    *arrow.Schema
	byID     map[int32]*Field
}

// FieldByID returns the field (at any depth) with the given Lance id.
func (s *Schema) FieldByID(id int32) (*Field, bool) {
	f, ok := s.byID[id]
	return f, ok
}

// FieldByName returns the top-level field with the given name.
func (s *Schema) FieldByName(name string) (*Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// MaxFieldID returns the largest field id in use, -1 for an empty schema.
func (s *Schema) MaxFieldID() int32 {
	m := int32(-1)
	for id := range s.byID {
		m = max(m, id)
	}
	return m
}

// Walk visits every field in pre-order (the order Lance stores them).
func (s *Schema) Walk(fn func(*Field)) {
	var rec func(*Field)
	rec = func(f *Field) {
		fn(f)
		for _, c := range f.Children {
			rec(c)
		}
	}
	for _, f := range s.Fields {
		rec(f)
	}
}

// maxSchemaDepth bounds nesting so that hostile manifests cannot make type
// construction recurse without limit.
const maxSchemaDepth = 64

// NewSchema builds a Schema from the flattened pre-order field list of a
// manifest (or data file). path names the file in errors: structural
// problems wrap lanceerr.ErrCorrupt, unknown logical types
// lanceerr.ErrUnsupported.
func NewSchema(path string, fields []*pb.Field, metadata map[string][]byte) (*Schema, error) {
	s := &Schema{byID: make(map[int32]*Field, len(fields))}
	for i, pf := range fields {
		if pf == nil {
			return nil, corruptf(path, "schema field %d is empty", i)
		}
		if pf.Id < 0 {
			return nil, corruptf(path, "schema field %q has negative id %d", pf.Name, pf.Id)
		}
		if _, dup := s.byID[pf.Id]; dup {
			return nil, corruptf(path, "schema field id %d is used twice", pf.Id)
		}
		f := &Field{
			ID: pf.Id, ParentID: pf.ParentId, Name: pf.Name, LogicalType: pf.LogicalType,
			Nullable: pf.Nullable, ExtensionName: pf.ExtensionName, PB: pf,
		}
		if len(pf.Metadata) > 0 {
			f.Metadata = make(map[string]string, len(pf.Metadata))
			for k, v := range pf.Metadata {
				f.Metadata[k] = string(v)
			}
		}
		if pf.ParentId < 0 {
			s.Fields = append(s.Fields, f)
		} else {
			parent, ok := s.byID[pf.ParentId]
			if !ok {
				return nil, corruptf(path, "schema field %q (id %d) has parent %d that does not precede it", pf.Name, pf.Id, pf.ParentId)
			}
			if !IsNestedLogicalType(parent.LogicalType) {
				return nil, corruptf(path, "schema field %q (id %d) has parent %q of non-nested type %q", pf.Name, pf.Id, parent.Name, parent.LogicalType)
			}
			parent.Children = append(parent.Children, f)
		}
		s.byID[pf.Id] = f
	}
	arrowFields := make([]arrow.Field, len(s.Fields))
	for i, f := range s.Fields {
		if err := resolveType(path, f, 0); err != nil {
			return nil, err
		}
		arrowFields[i] = f.Arrow()
	}
	var md *arrow.Metadata
	if len(metadata) > 0 {
		s.Metadata = make(map[string]string, len(metadata))
		for k, v := range metadata {
			s.Metadata[k] = string(v)
		}
		m := sortedMetadata(s.Metadata)
		md = &m
	}
	s.Arrow = arrow.NewSchema(arrowFields, md)
	return s, nil
}

// resolveType sets f.Type (and its children's) bottom-up.
func resolveType(path string, f *Field, depth int) error {
	if depth > maxSchemaDepth {
		return corruptf(path, "schema nesting deeper than %d at field %q", maxSchemaDepth, f.Name)
	}
	for _, c := range f.Children {
		if err := resolveType(path, c, depth+1); err != nil {
			return err
		}
	}
	switch f.LogicalType {
	case ltList, ltListStruct, ltLargeList, ltLargeListStruct:
		if len(f.Children) != 1 {
			return corruptf(path, "list field %q (id %d) has %d children, want 1", f.Name, f.ID, len(f.Children))
		}
		item := f.Children[0].Arrow()
		if (f.LogicalType == ltListStruct || f.LogicalType == ltLargeListStruct) && item.Type.ID() != arrow.STRUCT {
			return corruptf(path, "field %q is %s but its item is %s", f.Name, f.LogicalType, item.Type)
		}
		if f.LogicalType == ltList || f.LogicalType == ltListStruct {
			f.Type = arrow.ListOfField(item)
		} else {
			f.Type = arrow.LargeListOfField(item)
		}
	case ltStruct:
		members := make([]arrow.Field, len(f.Children))
		for i, c := range f.Children {
			members[i] = c.Arrow()
		}
		f.Type = arrow.StructOf(members...)
	default:
		if len(f.Children) != 0 {
			return corruptf(path, "field %q of type %q has child fields", f.Name, f.LogicalType)
		}
		t, err := ParseLogicalType(f.LogicalType)
		if err != nil {
			return fmt.Errorf("field %q (id %d): %w", f.Name, f.ID, err)
		}
		f.Type = t
	}
	return nil
}

// SchemaFromArrow converts an Arrow schema to a Lance schema, assigning
// fresh field ids in pre-order starting at firstID (0 for a new table).
func SchemaFromArrow(as *arrow.Schema, firstID int32) (*Schema, error) {
	next := firstID
	var pfs []*pb.Field
	var add func(af arrow.Field, parent int32, depth int) error
	add = func(af arrow.Field, parent int32, depth int) error {
		if depth > maxSchemaDepth {
			return fmt.Errorf("format: field %q nests deeper than %d", af.Name, maxSchemaDepth)
		}
		lt, err := LogicalTypeName(af.Type)
		if err != nil {
			return fmt.Errorf("field %q: %w", af.Name, err)
		}
		pf := &pb.Field{Name: af.Name, Id: next, ParentId: parent, LogicalType: lt, Nullable: af.Nullable}
		next++
		if af.Metadata.Len() > 0 {
			pf.Metadata = make(map[string][]byte, af.Metadata.Len())
			for i, k := range af.Metadata.Keys() {
				pf.Metadata[k] = []byte(af.Metadata.Values()[i])
			}
			if ext, ok := af.Metadata.GetValue(arrowExtNameKey); ok {
				pf.ExtensionName = ext
			}
		}
		pfs = append(pfs, pf)
		switch t := af.Type.(type) {
		case *arrow.ListType:
			return add(t.ElemField(), pf.Id, depth+1)
		case *arrow.LargeListType:
			return add(t.ElemField(), pf.Id, depth+1)
		case *arrow.StructType:
			for _, c := range t.Fields() {
				if err := add(c, pf.Id, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, af := range as.Fields() {
		if err := add(af, -1, 0); err != nil {
			return nil, err
		}
	}
	var md map[string][]byte
	if as.Metadata().Len() > 0 {
		md = make(map[string][]byte, as.Metadata().Len())
		for i, k := range as.Metadata().Keys() {
			md[k] = []byte(as.Metadata().Values()[i])
		}
	}
	return NewSchema("arrow schema", pfs, md)
}

// PBFields returns the flattened pre-order field list to store in a
// manifest or data file.
func (s *Schema) PBFields() []*pb.Field {
	var out []*pb.Field
	s.Walk(func(f *Field) {
		if f.PB != nil {
			out = append(out, f.PB)
			return
		}
		pf := &pb.Field{Name: f.Name, Id: f.ID, ParentId: f.ParentID, LogicalType: f.LogicalType,
			Nullable: f.Nullable, ExtensionName: f.ExtensionName}
		if len(f.Metadata) > 0 {
			pf.Metadata = make(map[string][]byte, len(f.Metadata))
			for k, v := range f.Metadata {
				pf.Metadata[k] = []byte(v)
			}
		}
		out = append(out, pf)
	})
	return out
}

// PBMetadata returns the schema metadata in manifest form.
func (s *Schema) PBMetadata() map[string][]byte {
	if len(s.Metadata) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(s.Metadata))
	for k, v := range s.Metadata {
		out[k] = []byte(v)
	}
	return out
}
