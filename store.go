package resona

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

// StoredEmbedding is one stored row.
type StoredEmbedding struct {
	ID          string
	Vector      []float32
	TextHash    string
	ContextText string
	Model       string
	Dimensions  int
	Metadata    map[string]any
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GetEmbedding returns the row stored under id (for a chunked item, ask
// for "<id>#0", "<id>#1"…). A missing id yields ErrNotFound.
func (s *EmbeddingService) GetEmbedding(ctx context.Context, id string) (*StoredEmbedding, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if s.ds != nil {
		for rec, err := range s.ds.Scan(ctx, lance.ScanOptions{Filter: expr.Col(colID).Eq(id)}) {
			if err != nil {
				return nil, fmt.Errorf("resona: get %q: %w", id, err)
			}
			if rec.NumRows() == 0 {
				continue
			}
			c := columns{rec}
			return &StoredEmbedding{
				ID: c.str(colID, 0), Vector: c.vector(colVector, 0), TextHash: c.str(colTextHash, 0),
				ContextText: c.str(colContextText, 0), Model: c.str(colModel, 0),
				Dimensions: int(c.f64(colDimensions, 0)), Metadata: decodeMetadata(c.str(colMetadata, 0)),
				CreatedAt: msTime(c.f64(colCreatedAt, 0)), UpdatedAt: msTime(c.f64(colUpdatedAt, 0)),
			}, nil
		}
	}
	return nil, fmt.Errorf("%w: resona: no embedding with id %q", ErrNotFound, id)
}

func msTime(ms float64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms))
}

// Delete removes an item: the row with this id and the rows of its
// chunks. Deleting an id that is not stored is not an error.
func (s *EmbeddingService) Delete(ctx context.Context, id string) error {
	_, err := s.DeleteByIDs(ctx, []string{id})
	return err
}

// DeleteByIDs removes the given items (with their chunks) and returns the
// number of rows removed.
func (s *EmbeddingService) DeleteByIDs(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if s.ds == nil {
		return 0, nil
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	rows, err := s.matchingRows(ctx, func(base string) bool { return want[base] })
	if err != nil {
		return 0, err
	}
	n, err := s.deleteExact(ctx, rows)
	s.log.Debug("deleted", "items", len(ids), "rows", n, "version", s.ds.Version())
	return n, err
}

// Cleanup removes every item whose id is not in keepIDs (with its chunks)
// and returns the number of items removed.
func (s *EmbeddingService) Cleanup(ctx context.Context, keepIDs []string) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if s.ds == nil {
		return 0, nil
	}
	keep := make(map[string]bool, len(keepIDs))
	for _, id := range keepIDs {
		keep[id] = true
	}
	items := map[string]bool{}
	rows, err := s.matchingRows(ctx, func(base string) bool {
		if keep[base] {
			return false
		}
		items[base] = true
		return true
	})
	if err != nil {
		return 0, err
	}
	n, err := s.deleteExact(ctx, rows)
	s.log.Debug("cleanup", "keep", len(keepIDs), "items_removed", len(items), "rows_removed", n)
	if err != nil {
		return 0, err
	}
	return len(items), nil
}

// matchingRows scans the ids and returns those whose base id match
// selects. The caller holds s.mu.
func (s *EmbeddingService) matchingRows(ctx context.Context, match func(base string) bool) ([]string, error) {
	var out []string
	for rec, err := range s.ds.Scan(ctx, lance.ScanOptions{Columns: []string{colID}}) {
		if err != nil {
			return nil, fmt.Errorf("resona: scan ids: %w", err)
		}
		c := columns{rec}
		for i := range int(rec.NumRows()) {
			id := c.str(colID, i)
			if match(BaseID(id)) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// EmbeddedIDs streams the ids of the stored items, each once (chunked
// items as their base id), in storage order. The table version is the
// one current when iteration starts; the service is not locked while the
// caller consumes ids.
func (s *EmbeddingService) EmbeddedIDs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if err := s.lock(ctx); err != nil {
			yield("", err)
			return
		}
		var ds *lance.Dataset
		var err error
		if s.ds != nil {
			ds, err = s.ds.Checkout(ctx, s.ds.Version())
		}
		s.mu.Unlock()
		if err != nil {
			yield("", fmt.Errorf("resona: embedded ids: %w", err))
			return
		}
		if ds == nil {
			return
		}
		defer ds.Close()
		chunked := map[string]bool{}
		for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{colID}}) {
			if err != nil {
				yield("", fmt.Errorf("resona: embedded ids: %w", err))
				return
			}
			c := columns{rec}
			for i := range int(rec.NumRows()) {
				id := c.str(colID, i)
				base := BaseID(id)
				if base != id {
					if chunked[base] {
						continue
					}
					chunked[base] = true
				}
				if !yield(base, nil) {
					return
				}
			}
		}
	}
}

// Stats describe the stored embeddings.
type Stats struct {
	// Rows is the number of stored rows (chunks count one each); Items
	// the number of distinct items.
	Rows  int64
	Items int64
	// Model and Dimensions are the provider's.
	Model      string
	Dimensions int
	// Oldest is the earliest creation time, Newest the latest update
	// (zero when the table is empty).
	Oldest, Newest time.Time
}

// Stats counts the stored embeddings and their time range.
func (s *EmbeddingService) Stats(ctx context.Context) (*Stats, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	st := &Stats{Model: s.p.Model(), Dimensions: s.p.Dimensions()}
	if s.ds == nil {
		return st, nil
	}
	var oldest, newest float64
	chunked := map[string]bool{}
	for rec, err := range s.ds.Scan(ctx, lance.ScanOptions{Columns: []string{colID, colCreatedAt, colUpdatedAt}}) {
		if err != nil {
			return nil, fmt.Errorf("resona: stats: %w", err)
		}
		c := columns{rec}
		for i := range int(rec.NumRows()) {
			st.Rows++
			id := c.str(colID, i)
			if base := BaseID(id); base != id {
				if !chunked[base] {
					chunked[base] = true
					st.Items++
				}
			} else {
				st.Items++
			}
			if cr := c.f64(colCreatedAt, i); cr != 0 && (oldest == 0 || cr < oldest) {
				oldest = cr
			}
			up := c.f64(colUpdatedAt, i)
			if up == 0 {
				up = c.f64(colCreatedAt, i)
			}
			if up > newest {
				newest = up
			}
		}
	}
	st.Oldest, st.Newest = msTime(oldest), msTime(newest)
	return st, nil
}
