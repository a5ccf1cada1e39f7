package v21

import (
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// The fixtures in testdata are data files written by LanceDB 0.39.0
// (lance 12, file format 2.2) with the values LanceDB read back. The
// schemas below are the ones the Node script declared.

func nullable(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

func primsSchema() []arrow.Field {
	var fs []arrow.Field
	types := []struct {
		n string
		t arrow.DataType
	}{
		{"i8", arrow.PrimitiveTypes.Int8}, {"i16", arrow.PrimitiveTypes.Int16}, {"i32", arrow.PrimitiveTypes.Int32}, {"i64", arrow.PrimitiveTypes.Int64},
		{"u8", arrow.PrimitiveTypes.Uint8}, {"u16", arrow.PrimitiveTypes.Uint16}, {"u32", arrow.PrimitiveTypes.Uint32}, {"u64", arrow.PrimitiveTypes.Uint64},
		{"f32", arrow.PrimitiveTypes.Float32}, {"f64", arrow.PrimitiveTypes.Float64}, {"b", arrow.FixedWidthTypes.Boolean},
	}
	for _, tt := range types {
		for _, nulls := range []string{"none", "some", "all"} {
			if tt.n == "b" && nulls == "all" {
				continue
			}
			fs = append(fs, nullable(tt.n+"_"+nulls, tt.t))
		}
	}
	return append(fs,
		nullable("const_i64", arrow.PrimitiveTypes.Int64),
		nullable("const_str", arrow.BinaryTypes.String),
		nullable("runs_i32", arrow.PrimitiveTypes.Int32),
		nullable("seq_i64", arrow.PrimitiveTypes.Int64))
}

func stringsSchema() []arrow.Field {
	s := arrow.BinaryTypes.String
	return []arrow.Field{
		nullable("s_none", s), nullable("s_some", s), nullable("s_all", s),
		nullable("ls_some", arrow.BinaryTypes.LargeString), nullable("bin_some", arrow.BinaryTypes.Binary), nullable("bin_none", arrow.BinaryTypes.Binary),
		nullable("dict_none", s), nullable("dict_some", s), nullable("fsst_none", s), nullable("fsst_some", s), nullable("empty_some", s),
	}
}

func nestedSchema() []arrow.Field {
	item := func(t arrow.DataType) arrow.Field { return nullable("item", t) }
	return []arrow.Field{
		nullable("li_none", arrow.ListOfField(item(arrow.PrimitiveTypes.Int32))),
		nullable("li_some", arrow.ListOfField(item(arrow.PrimitiveTypes.Int32))),
		nullable("ls_some", arrow.ListOfField(item(arrow.BinaryTypes.String))),
		nullable("st", arrow.StructOf(nullable("a", arrow.PrimitiveTypes.Int32), nullable("b", arrow.BinaryTypes.String))),
		nullable("fsl8_none", arrow.FixedSizeListOfField(8, item(arrow.PrimitiveTypes.Float32))),
		nullable("fsl8_some", arrow.FixedSizeListOfField(8, item(arrow.PrimitiveTypes.Float32))),
		nullable("lli", arrow.ListOfField(item(arrow.ListOfField(item(arrow.PrimitiveTypes.Int64))))),
	}
}

func vectorsSchema() []arrow.Field {
	return []arrow.Field{
		nullable("vec_none", arrow.FixedSizeListOfField(1024, nullable("item", arrow.PrimitiveTypes.Float32))),
		nullable("vec_some", arrow.FixedSizeListOfField(1024, nullable("item", arrow.PrimitiveTypes.Float32))),
		nullable("big_some", arrow.BinaryTypes.String),
		nullable("id", arrow.PrimitiveTypes.Int32),
	}
}

// pagesSchema is a table large enough for LanceDB to split the list column
// into several pages.
func pagesSchema() []arrow.Field {
	return []arrow.Field{
		nullable("pi64", arrow.PrimitiveTypes.Int64),
		nullable("ps", arrow.BinaryTypes.String),
		nullable("pli", arrow.ListOfField(nullable("item", arrow.PrimitiveTypes.Int32))),
	}
}

// moreSchema covers constant pages with levels, all-null nested pages,
// long values (full-zip), temporal types and structs mixed with lists.
// The testdata copy (small) lacks the two largest columns.
func moreSchema(small bool) []arrow.Field {
	item := func(t arrow.DataType) arrow.Field { return nullable("item", t) }
	i32 := arrow.PrimitiveTypes.Int32
	fs := []arrow.Field{
		nullable("const_null_i64", arrow.PrimitiveTypes.Int64),
		nullable("const_null_str", arrow.BinaryTypes.String),
		nullable("const_f64", arrow.PrimitiveTypes.Float64),
		nullable("const_bool", arrow.FixedWidthTypes.Boolean),
		nullable("const_fsl", arrow.FixedSizeListOfField(4, item(arrow.PrimitiveTypes.Float32))),
		nullable("allnull_list", arrow.ListOfField(item(i32))),
		nullable("allnull_struct", arrow.StructOf(nullable("x", i32))),
		nullable("const_list", arrow.ListOfField(item(i32))),
		nullable("lls_none", arrow.BinaryTypes.LargeString),
		nullable("lbin_some", arrow.BinaryTypes.LargeBinary),
		nullable("long_str", arrow.BinaryTypes.String),
		nullable("long_bin", arrow.BinaryTypes.Binary),
		nullable("date", arrow.FixedWidthTypes.Date32),
		nullable("ts", &arrow.TimestampType{Unit: arrow.Millisecond}),
		nullable("b_some", arrow.FixedWidthTypes.Boolean),
		nullable("st_list", arrow.StructOf(nullable("l", arrow.ListOfField(item(i32))), nullable("n", i32))),
		nullable("list_st", arrow.ListOfField(item(arrow.StructOf(nullable("p", i32), nullable("q", arrow.BinaryTypes.String))))),
		nullable("fsl128_some", arrow.FixedSizeListOfField(128, item(arrow.PrimitiveTypes.Float32))),
		nullable("empty_lists", arrow.ListOfField(item(i32))),
	}
	if !small {
		return fs
	}
	var out []arrow.Field
	for _, f := range fs {
		if f.Name != "long_bin" && f.Name != "fsl128_some" {
			out = append(out, f)
		}
	}
	return out
}

// fullZipListSchema has lists of large values: full-zip pages with
// repetition and definition in their control words.
func fullZipListSchema(dim int32) []arrow.Field {
	item := func(t arrow.DataType) arrow.Field { return nullable("item", t) }
	return []arrow.Field{
		nullable("lstr", arrow.ListOfField(item(arrow.BinaryTypes.String))),
		nullable("lvec", arrow.ListOfField(item(arrow.FixedSizeListOfField(dim, item(arrow.PrimitiveTypes.Float32))))),
		nullable("st_long", arrow.StructOf(nullable("t", arrow.BinaryTypes.String), nullable("k", arrow.PrimitiveTypes.Int32))),
	}
}

var fixtureSchemas = map[string]func() []arrow.Field{
	"prims": primsSchema, "strings": stringsSchema, "nested": nestedSchema, "vectors": vectorsSchema,
	"more": func() []arrow.Field { return moreSchema(true) },
	"fz":   func() []arrow.Field { return fullZipListSchema(64) },
}

func TestLanceDBFixtures(t *testing.T) {
	for name, schema := range fixtureSchemas {
		t.Run(name, func(t *testing.T) {
			runFixture(t, loadFixture(t, "testdata", name, schema()))
		})
	}
}

// TestLanceDBLarge runs the same checks on larger tables written by the
// same script when RESONA_V21_LARGE names their directory (files
// <name>.lance and <name>.json); they are too big to keep in the tree.
func TestLanceDBLarge(t *testing.T) {
	dir := os.Getenv("RESONA_V21_LARGE")
	if dir == "" {
		t.Skip("RESONA_V21_LARGE not set")
	}
	large := map[string]func() []arrow.Field{"pages": pagesSchema}
	for k, v := range fixtureSchemas {
		large[k] = v
	}
	large["more"] = func() []arrow.Field { return moreSchema(false) }
	large["fz"] = func() []arrow.Field { return fullZipListSchema(128) }
	for name, schema := range large {
		if _, err := os.Stat(dir + "/" + name + ".lance"); err != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			runFixture(t, loadFixture(t, dir, name, schema()))
		})
	}
}
