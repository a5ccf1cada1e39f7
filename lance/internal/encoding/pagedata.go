package encoding

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/encoding/fsst"
	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// arrayEncodingURL ends the type URL of every 2.0 page encoding.
const arrayEncodingURL = "lance.encodings.ArrayEncoding"

// pageEncoding decodes a 2.0 page's encoding description.
func pageEncoding(a *anypb.Any) (*enc20.ArrayEncoding, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: page without an encoding", lanceerr.ErrCorrupt)
	}
	url := a.GetTypeUrl()
	if !strings.HasSuffix(url, "/"+arrayEncodingURL) && url != arrayEncodingURL {
		return nil, fmt.Errorf("%w: page encoding %q is not a 2.0 ArrayEncoding", lanceerr.ErrUnsupported, url)
	}
	e := &enc20.ArrayEncoding{}
	if err := proto.Unmarshal(a.GetValue(), e); err != nil {
		return nil, fmt.Errorf("%w: page encoding: %v", lanceerr.ErrCorrupt, err)
	}
	return e, nil
}

// pageData reads the buffers of one page, either the bytes each decode
// step needs or, when many pieces of the page are wanted, all at once.
type pageData struct {
	ctx   context.Context
	src   page.Source
	col   *page.Column
	pg    *page.Page
	b     *budget
	whole [][]byte // the page buffers, once fetched entirely

	inflated map[*enc20.Flat][]byte // decompressed Flat buffers
	dicts    map[*enc20.Dictionary]*chunk
	fsst     map[*enc20.Fsst]*fsst.Table
}

func newPageData(ctx context.Context, src page.Source, col *page.Column, pg *page.Page, b *budget) *pageData {
	return &pageData{ctx: ctx, src: src, col: col, pg: pg, b: b}
}

// prefetch reads every page buffer in one request.
func (p *pageData) prefetch() error {
	if p.whole != nil || len(p.pg.Buffers) == 0 {
		return nil
	}
	total := uint64(0)
	for _, r := range p.pg.Buffers {
		total += r.Size
	}
	if err := p.b.take(total); err != nil {
		return err
	}
	bufs, err := p.src.ReadRanges(p.ctx, p.pg.Buffers)
	if err != nil {
		return err
	}
	if len(bufs) != len(p.pg.Buffers) {
		return fmt.Errorf("%w: %s: source returned %d buffers for %d ranges", lanceerr.ErrCorrupt, p.src.Path(), len(bufs), len(p.pg.Buffers))
	}
	p.whole = bufs
	return nil
}

// bufferRange resolves a buffer reference of the page's encoding.
func (p *pageData) bufferRange(d *enc20.Buffer) (page.Range, int, error) {
	if d == nil {
		return page.Range{}, 0, p.corrupt("missing buffer reference")
	}
	i := int(d.GetBufferIndex())
	switch d.GetBufferType() {
	case enc20.Buffer_page:
		if i >= len(p.pg.Buffers) {
			return page.Range{}, 0, p.corrupt("page buffer %d of %d", i, len(p.pg.Buffers))
		}
		return p.pg.Buffers[i], i, nil
	case enc20.Buffer_column:
		if i >= len(p.col.Buffers) {
			return page.Range{}, 0, p.corrupt("column buffer %d of %d", i, len(p.col.Buffers))
		}
		return p.col.Buffers[i], -1, nil
	default:
		return page.Range{}, 0, fmt.Errorf("%w: %s: column %d: buffers of type %v", lanceerr.ErrUnsupported, p.src.Path(), p.col.Index, d.GetBufferType())
	}
}

// read returns n bytes at offset off of a buffer.
func (p *pageData) read(d *enc20.Buffer, off, n uint64) ([]byte, error) {
	rg, i, err := p.bufferRange(d)
	if err != nil {
		return nil, err
	}
	if off > rg.Size || n > rg.Size-off {
		return nil, p.corrupt("bytes [%d, +%d) of a %d-byte buffer", off, n, rg.Size)
	}
	if n == 0 {
		return []byte{}, nil
	}
	if i >= 0 && p.whole != nil {
		w := p.whole[i]
		if uint64(len(w)) != rg.Size {
			return nil, p.corrupt("buffer %d: source returned %d bytes, want %d", i, len(w), rg.Size)
		}
		return w[off : off+n : off+n], nil
	}
	if err := p.b.take(n); err != nil {
		return nil, err
	}
	out, err := p.src.ReadRanges(p.ctx, []page.Range{{Offset: rg.Offset + off, Size: n}})
	if err != nil {
		return nil, err
	}
	if len(out) != 1 || uint64(len(out[0])) != n {
		return nil, p.corrupt("short read of %d bytes", n)
	}
	return out[0], nil
}

// wholeBuffer returns an entire buffer.
func (p *pageData) wholeBuffer(d *enc20.Buffer) ([]byte, error) {
	rg, _, err := p.bufferRange(d)
	if err != nil {
		return nil, err
	}
	return p.read(d, 0, rg.Size)
}

func (p *pageData) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s: column %d: %s", lanceerr.ErrCorrupt, p.src.Path(), p.col.Index, fmt.Sprintf(format, args...))
}
