package v21

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/encoding/fsst"
	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// mustBeCorrupt fails unless err is nil or a corrupt/unsupported error.
func mustBeCorrupt(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, lanceerr.ErrCorrupt) && !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Fatalf("error not ErrCorrupt/ErrUnsupported: %v", err)
	}
}

func FuzzChunkMeta(f *testing.F) {
	f.Add([]byte{0x1a, 0x16, 0, 0, 0x10, 0x16, 0, 0}, true, uint32(1100), uint32(6000))
	f.Add([]byte{0x70, 0x17}, false, uint32(3000), uint32(3008))
	f.Fuzz(func(t *testing.T, meta []byte, large bool, n, dataLen uint32) {
		cm, err := ParseChunkMeta(meta, large, uint64(n), int(dataLen))
		mustBeCorrupt(t, err)
		for _, c := range cm {
			if c.Offset < 0 || c.Offset+c.Size > int(dataLen) || c.NumValues <= 0 {
				t.Fatalf("bad chunk %+v", c)
			}
		}
	})
}

func FuzzParseChunk(f *testing.F) {
	f.Add([]byte{3, 0, 2, 0, 1, 0, 5, 0, 0, 0, 0xFE, 0xFE, 0xAA, 0xBB, 0, 0, 0, 0, 0, 0}, true, true, uint8(1), true)
	f.Add([]byte{0, 0, 0x30, 0, 0, 0, 0x0c, 0, 0, 0}, false, false, uint8(2), true)
	f.Fuzz(func(t *testing.T, b []byte, rep, def bool, nbuf uint8, large bool) {
		_, err := ParseChunk(b, rep, def, int(nbuf%8), large)
		mustBeCorrupt(t, err)
	})
}

func FuzzUnpack(f *testing.F) {
	f.Add([]byte{3, 0xFF, 0x0F}, uint8(0), uint8(3), uint16(1024), false)
	f.Add(append([]byte{17, 0, 0, 0}, make([]byte, 17*128)...), uint8(2), uint8(17), uint16(1000), false)
	f.Add(make([]byte, 300), uint8(1), uint8(5), uint16(1100), true)
	f.Fuzz(func(t *testing.T, data []byte, sel, w uint8, n uint16, outOfLine bool) {
		bits := []int{8, 16, 32, 64}[sel%4]
		var out []byte
		var err error
		if outOfLine {
			out, err = UnpackOutOfLine(data, bits, int(w%65), int(n))
		} else {
			out, err = UnpackInline(data, bits, int(n))
		}
		mustBeCorrupt(t, err)
		if err == nil && len(out) != int(n)*bits/8 {
			t.Fatalf("%d bytes for %d values", len(out), n)
		}
	})
}

func FuzzFSST(f *testing.F) {
	f.Add(fsstTable("hello", " ", "world"), []byte{0, 1, 2, 255, 'x'}, uint8(3))
	f.Add(fsstTable("a"), []byte{0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, table, data []byte, cut uint8) {
		tab, err := fsst.ParseTable(table)
		mustBeCorrupt(t, err)
		if err != nil {
			return
		}
		c := uint64(cut) % (uint64(len(data)) + 1)
		_, _, err = fsstDecompress(tab, data, []uint64{0, c, uint64(len(data))}, 1<<16)
		mustBeCorrupt(t, err)
	})
}

func FuzzRLE(f *testing.F) {
	f.Add([]byte{1, 0, 2, 0}, []byte{3, 4}, uint16(7), uint8(16))
	f.Fuzz(func(t *testing.T, vals, runs []byte, n uint16, bits uint8) {
		flat := func(b uint64) *pb.CompressiveEncoding {
			return &pb.CompressiveEncoding{Compression: &pb.CompressiveEncoding_Flat{Flat: &pb.Flat{BitsPerValue: b}}}
		}
		_, err := decodeRLE(&pb.Rle{Values: flat(uint64(bits)), RunLengths: flat(8)}, vals, runs, int(n))
		mustBeCorrupt(t, err)
	})
}

func FuzzFullZip(f *testing.F) {
	f.Add([]byte{0, 4, 0, 0, 0, 'a', 'b', 'c', 'd', 1, 0, 2, 0, 0, 0, 'x', 'y'}, uint8(0), uint8(1), uint8(32), true, uint16(3))
	f.Add([]byte{0, 1, 2, 3, 4, 1, 5, 6, 7, 8}, uint8(1), uint8(1), uint8(32), false, uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, bitsRep, bitsDef, width uint8, variable bool, items uint16) {
		l := &pb.FullZipLayout{BitsRep: uint32(bitsRep % 18), BitsDef: uint32(bitsDef % 18), NumItems: uint32(items)}
		layers := []pb.RepDefLayer{pb.RepDefLayer_REPDEF_NULLABLE_ITEM}
		if l.BitsRep > 0 {
			layers = append(layers, pb.RepDefLayer_REPDEF_NULL_AND_EMPTY_LIST)
		}
		l.Layers = layers
		flat := &pb.CompressiveEncoding{Compression: &pb.CompressiveEncoding_Flat{Flat: &pb.Flat{BitsPerValue: uint64(width)}}}
		if variable {
			l.Details = &pb.FullZipLayout_BitsPerOffset{BitsPerOffset: uint32(width)}
			l.ValueCompression = &pb.CompressiveEncoding{Compression: &pb.CompressiveEncoding_Variable{Variable: &pb.Variable{Offsets: flat}}}
		} else {
			l.Details = &pb.FullZipLayout_BitsPerValue{BitsPerValue: uint32(width)}
			l.ValueCompression = flat
		}
		p, err := decodeFullZipPage(l, [][]byte{data}, uint64(items))
		mustBeCorrupt(t, err)
		if err != nil {
			return
		}
		isList := []bool{false}
		if l.BitsRep > 0 {
			isList = []bool{true, false}
		}
		_, err = unravel(p, isList)
		mustBeCorrupt(t, err)
	})
}

// FuzzPage mutates the buffers of real LanceDB pages and decodes them with
// the page's own layout and field.
func FuzzPage(f *testing.F) {
	type target struct {
		path  []arrow.Field
		pg    page.Page
		sizes []int
	}
	var targets []target
	for _, name := range []string{"prims", "strings", "nested", "vectors", "more", "fz"} {
		data, err := os.ReadFile("testdata/" + name + ".lance")
		if err != nil {
			f.Fatal(err)
		}
		cols := readColumns(f, data)
		at := 0
		for _, field := range fixtureSchemas[name]() {
			paths := leafPaths(field)
			for i, path := range paths {
				for _, pg := range cols[at+i].Pages {
					tg := target{path: path, pg: pg}
					var buf []byte
					for _, r := range pg.Buffers {
						tg.sizes = append(tg.sizes, int(r.Size))
						buf = append(buf, data[r.Offset:r.Offset+r.Size]...)
					}
					targets = append(targets, tg)
					if len(buf) < 1<<14 {
						f.Add(uint16(len(targets)-1), buf)
					}
				}
			}
			at += len(paths)
		}
	}
	f.Fuzz(func(t *testing.T, which uint16, data []byte) {
		tg := targets[int(which)%len(targets)]
		pg := tg.pg
		pg.Buffers = nil
		off := uint64(0)
		for i, s := range tg.sizes {
			if i == len(tg.sizes)-1 {
				s = len(data) - int(off)
			}
			s = max(0, min(s, len(data)-int(off)))
			pg.Buffers = append(pg.Buffers, page.Range{Offset: off, Size: uint64(s)})
			off += uint64(s)
		}
		src := &memSource{name: "fuzz", data: data}
		isList := make([]bool, len(tg.path))
		for k, fl := range tg.path {
			switch fl.Type.(type) {
			case *arrow.ListType, *arrow.LargeListType:
				isList[k] = true
			}
		}
		a, err := decodePage(context.Background(), src, tg.path, isList, &pg)
		mustBeCorrupt(t, err)
		if err == nil {
			if a.Len() != int(pg.NumRows) {
				t.Fatalf("%d rows, page has %d", a.Len(), pg.NumRows)
			}
			a.Release()
		}
	})
}

// FuzzLayout fuzzes the page layout message together with the page bytes,
// decoding as a few representative field shapes.
func FuzzLayout(f *testing.F) {
	for _, name := range []string{"nested", "more", "strings"} {
		data, err := os.ReadFile("testdata/" + name + ".lance")
		if err != nil {
			f.Fatal(err)
		}
		for _, col := range readColumns(f, data) {
			pg := col.Pages[0]
			var buf []byte
			var cut []byte
			for _, r := range pg.Buffers {
				buf = append(buf, data[r.Offset:r.Offset+r.Size]...)
				cut = append(cut, byte(min(r.Size, 255)))
			}
			if len(buf) < 1<<13 {
				f.Add(pg.Encoding.GetValue(), buf, cut, uint16(pg.NumRows), uint8(0))
			}
		}
	}
	i32 := arrow.PrimitiveTypes.Int32
	shapes := [][]arrow.Field{
		{nullable("x", i32)},
		{nullable("s", arrow.BinaryTypes.String)},
		{nullable("l", arrow.ListOf(i32)), nullable("item", i32)},
		{nullable("st", arrow.StructOf(nullable("a", i32))), nullable("a", i32)},
		{nullable("v", arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32))},
		{nullable("ll", arrow.ListOf(arrow.ListOf(i32))), nullable("item", arrow.ListOf(i32)), nullable("item", i32)},
	}
	f.Fuzz(func(t *testing.T, layout, data, cut []byte, rows uint16, shape uint8) {
		path := shapes[int(shape)%len(shapes)]
		pg := page.Page{NumRows: uint64(rows)}
		pg.Encoding = anyLayout(layout)
		off := 0
		for i, c := range cut {
			if i > 6 {
				break
			}
			n := min(int(c), len(data)-off)
			if i == len(cut)-1 {
				n = len(data) - off
			}
			pg.Buffers = append(pg.Buffers, page.Range{Offset: uint64(off), Size: uint64(n)})
			off += n
		}
		isList := make([]bool, len(path))
		for k, fl := range path {
			_, isList[k] = fl.Type.(*arrow.ListType)
		}
		src := &memSource{name: "fuzz", data: data}
		a, err := decodePage(context.Background(), src, path, isList, &pg)
		mustBeCorrupt(t, err)
		if err == nil {
			a.Release()
		}
		if l, err := parseLayout(&pg); err == nil {
			if d, ok, err := directPage(context.Background(), src, path, isList, &pg, l, uint64(rows)/3, uint64(rows)/2, true); err == nil && ok {
				d.Release()
			} else {
				mustBeCorrupt(t, err)
			}
		}
	})
}
