package encoding

import (
	"sync"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// EncodingCache keeps the decoded encodings of a file's 2.0 pages, so that
// reads touching many pages (a Take of scattered rows) unmarshal each
// page's encoding once per file rather than once per read. The decoded
// messages are shared and only ever read. It is safe for concurrent use;
// the zero value is ready.
type EncodingCache struct {
	m sync.Map // *anypb.Any → *enc20.ArrayEncoding
}

func (c *EncodingCache) get(a *anypb.Any) (*enc20.ArrayEncoding, error) {
	if c == nil || a == nil {
		return pageEncoding(a)
	}
	if e, ok := c.m.Load(a); ok {
		return e.(*enc20.ArrayEncoding), nil
	}
	e, err := pageEncoding(a)
	if err != nil {
		return nil, err
	}
	got, _ := c.m.LoadOrStore(a, e)
	return got.(*enc20.ArrayEncoding), nil
}
