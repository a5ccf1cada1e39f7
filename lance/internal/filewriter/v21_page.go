package filewriter

import (
	"encoding/binary"
	"math/bits"

	"github.com/resona-go/resona/lance/internal/pb/enc21"
	"github.com/resona-go/resona/lance/internal/pb/file2"
)

const pageLayoutURL = "/lance.encodings21.PageLayout"

// fullZipThreshold is Lance's cut between the layouts: values of at least
// this many bytes are full-zipped, smaller ones go into mini-blocks.
const fullZipThreshold = 256

// emit encodes the buffered rows as one page in the layout Lance would
// choose for them: a constant page when every value is null, full-zip for
// values of 256 bytes or more, mini-blocks otherwise.
func (l *leafNode) emit() error {
	defer l.reset()
	rows := l.rows
	layers, def, maxDef := l.levels()
	var bufs [][]byte
	var layout *enc21.PageLayout
	switch {
	case l.depth == 0 && def != nil && allNonZero(def):
		layout = &enc21.PageLayout{Layout: &enc21.PageLayout_ConstantLayout{ConstantLayout: &enc21.ConstantLayout{Layers: layers}}}
	case l.kind == leafFixed && l.width >= fullZipThreshold:
		bufs, layout = l.fullZipFixed(layers, def, maxDef)
	case l.kind == leafVariable && l.maxLen >= fullZipThreshold:
		bufs, layout = l.fullZipVariable(layers, def, maxDef)
	default:
		bufs, layout = l.miniBlock(layers, def)
	}
	return l.w.writeLayoutPage(l.col, uint64(rows), l.firstRow, bufs, layout)
}

func allNonZero(def []uint16) bool {
	for _, d := range def {
		if d == 0 {
			return false
		}
	}
	return true
}

// levels turns the rows' null depths into rep/def layers (innermost first)
// and definition levels. A node is a nullable layer only when some row of
// the page is null there; levels count those layers from the leaf outwards,
// 0 meaning valid. def is nil when the page has no nulls.
func (l *leafNode) levels() ([]enc21.RepDefLayer, []uint16, uint16) {
	L := l.depth + 1
	hasNull := make([]bool, L)
	anyNull := false
	for _, v := range l.nullAt {
		if v >= 0 {
			hasNull[v] = true
			anyNull = true
		}
	}
	layers := make([]enc21.RepDefLayer, L)
	level := make([]uint16, L)
	var lv uint16
	for j := 0; j < L; j++ {
		k := L - 1 - j
		layers[j] = enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM
		if hasNull[k] {
			lv++
			level[k] = lv
			layers[j] = enc21.RepDefLayer_REPDEF_NULLABLE_ITEM
		}
	}
	if !anyNull {
		return layers, nil, 0
	}
	def := make([]uint16, len(l.nullAt))
	for i, v := range l.nullAt {
		if v >= 0 {
			def[i] = level[v]
		}
	}
	return layers, def, lv
}

// valueCompression describes the plain values of the leaf.
func (l *leafNode) valueCompression() *enc21.CompressiveEncoding {
	switch {
	case l.kind == leafBool:
		return flat21(1)
	case l.kind == leafVariable:
		bits := uint64(l.offsetWidth()) * 8
		return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Variable{Variable: &enc21.Variable{Offsets: flat21(bits)}}}
	case l.dim > 0:
		return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_FixedSizeList{FixedSizeList: &enc21.FixedSizeList{
			ItemsPerValue: uint64(l.dim),
			Values:        flat21(uint64(l.item)),
		}}}
	}
	return flat21(uint64(l.width) * 8)
}

func flat21(bits uint64) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: bits}}}
}

// controlWordBytes is the size of a full-zip control word for def levels up
// to maxDef (no repetition): 0, 1, 2 or 4 bytes.
func controlWordBytes(maxDef uint16) (int, uint32) {
	if maxDef == 0 {
		return 0, 0
	}
	b := uint32(bits.Len16(maxDef))
	switch {
	case b <= 8:
		return 1, b
	case b <= 16:
		return 2, b
	}
	return 4, b
}

func putControlWord(dst []byte, size int, def uint16) {
	switch size {
	case 1:
		dst[0] = byte(def)
	case 2:
		binary.LittleEndian.PutUint16(dst, def)
	case 4:
		binary.LittleEndian.PutUint32(dst, uint32(def))
	}
}

// fullZipFixed zips a control word (when the page has nulls) with every
// value. Without nulls the page is the values buffer itself.
func (l *leafNode) fullZipFixed(layers []enc21.RepDefLayer, def []uint16, maxDef uint16) ([][]byte, *enc21.PageLayout) {
	cw, bitsDef := controlWordBytes(maxDef)
	buf := l.vals
	if cw > 0 {
		stride := cw + l.width
		buf = make([]byte, l.rows*stride)
		for i := 0; i < l.rows; i++ {
			putControlWord(buf[i*stride:], cw, def[i])
			copy(buf[i*stride+cw:], l.vals[i*l.width:(i+1)*l.width])
		}
	}
	layout := &enc21.FullZipLayout{
		BitsDef:          bitsDef,
		Details:          &enc21.FullZipLayout_BitsPerValue{BitsPerValue: uint32(l.width * 8)},
		NumItems:         uint32(l.rows),
		NumVisibleItems:  uint32(l.rows),
		ValueCompression: l.valueCompression(),
		Layers:           layers,
	}
	return [][]byte{buf}, &enc21.PageLayout{Layout: &enc21.PageLayout_FullZipLayout{FullZipLayout: layout}}
}

// fullZipVariable zips a control word (when the page has nulls) with a
// length (u32, or u64 for the large types) and the bytes of every valid value, and adds the repetition index:
// the byte offset where each row starts, then the end, byte-packed.
func (l *leafNode) fullZipVariable(layers []enc21.RepDefLayer, def []uint16, maxDef uint16) ([][]byte, *enc21.PageLayout) {
	cw, bitsDef := controlWordBytes(maxDef)
	starts := make([]uint64, l.rows+1)
	buf := make([]byte, 0, len(l.data)+l.rows*(cw+l.offsetWidth()))
	var word [4]byte
	prev := uint64(0)
	for i := 0; i < l.rows; i++ {
		starts[i] = uint64(len(buf))
		end := l.ends[i]
		valid := def == nil || def[i] == 0
		if cw > 0 {
			d := uint16(0)
			if def != nil {
				d = def[i]
			}
			putControlWord(word[:], cw, d)
			buf = append(buf, word[:cw]...)
		}
		if valid {
			if l.large {
				buf = binary.LittleEndian.AppendUint64(buf, end-prev)
			} else {
				buf = binary.LittleEndian.AppendUint32(buf, uint32(end-prev))
			}
			buf = append(buf, l.data[prev:end]...)
		}
		prev = end
	}
	starts[l.rows] = uint64(len(buf))
	layout := &enc21.FullZipLayout{
		BitsDef:          bitsDef,
		Details:          &enc21.FullZipLayout_BitsPerOffset{BitsPerOffset: uint32(l.offsetWidth()) * 8},
		NumItems:         uint32(l.rows),
		NumVisibleItems:  uint32(l.rows),
		ValueCompression: l.valueCompression(),
		Layers:           layers,
	}
	return [][]byte{buf, bytePack(starts)}, &enc21.PageLayout{Layout: &enc21.PageLayout_FullZipLayout{FullZipLayout: layout}}
}

// bytePack stores vals in the smallest of 1, 2, 4 or 8 bytes that holds
// the largest (the last, as they ascend).
func bytePack(vals []uint64) []byte {
	top := vals[len(vals)-1]
	w := 8
	switch {
	case top <= 0xFF:
		w = 1
	case top <= 0xFFFF:
		w = 2
	case top <= 0xFFFFFFFF:
		w = 4
	}
	out := make([]byte, len(vals)*w)
	for i, v := range vals {
		switch w {
		case 1:
			out[i] = byte(v)
		case 2:
			binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(out[4*i:], uint32(v))
		default:
			binary.LittleEndian.PutUint64(out[8*i:], v)
		}
	}
	return out
}

// writeLayoutPage writes a 2.1+ page's buffers, each padded to 64 bytes,
// and records the page with its first row as priority.
func (w *Writer) writeLayoutPage(col int, rows, firstRow uint64, bufs [][]byte, layout *enc21.PageLayout) error {
	p := &file2.ColumnMetadata_Page{
		BufferOffsets: make([]uint64, len(bufs)),
		BufferSizes:   make([]uint64, len(bufs)),
		Length:        rows,
		Priority:      firstRow,
	}
	for i, b := range bufs {
		p.BufferOffsets[i] = w.pos
		p.BufferSizes[i] = uint64(len(b))
		if err := w.writePadded(b); err != nil {
			return err
		}
	}
	e, err := directEncoding(pageLayoutURL, layout)
	if err != nil {
		return err
	}
	p.Encoding = e
	w.columns[col].Pages = append(w.columns[col].Pages, p)
	return nil
}
