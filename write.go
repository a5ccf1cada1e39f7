package resona

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

// existingItem is what the table holds for one base id.
type existingItem struct {
	hash string
	ids  []string // the rows: the id itself, or its chunk ids
}

// loadExisting reads id and text_hash of the stored rows, grouped by base
// id: every row, or only the rows of the given base ids (with their
// chunks). The scan streams; memory grows with the number of ids only.
func (s *EmbeddingService) loadExisting(ctx context.Context, baseIDs []string) (map[string]existingItem, error) {
	out := map[string]existingItem{}
	if s.ds == nil {
		return out, nil
	}
	opts := lance.ScanOptions{Columns: []string{colID, colTextHash}}
	if baseIDs != nil {
		opts.Filter = idsFilter(baseIDs)
	}
	t0 := time.Now()
	rows := 0
	for rec, err := range s.ds.Scan(ctx, opts) {
		if err != nil {
			return nil, fmt.Errorf("resona: read stored hashes: %w", err)
		}
		c := columns{rec}
		for i := range int(rec.NumRows()) {
			id := c.str(colID, i)
			base := BaseID(id)
			ex := out[base]
			if ex.ids == nil {
				ex.hash = c.str(colTextHash, i)
			}
			ex.ids = append(ex.ids, id)
			out[base] = ex
			rows++
		}
	}
	s.log.Debug("stored hashes loaded", "rows", rows, "items", len(out), "duration", time.Since(t0))
	return out, nil
}

// idsFilter matches the rows of the given base ids and of their chunks:
// id = b, or b+"#" <= id < b+"$" ('$' follows '#').
func idsFilter(baseIDs []string) expr.Expr {
	id := expr.Col(colID)
	parts := make([]expr.Expr, 0, 2)
	exact := make([]any, len(baseIDs))
	for i, b := range baseIDs {
		exact[i] = b
		parts = append(parts, expr.And(id.Ge(b+"#"), id.Lt(b+"$")))
	}
	parts = append(parts, id.In(exact...))
	return expr.Or(parts...)
}

// rowWriter buffers the rows of embedded items and writes them: new ids
// appended, ids already stored replaced (merge-insert on id), chunks an
// item no longer has deleted.
type rowWriter struct {
	s        *EmbeddingService
	existing map[string]existingItem
	res      *BatchResult
	buf      []row
	bufItems []string // base ids whose rows are all in buf
}

func (w *rowWriter) add(base string, rows []row) {
	w.buf = append(w.buf, rows...)
	w.bufItems = append(w.bufItems, base)
}

func (w *rowWriter) flush(ctx context.Context) error {
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.write(ctx); err != nil {
		for _, id := range w.bufItems {
			w.res.fail(id, err)
		}
		w.buf, w.bufItems = nil, nil
		return err
	}
	w.res.Processed += len(w.bufItems)
	w.res.Stored += len(w.buf)
	w.buf, w.bufItems = nil, nil
	return nil
}

func (w *rowWriter) write(ctx context.Context) error {
	s := w.s
	dim := s.p.Dimensions()
	t0 := time.Now()
	if s.ds == nil {
		rec := buildRecord(dim, w.buf)
		defer rec.Release()
		ds, err := createTable(ctx, s.tablePath, Schema(dim), []arrow.RecordBatch{rec})
		if err != nil {
			return fmt.Errorf("resona: create table %s: %w", s.tablePath, err)
		}
		s.swap(ds)
		s.log.Debug("table created", "table", s.tablePath, "rows", len(w.buf), "version", ds.Version(), "duration", time.Since(t0))
		w.remember()
		return s.ensureIDIndex(ctx)
	}
	stored := map[string]bool{}
	for _, base := range w.bufItems {
		for _, id := range w.existing[base].ids {
			stored[id] = true
		}
	}
	var fresh, update []row
	keep := map[string]bool{}
	for _, r := range w.buf {
		keep[r.id] = true
		if stored[r.id] {
			update = append(update, r)
		} else {
			fresh = append(fresh, r)
		}
	}
	var stale []string
	for id := range stored {
		if !keep[id] {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		n, err := s.deleteExact(ctx, stale)
		if err != nil {
			return err
		}
		w.res.Removed += n
	}
	if len(fresh) > 0 {
		rec := buildRecord(dim, fresh)
		defer rec.Release()
		ds, err := s.ds.Append(ctx, []arrow.RecordBatch{rec})
		if err != nil {
			return fmt.Errorf("resona: append %d rows: %w", len(fresh), err)
		}
		s.swap(ds)
	}
	if len(update) > 0 {
		rec := buildRecord(dim, update)
		defer rec.Release()
		ds, err := mergeInsert(ctx, s.ds, rec)
		if err != nil {
			return fmt.Errorf("resona: update %d rows: %w", len(update), err)
		}
		s.swap(ds)
	}
	s.log.Debug("rows stored", "appended", len(fresh), "updated", len(update), "stale_removed", len(stale),
		"version", s.ds.Version(), "duration", time.Since(t0))
	w.remember()
	return nil
}

// remember records the flushed items as stored, so a later flush in the
// same batch treats them as existing.
func (w *rowWriter) remember() {
	byBase := map[string]*existingItem{}
	for _, base := range w.bufItems {
		byBase[base] = &existingItem{}
	}
	for _, r := range w.buf {
		e := byBase[BaseID(r.id)]
		if e == nil {
			continue
		}
		e.hash = r.textHash
		e.ids = append(e.ids, r.id)
	}
	for base, e := range byBase {
		w.existing[base] = *e
	}
}
