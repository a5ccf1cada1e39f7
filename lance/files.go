package lance

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/storage"
)

// maxCachedFiles bounds the data files a table keeps open between calls.
// Files beyond it are opened for one call and closed after it, so a table
// of very many small fragments cannot exhaust file descriptors. It is sized
// for an uncompacted table ingested in small batches (Go raises the
// process's soft descriptor limit to the hard one, typically well above
// this), because reopening costs a footer read per fragment and search.
const maxCachedFiles = 2048

// fileCache keeps opened data files (their decoded footers and column
// metadata) for the Datasets of one table. Data files are immutable, so
// every version can share them. It is reference counted by Datasets.
type fileCache struct {
	store storage.Store

	mu     sync.Mutex
	refs   int
	closed bool
	open   map[string]*dataFile

	// Vector index segments are immutable and named by uuid, so every
	// version a session reads shares them: a search right after a commit
	// does not load the index again. Segments the newest version seen no
	// longer lists are dropped (an older version reloads them if asked).
	segMu      sync.Mutex
	segs       map[string]*cachedSegment
	segVersion uint64

	// vecBufs recycles the buffers exact search reads plain vectors into.
	vecBufs sync.Pool // of *[]float32
}

// vectorBuffer returns a buffer of at least n float32s for
// putVectorBuffer to take back.
func (c *fileCache) vectorBuffer(n int) *[]float32 {
	if b, ok := c.vecBufs.Get().(*[]float32); ok && cap(*b) >= n {
		return b
	}
	b := make([]float32, n)
	return &b
}

func (c *fileCache) putVectorBuffer(b *[]float32) { c.vecBufs.Put(b) }

// segment returns the session's cache entry of the segment uuid.
func (c *fileCache) segment(uuid string) *cachedSegment {
	c.segMu.Lock()
	defer c.segMu.Unlock()
	if c.segs == nil {
		c.segs = map[string]*cachedSegment{}
	}
	e, ok := c.segs[uuid]
	if !ok {
		e = &cachedSegment{}
		c.segs[uuid] = e
	}
	return e
}

// seedSegment caches a segment this session built and wrote.
func (c *fileCache) seedSegment(uuid string, ix *vector.Index) {
	e := c.segment(uuid)
	e.mu.Lock()
	e.ix = ix
	e.mu.Unlock()
}

// keepSegments drops the cached segments that m, when it is the newest
// version this session has seen, does not list.
func (c *fileCache) keepSegments(m *format.Manifest) {
	c.segMu.Lock()
	defer c.segMu.Unlock()
	if m.Version <= c.segVersion {
		return
	}
	c.segVersion = m.Version
	for uuid := range c.segs {
		if !slices.ContainsFunc(m.Indexes, func(ix format.Index) bool { return ix.UUID == uuid }) {
			delete(c.segs, uuid)
		}
	}
}

// dataFile is an open data file.
type dataFile struct {
	f storage.File
	r *file.Reader
}

func newFileCache(store storage.Store) *fileCache {
	return &fileCache{store: store, open: make(map[string]*dataFile)}
}

func (c *fileCache) acquire() {
	c.mu.Lock()
	c.refs++
	c.mu.Unlock()
}

// release drops one Dataset's reference; the last one closes every file.
func (c *fileCache) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refs--
	if c.refs > 0 {
		return nil
	}
	c.closed = true
	var first error
	for p, df := range c.open {
		if err := df.f.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.open, p)
	}
	return first
}

// get returns the open data file df and a function to call when done with
// it.
func (c *fileCache) get(ctx context.Context, df *format.DataFile) (*dataFile, func(), error) {
	if df.FileVersion.IsLegacy() {
		return nil, nil, fmt.Errorf("%w: %s: legacy (v1, format %s) data files are not readable here",
			ErrUnsupported, df.Path, df.FileVersion.StorageVersion())
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: lance: the dataset is closed", ErrInvalidArgument)
	}
	if f, ok := c.open[df.Path]; ok {
		c.mu.Unlock()
		return f, func() {}, nil
	}
	c.mu.Unlock()

	f, err := c.store.Open(ctx, df.Path)
	if err != nil {
		return nil, nil, err
	}
	r, err := file.Open(ctx, f, f.Size(), df.Path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	nf := &dataFile{f: f, r: r}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		f.Close()
		return nil, nil, fmt.Errorf("%w: lance: the dataset is closed", ErrInvalidArgument)
	}
	if old, ok := c.open[df.Path]; ok {
		// Another goroutine opened it meanwhile; keep one.
		f.Close()
		return old, func() {}, nil
	}
	if len(c.open) >= maxCachedFiles {
		return nf, func() { f.Close() }, nil
	}
	c.open[df.Path] = nf
	return nf, func() {}, nil
}
