package filewriter

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
	"github.com/resona-go/resona/lance/internal/pb/file2"
)

// inspected is an independent parse of a 2.0 file, used to check what the
// writer produced (and what LanceDB produced) without the reader package.
type inspected struct {
	major, minor uint16
	descriptor   *pb.FileDescriptor
	globals      [][]byte // global buffers 1, 2, ...
	offsets      []uint64 // their positions
	columns      []inspectedColumn
}

type inspectedColumn struct {
	encodingURL string
	encoding    *enc20.ColumnEncoding
	pages       []inspectedPage
}

type inspectedPage struct {
	rows     uint64
	priority uint64
	offsets  []uint64
	encoding *enc20.ArrayEncoding
	buffers  [][]byte
}

func inspect(data []byte) (*inspected, error) {
	if len(data) < footerLen || string(data[len(data)-4:]) != "LANC" {
		return nil, fmt.Errorf("no footer")
	}
	f := data[len(data)-footerLen:]
	le := binary.LittleEndian
	metaStart, cmo, gbo := le.Uint64(f[0:]), le.Uint64(f[8:]), le.Uint64(f[16:])
	nGlobal, nCols := le.Uint32(f[24:]), le.Uint32(f[28:])
	out := &inspected{major: le.Uint16(f[32:]), minor: le.Uint16(f[34:])}
	if metaStart > cmo || cmo > gbo || gbo > uint64(len(data)) {
		return nil, fmt.Errorf("bad footer offsets")
	}
	slice := func(pos, size uint64) ([]byte, error) {
		if pos > uint64(len(data)) || size > uint64(len(data))-pos {
			return nil, fmt.Errorf("range %d+%d beyond %d", pos, size, len(data))
		}
		return data[pos : pos+size], nil
	}
	if nGlobal < 1 {
		return nil, fmt.Errorf("no global buffers")
	}
	fdb, err := slice(le.Uint64(data[gbo:]), le.Uint64(data[gbo+8:]))
	if err != nil {
		return nil, err
	}
	out.descriptor = &pb.FileDescriptor{}
	if err := proto.Unmarshal(fdb, out.descriptor); err != nil {
		return nil, err
	}
	for g := uint64(1); g < uint64(nGlobal); g++ {
		pos := le.Uint64(data[gbo+16*g:])
		b, err := slice(pos, le.Uint64(data[gbo+16*g+8:]))
		if err != nil {
			return nil, err
		}
		out.globals = append(out.globals, b)
		out.offsets = append(out.offsets, pos)
	}
	for c := uint64(0); c < uint64(nCols); c++ {
		mb, err := slice(le.Uint64(data[cmo+16*c:]), le.Uint64(data[cmo+16*c+8:]))
		if err != nil {
			return nil, err
		}
		cm := &file2.ColumnMetadata{}
		if err := proto.Unmarshal(mb, cm); err != nil {
			return nil, err
		}
		var col inspectedColumn
		a, err := directAny(cm.GetEncoding())
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", c, err)
		}
		col.encodingURL = a.GetTypeUrl()
		col.encoding = &enc20.ColumnEncoding{}
		if err := proto.Unmarshal(a.GetValue(), col.encoding); err != nil {
			return nil, err
		}
		for _, p := range cm.GetPages() {
			a, err := directAny(p.GetEncoding())
			if err != nil {
				return nil, err
			}
			if a.GetTypeUrl() != arrayEncodingURL {
				return nil, fmt.Errorf("page type url %q", a.GetTypeUrl())
			}
			ip := inspectedPage{rows: p.GetLength(), priority: p.GetPriority(), offsets: p.GetBufferOffsets(), encoding: &enc20.ArrayEncoding{}}
			if err := proto.Unmarshal(a.GetValue(), ip.encoding); err != nil {
				return nil, err
			}
			for i, off := range p.GetBufferOffsets() {
				b, err := slice(off, p.GetBufferSizes()[i])
				if err != nil {
					return nil, err
				}
				ip.buffers = append(ip.buffers, b)
			}
			col.pages = append(col.pages, ip)
		}
		out.columns = append(out.columns, col)
	}
	return out, nil
}

func directAny(e *file2.Encoding) (*anypb.Any, error) {
	d := e.GetDirect()
	if d == nil {
		return nil, fmt.Errorf("encoding is not direct")
	}
	a := &anypb.Any{}
	if err := proto.Unmarshal(d.GetEncoding(), a); err != nil {
		return nil, err
	}
	return a, nil
}

// describe renders the file as text: one line per page with its encoding
// and buffers, so two files can be compared page by page.
func (f *inspected) describe(withBytes bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "version %d.%d rows %d\n", f.major, f.minor, f.descriptor.GetLength())
	for i, c := range f.columns {
		fmt.Fprintf(&sb, "column %d %s %s\n", i, c.encodingURL, prototext.MarshalOptions{}.Format(c.encoding))
		for j, p := range c.pages {
			fmt.Fprintf(&sb, "  page %d rows %d prio %d enc {%s}\n", j, p.rows, p.priority, prototext.MarshalOptions{}.Format(p.encoding))
			for k, b := range p.buffers {
				if withBytes {
					fmt.Fprintf(&sb, "    buf %d len %d: %x\n", k, len(b), b)
				} else {
					fmt.Fprintf(&sb, "    buf %d len %d\n", k, len(b))
				}
			}
		}
	}
	return sb.String()
}

// TestInspectFile dumps the file named by FILEWRITER_INSPECT; a debugging aid.
func TestInspectFile(t *testing.T) {
	path := os.Getenv("FILEWRITER_INSPECT")
	if path == "" {
		t.Skip("FILEWRITER_INSPECT not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := inspect(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("schema: %s", prototext.Format(f.descriptor))
	t.Log("\n" + f.describe(os.Getenv("FILEWRITER_BYTES") != ""))
}
