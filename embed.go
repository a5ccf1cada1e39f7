package resona

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// Item is one piece of text to embed.
type Item struct {
	// ID identifies the item within its source. Ids ending in "#<digits>"
	// are reserved for chunks and rejected.
	ID string
	// Text is the item's text.
	Text string
	// ContextText, when not empty, is embedded instead of Text (for
	// example the text enriched with its parent's title).
	ContextText string
	// Metadata is stored as JSON next to the vector and returned by
	// searches.
	Metadata map[string]any
}

// DefaultStoreBatchSize is the number of rows buffered before a write.
const DefaultStoreBatchSize = 5000

// DefaultProgressInterval is the number of provider requests between two
// progress reports.
const DefaultProgressInterval = 1

// maxErrorSamples bounds BatchResult.ErrorSamples.
const maxErrorSamples = 10

// BatchOptions configure EmbedBatch. The zero value selects the defaults.
type BatchOptions struct {
	// OnProgress, when set, is called after every ProgressInterval
	// provider requests and once at the end.
	OnProgress func(BatchProgress)
	// ProgressInterval is the number of provider requests between
	// reports (DefaultProgressInterval when 0).
	ProgressInterval int
	// ForceAll re-embeds items whose text did not change.
	ForceAll bool
	// StoreBatchSize is the number of rows buffered in memory before they
	// are written (DefaultStoreBatchSize when 0). Larger batches make
	// fewer, larger fragments.
	StoreBatchSize int
	// ChunkSize is the longest text, in characters, embedded as one
	// vector; longer texts are split. 0 selects the provider's MaxChars,
	// or DefaultChunkSize when the provider has no limit.
	ChunkSize int
	// ChunkOverlap is the number of characters consecutive chunks share
	// (DefaultChunkOverlap when 0, capped below ChunkSize).
	ChunkOverlap int
}

// BatchProgress is reported while EmbedBatch runs.
type BatchProgress struct {
	Processed int // items embedded and buffered or stored
	Skipped   int // items unchanged since they were embedded
	Errors    int // items rejected or failed
	Total     int // items given
	// Rate is processed items per second since embedding started.
	Rate float64
	// Stored is the number of rows (chunks) written to the table.
	Stored int
	// BufferSize is the number of rows waiting to be written.
	BufferSize int
}

// ItemError is the failure of one item.
type ItemError struct {
	ID  string
	Err error
}

func (e ItemError) Error() string { return fmt.Sprintf("item %q: %v", e.ID, e.Err) }

// Unwrap returns the item's error.
func (e ItemError) Unwrap() error { return e.Err }

// BatchResult summarizes EmbedBatch.
type BatchResult struct {
	Processed int // items embedded and stored
	Skipped   int // items unchanged
	Errors    int // items rejected or failed; nothing was written for them
	// Stored is the number of rows written (one per chunk).
	Stored int
	// Removed is the number of stale chunk rows deleted (an item now
	// embedded in fewer chunks than before).
	Removed int
	// ErrorSamples are the first failures, for messages.
	ErrorSamples []ItemError
}

func (r *BatchResult) fail(id string, err error) {
	r.Errors++
	if len(r.ErrorSamples) < maxErrorSamples {
		r.ErrorSamples = append(r.ErrorSamples, ItemError{ID: id, Err: err})
	}
}

// Embed embeds one item unless its text is unchanged; it reports whether a
// new embedding was stored. An invalid item or a failed embedding is an
// error, and nothing is written.
func (s *EmbeddingService) Embed(ctx context.Context, item Item) (bool, error) {
	res, err := s.embedItems(ctx, []Item{item}, BatchOptions{}, true)
	if err != nil {
		return false, err
	}
	if len(res.ErrorSamples) > 0 {
		return false, res.ErrorSamples[0]
	}
	return res.Processed == 1, nil
}

// EmbedBatch embeds items whose text changed since they were last embedded
// (all of them with ForceAll). Items are validated and embedded one by
// one: a rejected or failed item is counted in BatchResult.Errors, nothing
// is written for it, and the others continue. The returned error is for
// failures that stop the whole batch: the context, or a write to the
// table; the result then says how far it got.
func (s *EmbeddingService) EmbedBatch(ctx context.Context, items []Item, opts BatchOptions) (BatchResult, error) {
	return s.embedItems(ctx, items, opts, false)
}

// pendingItem is an item being embedded, chunk by chunk.
type pendingItem struct {
	item     Item
	hash     string
	chunks   []string
	vectors  [][]float32
	done     int
	failed   bool
	metadata string
}

func (s *EmbeddingService) embedItems(ctx context.Context, items []Item, opts BatchOptions, single bool) (BatchResult, error) {
	var res BatchResult
	if err := s.lock(ctx); err != nil {
		return res, err
	}
	defer s.mu.Unlock()
	start := time.Now()
	storeBatch := opts.StoreBatchSize
	if storeBatch <= 0 {
		storeBatch = DefaultStoreBatchSize
	}
	chunkSize := opts.ChunkSize
	if chunkSize <= 0 {
		chunkSize = s.p.MaxChars()
	}
	if chunkSize <= 0 {
		chunkSize = DefaultChunkSize
	}
	overlap := opts.ChunkOverlap
	if overlap <= 0 {
		overlap = DefaultChunkOverlap
	}
	if overlap >= chunkSize/2 {
		overlap = chunkSize / 4
	}
	interval := opts.ProgressInterval
	if interval <= 0 {
		interval = DefaultProgressInterval
	}

	// Validate first: a bad item never reaches the provider.
	valid := make([]*pendingItem, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if err := validateItem(it); err != nil {
			res.fail(it.ID, err)
			continue
		}
		if seen[it.ID] {
			res.fail(it.ID, fmt.Errorf("%w: id given twice in one batch", ErrInvalidItem))
			continue
		}
		seen[it.ID] = true
		meta, err := encodeMetadata(it.Metadata)
		if err != nil {
			res.fail(it.ID, err)
			continue
		}
		valid = append(valid, &pendingItem{item: it, hash: hashText(embeddedText(it)), metadata: meta})
	}

	existing := map[string]existingItem{}
	if len(valid) > 0 {
		var ids []string
		if single {
			ids = []string{valid[0].item.ID}
		}
		var err error
		if existing, err = s.loadExisting(ctx, ids); err != nil {
			return res, err
		}
	}
	s.log.Debug("change detection", "items", len(items), "valid", len(valid), "existing_items", len(existing), "force_all", opts.ForceAll)

	var todo []*pendingItem
	for _, p := range valid {
		if ex, ok := existing[p.item.ID]; ok && !opts.ForceAll && ex.hash == p.hash {
			res.Skipped++
			continue
		}
		p.chunks = chunkText(embeddedText(p.item), chunkSize, overlap)
		p.vectors = make([][]float32, len(p.chunks))
		todo = append(todo, p)
	}
	s.log.Debug("items to embed", "count", len(todo), "skipped", res.Skipped, "chunk_size", chunkSize, "overlap", overlap)

	type chunkRef struct {
		p *pendingItem
		i int
	}
	var queue []chunkRef
	for _, p := range todo {
		for i := range p.chunks {
			queue = append(queue, chunkRef{p, i})
		}
	}

	w := &rowWriter{s: s, existing: existing, res: &res}
	report := func(final bool) {
		if opts.OnProgress == nil {
			return
		}
		el := time.Since(start).Seconds()
		rate := 0.0
		if el > 0 {
			rate = float64(res.Processed+len(w.bufItems)) / el
		}
		buf := len(w.buf)
		if final {
			buf = 0
		}
		opts.OnProgress(BatchProgress{
			Processed: res.Processed + len(w.bufItems), Skipped: res.Skipped, Errors: res.Errors,
			Total: len(items), Rate: rate, Stored: res.Stored, BufferSize: buf,
		})
	}

	batch := max(1, s.p.MaxBatchSize())
	dim := s.p.Dimensions()
	model := s.p.Model()
	requests := 0
	for off := 0; off < len(queue); off += batch {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		part := queue[off:min(off+batch, len(queue))]
		texts := make([]string, len(part))
		for i, c := range part {
			texts[i] = c.p.chunks[c.i]
		}
		t0 := time.Now()
		vecs, err := s.p.Embed(ctx, texts)
		requests++
		if err == nil && len(vecs) != len(part) {
			err = fmt.Errorf("%w: provider %s returned %d vectors for %d texts", ErrInvalidVector, s.p.Name(), len(vecs), len(part))
		}
		s.log.Debug("provider request", "provider", s.p.Name(), "texts", len(texts), "duration", time.Since(t0), "error", err)
		if err != nil && ctx.Err() != nil {
			return res, ctx.Err()
		}
		for i, c := range part {
			p := c.p
			switch {
			case err != nil:
				if !p.failed {
					p.failed = true
					res.fail(p.item.ID, err)
				}
			case !p.failed:
				if verr := checkVector(vecs[i], dim); verr != nil {
					p.failed = true
					res.fail(p.item.ID, fmt.Errorf("chunk %d: %w", c.i, verr))
				} else {
					p.vectors[c.i] = vecs[i]
				}
			}
			p.done++
			if p.done < len(p.chunks) || p.failed {
				continue
			}
			now := float64(s.now().UnixMilli())
			rows := make([]row, len(p.chunks))
			for ci, text := range p.chunks {
				id := p.item.ID
				if len(p.chunks) > 1 {
					id = fmt.Sprintf("%s#%d", p.item.ID, ci)
				}
				rows[ci] = row{
					id: id, textHash: p.hash, contextText: text, model: model, dimensions: float64(dim),
					metadata: p.metadata, createdAt: now, updatedAt: now, vector: p.vectors[ci],
				}
			}
			// Vectors are no longer needed once copied into rows.
			p.vectors = nil
			w.add(p.item.ID, rows)
		}
		if len(w.buf) >= storeBatch {
			if err := w.flush(ctx); err != nil {
				return res, err
			}
		}
		if requests%interval == 0 {
			report(false)
		}
	}
	if err := w.flush(ctx); err != nil {
		return res, err
	}
	report(true)
	s.log.Debug("embed batch done", "processed", res.Processed, "skipped", res.Skipped, "errors", res.Errors,
		"stored_rows", res.Stored, "removed_rows", res.Removed, "duration", time.Since(start))
	return res, nil
}

// validateItem rejects items that cannot be stored meaningfully.
func validateItem(it Item) error {
	switch {
	case it.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalidItem)
	case BaseID(it.ID) != it.ID:
		return fmt.Errorf("%w: id %q ends in a chunk suffix (#<digits>), which is reserved for chunks of long texts", ErrInvalidItem, it.ID)
	case strings.TrimSpace(embeddedText(it)) == "":
		return fmt.Errorf("%w: empty text", ErrInvalidItem)
	}
	return nil
}

// checkVector rejects vectors the table must not hold.
func checkVector(v []float32, dim int) error {
	if len(v) != dim {
		return fmt.Errorf("%w: %w: vector has %d dimensions, want %d", ErrInvalidVector, ErrDimensionMismatch, len(v), dim)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: component %d is %v", ErrInvalidVector, i, x)
		}
	}
	return nil
}
